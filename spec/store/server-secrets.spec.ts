// The server secrets of migration 009 (lib/store/secrets.ts) on SQLite and (with CHATD_TEST_MYSQL)
// MariaDB: made once, the same for every store on the database, even when made by two at once.
import { expect } from 'chai';
import { openStore, type Store } from '../../lib/store/index.js';
import { dbKinds, freshDb } from '../helpers/world.js';

for (const kind of dbKinds()) {
  describe(`store on ${kind}: server secrets`, function () {
    let db: { url: string; drop(): Promise<void> };
    let a: Store;
    let b: Store;

    before(async () => {
      db = await freshDb(kind);
      a = await openStore(db.url);
      b = await openStore(db.url);
      await a.migrateLatest();
    });
    after(async () => {
      await a?.close();
      await b?.close();
      await db?.drop();
    });

    it('two stores asking at once on a fresh database get one secret of 32 bytes, and keep getting it', async () => {
      const [x, y] = await Promise.all([a.serverSecret('resume-token'), b.serverSecret('resume-token')]);
      expect(x.length).to.equal(32);
      expect(x.equals(y)).to.equal(true);
      expect((await a.serverSecret('resume-token')).equals(x)).to.equal(true);
      expect(await a.knex('server_secrets').count({ n: '*' }).first()).to.deep.include({ n: 1 });
    });

    it('a secret per name; a deleted row is made anew, different', async () => {
      const x = await a.serverSecret('resume-token');
      const other = await a.serverSecret('something-else');
      expect(other.equals(x)).to.equal(false);
      await a.knex('server_secrets').where({ name: 'resume-token' }).del();
      const fresh = await b.serverSecret('resume-token');
      expect(fresh.length).to.equal(32);
      expect(fresh.equals(x)).to.equal(false);
    });

    it('a row too short to be a secret is refused, not used', async () => {
      await a.knex('server_secrets').insert({ name: 'short', secret: Buffer.alloc(8).toString('base64'), created_at: 1 });
      let err: Error | null = null;
      try { await a.serverSecret('short'); } catch (e) { err = e as Error; }
      expect(err?.message).to.match(/server secret "short" is unusable/);
    });
  });
}
