// A login refused after its attempt was reserved (a lock found in the database, a revoked
// certificate) must give the reservation back: otherwise loginFailLimit such refusals leave the
// name "busy" for good, a lockout that outlives the lock.
import { expect } from 'chai';
import { withChatd } from '../helpers/chatd.js';
import { USERS } from '../helpers/world.js';

describe('auth: reserved attempts are released on every refusal', function () {
  this.timeout(30000);
  const f = withChatd();

  it('logins during a lock stored in the database (after a restart) do not leave the name busy', async () => {
    const store = f.world.store;
    await store.setLoginLock('alice', Date.now() + 60_000);
    for (let i = 0; i < 8; i++) {
      const c = await f.connect('alice');
      expect((await c.login('alice')).code, `attempt ${i}`).to.equal('AUTH_LOCKED');
    }
    await store.knex('login_locks').where({ name: 'alice' }).del(); // the lock ends
    const c = await f.connect('alice');
    expect((await c.login('alice', USERS.alice.password)).type).to.equal('login_ok');
  });
});
