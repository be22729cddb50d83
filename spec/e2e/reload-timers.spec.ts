// A reload's limits reach the timers armed before it: the keepalive tick of a live session and the
// database polls. Both were fixed at start: a session kept ticking at the interval it began with
// (a ping interval lowered from 30 s to 100 ms still pinged it every 15 s), and polls turned off
// (databasePollMs 0) stayed off after a reload turned them on, so revoked certificates kept their
// live sessions until a restart.
import { expect } from 'chai';
import { withChatd } from '../helpers/chatd.js';
import { testConfig } from '../helpers/world.js';

describe('e2e: a reload re-arms the timers of live sessions and of the node', function () {
  this.timeout(20000);

  describe('keepalive', () => {
    const t = withChatd({ config: { limits: { pingIntervalMs: 30_000, idleTimeoutMs: 90_000 } } });
    it('a live JSON session is pinged at the new, shorter interval', async () => {
      const alice = await t.login('alice');
      t.chatd.reconfigure(testConfig(t.world, { limits: { pingIntervalMs: 100, idleTimeoutMs: 400 } }));
      const ping = await alice.waitFor((f) => f.type === 'ping', 3000, 'a ping at the reloaded interval');
      expect(ping.type).to.equal('ping');
    });
  });

  describe('database polls', () => {
    const t = withChatd({ config: { limits: { databasePollMs: 0 } } });
    it('polls turned on by a reload end the live session of a revoked certificate', async () => {
      const alice = await t.login('alice');
      t.chatd.reconfigure(testConfig(t.world, { limits: { databasePollMs: 50 } }));
      const session = [...t.chatd.node.sessions].find((s) => s.user?.name === 'alice')!;
      await t.world.store.revokeCert(session.fingerprint!, 'spec');
      const bye = await alice.waitFor((f) => f.type === 'bye', 5000, 'bye CERT_REVOKED');
      expect(bye.code).to.equal('CERT_REVOKED');
    });
  });
});
