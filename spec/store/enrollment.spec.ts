// The enrollment part of the store on SQLite and (with CHATD_TEST_MYSQL) MariaDB: an invite is
// claimed by one conditional UPDATE, so of many enrollments racing with one token exactly one wins,
// and a loser writes nothing; a re-enrollment revokes the account's earlier certificates.
import { expect } from 'chai';
import { openStore, Store, type Enrollment } from '../../lib/store/index.js';
import { dbKinds, freshDb } from '../helpers/world.js';

for (const kind of dbKinds()) {
  describe(`store: invites and certificates on ${kind}`, function () {
    this.timeout(20000);
    let db: { url: string; drop(): Promise<void> };
    let store: Store;
    let n = 0;

    before(async () => {
      db = await freshDb(kind);
      store = await openStore(db.url);
      await store.migrateLatest();
    });
    after(async () => {
      await store?.close();
      await db?.drop();
    });

    async function invite(user: string, opts: { existing?: boolean; expiresIn?: number } = {}): Promise<number> {
      const now = Date.now();
      return store.addInvite({ user, role: 'user', tokenHash: `${++n}`.padStart(64, '0'), createdBy: 'spec', createdAt: now, expiresAt: now + (opts.expiresIn ?? 60_000), existing: !!opts.existing });
    }
    const enrollment = (inviteId: number, user: string, fp: string, existing = false): Enrollment => ({
      inviteId, user, role: 'user', existing, passwordHash: 'h', now: Date.now(),
      cert: { user, fingerprint: fp, serial: fp.toLowerCase(), notAfter: Date.now() + 1e9, issuedAt: Date.now(), source: 'enroll' },
    });

    it('ten invites for one new name used at once: one account, the others refused (never an error)', async () => {
      const ids = [];
      for (let i = 0; i < 10; i++) ids.push(await invite('twin'));
      const results = await Promise.all(ids.map((id, i) => store.completeEnrollment(enrollment(id, 'twin', `FP:twin${i}`))));
      expect(results.filter(Boolean)).to.have.length(1);
      expect(await store.knex('users').where({ username: 'twin' })).to.have.length(1);
      // The later cases count rows of their own: leave none of this one's behind.
      await store.knex('certificates').where({ user: 'twin' }).del();
      await store.knex('invites').where({ user: 'twin' }).del();
      await store.knex('users').where({ username: 'twin' }).del();
    });

    it('ten enrollments racing with one invite: exactly one is written', async () => {
      const id = await invite('racer');
      const results = await Promise.all([...Array(10).keys()].map((i) => store.completeEnrollment(enrollment(id, 'racer', `FP:${i}`))));
      expect(results.filter(Boolean)).to.have.length(1);
      expect(await store.knex('users').where({ username: 'racer' })).to.have.length(1);
      expect(await store.listCertificates('racer')).to.have.length(1);
      expect((await store.knex('invites').where({ id }).first()).used_at).to.not.equal(null);
    });

    it('an expired or revoked invite claims nothing', async () => {
      const expired = await invite('late', { expiresIn: -1 });
      expect(await store.completeEnrollment(enrollment(expired, 'late', 'FP:late'))).to.equal(false);
      const revoked = await invite('gone');
      expect(await store.revokeInvites('gone')).to.equal(1);
      expect(await store.completeEnrollment(enrollment(revoked, 'gone', 'FP:gone'))).to.equal(false);
      expect(await store.getUser('late')).to.equal(null);
      expect(await store.getUser('gone')).to.equal(null);
      expect(await store.listCertificates()).to.have.length(1); // the racer's
    });

    it('a re-enrollment resets the password and revokes the earlier certificates, where logins look too', async () => {
      await store.recordCertificate({ user: 'racer', fingerprint: 'FP:old', serial: '01', notAfter: Date.now() + 1e9, issuedAt: Date.now(), source: 'chat-certs' });
      const before = (await store.listCertificates('racer')).map((c) => c.fingerprint);
      const id = await invite('racer', { existing: true });
      expect(await store.completeEnrollment({ ...enrollment(id, 'racer', 'FP:new', true), passwordHash: 'h2' })).to.equal(true);
      expect((await store.getUser('racer'))!.passwordHash).to.equal('h2');
      for (const fp of before) {
        expect((await store.certificate(fp))!.revokedAt).to.be.a('number');
        expect(await store.isRevoked(fp)).to.equal(true);
      }
      expect((await store.certificate('FP:new'))!.revokedAt).to.equal(null);
      expect(await store.isRevoked('FP:new')).to.equal(false);
    });
  });
}
