// A peer that ends its side of the connection (FIN, or TLS close_notify) while it is not reading and
// output is still queued for it. Node ends our side too, but the queued bytes never drain, so the
// socket never closed until something more was written to it: the session stayed in its rooms and in
// presence, held its user's session slot and its queued output. Text mode has no keepalive, so in a
// room where nobody speaks that was for good; JSON until bye IDLE (90 s).
import { expect } from 'chai';
import { withChatd } from '../helpers/chatd.js';
import type { TestClient } from '../helpers/client.js';
import { until } from '../helpers/wait.js';

describe('a peer that half-closes with output queued for it', function () {
  this.timeout(60000);
  const srv = withChatd({ config: { limits: { floodBurst: 1e6, floodRate: 1e6, floodKickCount: 1e6 } } });

  for (const mode of ['text', 'json'] as const) {
    it(`${mode} mode: the session ends within 5 s (leaves presence, frees its slot)`, async () => {
      const user = mode === 'text' ? 'alice' : 'carol';
      let c: TestClient;
      if (mode === 'text') {
        c = await srv.connect(user, { alpn: false });
        await c.waitText(/login: $/);
        c.send(user);
        await c.waitText(/password: $/);
        c.send(user === 'alice' ? 'Alice-pass-1234' : 'Carol-pass-1234');
        await c.waitText(/logged in as/);
      } else {
        c = await srv.login(user);
      }
      const node = srv.chatd.node;
      const s = [...node.sessions].find((x) => x.user?.name === user)!;
      c.sock.pause(); // reads nothing more: the kernel buffers fill, then chatd queues
      const bob = await srv.login('bob');
      const big = 'z'.repeat(1990);
      let n = 0;
      await until(async () => {
        for (let i = 0; i < 20; i++) bob.send({ type: 'say', text: `${big} ${n++}` });
        return s.socket.writableLength > 0;
      }, 30000, `output queued in chatd for ${user}`);
      // Nothing more is sent to it from here (a write to an ended socket would destroy it): bob's
      // own copy of his last line comes after every delivery of the earlier ones.
      expect((await bob.say('last')).type).to.equal('message');
      expect(s.closed, 'still open before the FIN (under the send queue limit)').to.equal(false);
      c.sock.end(); // its side ends; it still reads nothing
      await until(async () => !node.sessions.has(s), 5000, `${user}'s session gone after the peer's FIN`);
      expect((await node.presence()).map((p) => p.user)).to.not.include(user);
      expect(s.socket.destroyed).to.equal(true);
    });
  }
});
