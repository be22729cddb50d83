// knex's migration lock (knex_migrations_lock.is_locked) stays set when the process that holds it is
// killed while migrating (OOM, a systemd stop timeout, ^C). Then every chatd start and every chat-admin
// command, even on a schema with nothing pending, waited 30 s and died with knex's "Migration table is
// already locked", and no chatd tool could release it. Now: with nothing pending nothing takes the lock;
// a lock still held after the wait (`chat-migrate latest --wait`, 30 s) is one line naming
// `chat-migrate unlock`, which releases it.
import { expect } from 'chai';
import knexFactory, { type Knex } from 'knex';
import { knexConfig, parseDbUrl } from '../../lib/store/url.js';
import { runBin } from '../helpers/bin.js';
import { dbKinds, freshDb } from '../helpers/world.js';

for (const kind of dbKinds()) {
  describe(`chat-migrate: a migration lock left behind, on ${kind}`, function () {
    this.timeout(90000);
    let db: { url: string; drop(): Promise<void> };
    let knex: Knex;
    const lock = (v: 0 | 1) => knex('knex_migrations_lock').update({ is_locked: v });
    const locked = async () => Number((await knex('knex_migrations_lock').first('is_locked'))!.is_locked);
    before(async () => {
      db = await freshDb(kind);
      const r = await runBin('chat-migrate', ['latest', '--db', db.url]);
      expect(r.code, r.err).to.equal(0);
      knex = knexFactory(knexConfig(parseDbUrl(db.url)));
    });
    after(async () => { await knex?.destroy(); await db?.drop(); });

    it('nothing pending: chat-admin and chat-migrate latest work at once despite the lock', async () => {
      await lock(1);
      const started = Date.now();
      let r = await runBin('chat-admin', ['user', 'list', '--db', db.url]);
      expect(r.code, r.err).to.equal(0);
      r = await runBin('chat-migrate', ['latest', '--db', db.url]);
      expect(r.code, r.err).to.equal(0);
      expect(r.out).to.match(/already up to date/);
      expect(Date.now() - started, 'no waiting for a lock nobody needs').to.be.below(15000);
    });

    it('pending migrations and a lock still held after --wait: one line naming chat-migrate unlock, exit 1', async () => {
      await lock(0);
      let r = await runBin('chat-migrate', ['rollback', '--yes', '--db', db.url]);
      expect(r.code, r.err).to.equal(0);
      await lock(1);
      r = await runBin('chat-migrate', ['latest', '--wait', '1', '--db', db.url]);
      expect(r.code, r.err).to.equal(1);
      expect(r.err.trim().split('\n'), r.err).to.have.length(1);
      expect(r.err).to.match(/migration lock/).and.match(/chat-migrate unlock --db/);
    });

    it('chat-migrate unlock releases it; latest then applies everything; unlock again says so', async () => {
      let r = await runBin('chat-migrate', ['unlock', '--db', db.url]);
      expect(r.code, r.err).to.equal(0);
      expect(r.out).to.match(/released the migration lock/);
      expect(await locked()).to.equal(0);
      r = await runBin('chat-migrate', ['latest', '--db', db.url]);
      expect(r.code, r.err).to.equal(0);
      expect(r.out).to.match(/applied: 001_initial/);
      r = await runBin('chat-migrate', ['unlock', '--db', db.url]);
      expect(r.code, r.err).to.equal(0);
      expect(r.out).to.match(/was not held/);
    });
  });
}
