// A failed statement's error says what failed, never with which values: a password hash in an
// UPDATE or INSERT must not reach a log through the error message.
import { expect } from 'chai';
import { openStore } from '../../lib/store/index.js';
import { dbKinds, freshDb } from '../helpers/world.js';

for (const kind of dbKinds()) {
  describe(`store errors on ${kind}`, () => {
    it('carry no bound values', async () => {
      const db = await freshDb(kind);
      const store = await openStore(db.url);
      try {
        await store.migrateLatest();
        const secret = '$argon2id$v=19$m=19456,t=2,p=1$SECRET-SALT$SECRET-HASH';
        let err: Error | null = null;
        try {
          await store.knex('users').insert({ username: 'x1', password_hash: secret, role: 'no-such-role', created_at: Date.now() });
        } catch (e) { err = e as Error; }
        expect(err, 'the insert breaks the role foreign key').to.not.equal(null);
        expect(String(err!.message) + String(err!.stack)).not.to.contain('SECRET');
      } finally { await store.close(); await db.drop(); }
    });
  });
}
