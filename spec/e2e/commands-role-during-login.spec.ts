// A role change or a disabled account that lands while a login of that user is in flight (after its
// account was read, before the session can be reached: the password hash, the ban check) holds for
// the session that login makes. The login read the account before the hash, and the bus message of
// the change found no session of the user to restyle or close.
import { expect } from 'chai';
import { ADMIN_ACTOR } from '../../lib/auth/policy.js';
import { withChatd } from '../helpers/chatd.js';
import { TestClient } from '../helpers/client.js';
import { holdCalls } from '../helpers/wait.js';

describe('e2e: a role change during a login of its target', function () {
  this.timeout(20000);
  // No database polls: the login itself must get it right (the polls are a later safety net).
  const srv = withChatd({ each: true, config: { limits: { databasePollMs: 0 } } });

  /** Holds the next login's ban check (after its account read and password hash) until released. */
  const holdBanCheck = () => holdCalls(srv.chatd.node.store, 'findActiveBan');

  it('a moderator demoted by //role while logging in gets the new role, not the old one', async () => {
    const boss = await srv.login('boss');
    const hold = holdBanCheck();
    const mod = await TestClient.connect(srv.port, srv.world.certs, 'mod');
    const answer = mod.login('mod');
    await hold.reached;
    expect(await boss.command('//role mod user')).to.include({ type: 'result' });
    hold.release();
    const ok = await answer;
    try {
      expect(ok.type).to.equal('login_ok');
      expect(ok.user).to.include({ role: 'user', level: 1 });
      expect(await mod.command('//kick bob')).to.include({ type: 'error', code: 'FORBIDDEN' });
    } finally { mod.close(); }
  });

  it('an account disabled by chat-admin while logging in is refused', async () => {
    const hold = holdBanCheck();
    const bob = await TestClient.connect(srv.port, srv.world.certs, 'bob');
    const answer = bob.login('bob');
    await hold.reached;
    const store = srv.world.store;
    const u = (await store.getUser('bob'))!;
    await store.knex('users').where({ id: u.id }).update({ disabled: true });
    await store.audit({ actor: ADMIN_ACTOR, action: 'user.disable', target: 'bob' });
    // chat-admin writes the database only; the node hears of it by its poll, run here by hand.
    await (srv.chatd.node as any).pollers.pollAdminChanges();
    hold.release();
    try {
      expect(await answer).to.include({ type: 'error', code: 'FORBIDDEN' });
    } finally { bob.close(); }
  });
});
