// A ban that chat-admin writes while a login of its target is in flight (past the login's own ban
// check, not yet attached) still ends that session: the node's poll applies each ban once, and a
// session without a user yet was skipped, so the login got in and stayed.
import { expect } from 'chai';
import { withChatd } from '../helpers/chatd.js';
import { TestClient } from '../helpers/client.js';
import { holdCalls } from '../helpers/wait.js';

describe('e2e: chat-admin ban during a login of its target', function () {
  this.timeout(20000);
  // No polls of their own: the spec runs the ban poll when the login is where it wants it.
  const srv = withChatd({ each: true, config: { limits: { databasePollMs: 0 } } });

  it('the login that passed its ban check before the ban is ended by the poll', async () => {
    const node = srv.chatd.node as any;
    // After the ban check and the session slot, before the session is attached.
    const hold = holdCalls(node, 'settled');
    const bob = await TestClient.connect(srv.port, srv.world.certs, 'bob');
    const answer = bob.login('bob');
    await hold.reached;
    const u = (await srv.world.store.getUser('bob'))!;
    await srv.world.store.addBan({ userId: u.id, username: u.username, ip: null, certFingerprint: null, reason: 'spam', by: 'chat-admin', expiresAt: null });
    await node.pollers.pollBans();
    hold.release();
    try {
      await answer.catch(() => {}); // login_ok, or the bye itself
      await bob.waitClosed();
      expect(bob.text).to.match(/"type":"bye","code":"BANNED"/);
    } finally { bob.close(); }
  });
});
