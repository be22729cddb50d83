// A node's connection to Redis drops while one of its publishes is unanswered: Redis has run it (the
// other nodes delivered it), the answer is lost with the connection. ioredis then resends it after
// reconnecting, or rejects it, and chatd delivered it locally: either way a second copy. Every message
// must still reach each member exactly once. Two real nodes on one database and one Redis, node a's
// bus through a relay that loses the one answer and then cuts the connection.
// Runs only when CHATD_TEST_REDIS is set (MariaDB too when CHATD_TEST_MYSQL is set, else SQLite).
import { expect } from 'chai';
import crypto from 'node:crypto';
import { withChatd } from '../helpers/chatd.js';
import { TestClient } from '../helpers/client.js';
import { TcpProxy } from '../helpers/proxy.js';
import { busUrl, dropPrefix } from '../helpers/redis.js';
import { until } from '../helpers/wait.js';

const REDIS = process.env.CHATD_TEST_REDIS;

(REDIS ? describe : describe.skip)('e2e: a bus reconnect delivers no message twice', function () {
  this.timeout(30_000);
  const t = withChatd({ kind: process.env.CHATD_TEST_MYSQL ? 'mysql' : 'sqlite', server: false, each: true, logLevel: 'warn' });
  let prefix: string;
  const clients: TestClient[] = [];
  beforeEach(() => { prefix = `spec-busdup-${crypto.randomBytes(4).toString('hex')}:`; });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await dropPrefix(REDIS!, prefix);
  });
  const login = async (port: number, user: string) => { const c = await TestClient.loggedIn(port, t.world.certs, user); clients.push(c); return c; };
  const said = (c: TestClient, text: string) => c.frames.filter((f) => f.type === 'message' && f.text === text);

  // Back at once, ioredis resends the publish; back after its first retry was refused, it rejects it.
  // Which one happens depends on timing (retry after 100 ms); each made a second copy.
  {
    it('a publish whose answer was lost reaches every member once when Redis comes back', async () => {
      const proxy = await TcpProxy.inFrontOf(REDIS!, 6379);
      t.defer(() => proxy.stop());
      const a = await t.start({ bus: busUrl(REDIS!, prefix, proxy.port), nodeName: 'a' });
      const b = await t.start({ bus: busUrl(REDIS!, prefix), nodeName: 'b' });
      const alice = await login(a.address.port, 'alice');
      const bob = await login(b.address.port, 'bob');
      await alice.say('warm up');
      await bob.waitFor((f) => f.type === 'message' && f.text === 'warm up', 5000, 'warm up on node b');

      // The PUBLISH reaches Redis; its answer never reaches node a's publisher.
      proxy.deafenOn('once only');
      alice.send({ type: 'say', text: 'once only', id: 'once' });
      await bob.waitFor((f) => f.type === 'message' && f.text === 'once only', 5000, 'the message on node b');
      await alice.waitFor((f) => f.type === 'message' && f.ack === 'once', 5000, 'its ack on node a');
      await proxy.cut();
      await until(async () => a.node.busStatus() !== 'ok', 5000, 'node a sees Redis gone');
      await proxy.restore();
      await until(async () => a.node.busStatus() === 'ok', 8000, 'node a back on Redis');

      // Published after the reconnect, on the same ordered channel: whatever copy there was came first.
      await alice.say('after');
      await bob.waitFor((f) => f.type === 'message' && f.text === 'after', 5000, 'after on node b');
      expect(said(bob, 'once only'), 'copies on node b').to.deep.equal([]);
      expect(said(alice, 'once only'), 'copies on node a').to.deep.equal([]);
    });
  }

  it('a dead path to Redis (connections open, nothing answered) is noticed within the presence TTL, and the node comes back', async () => {
    const proxy = await TcpProxy.inFrontOf(REDIS!, 6379);
    t.defer(() => proxy.stop());
    const limits = { presenceTtlMs: 1000 };
    const a = await t.start({ bus: busUrl(REDIS!, prefix, proxy.port), nodeName: 'a', limits });
    const b = await t.start({ bus: busUrl(REDIS!, prefix), nodeName: 'b', limits });
    const alice = await login(a.address.port, 'alice');
    const bob = await login(b.address.port, 'bob');
    await alice.say('before');
    await bob.waitFor((f) => f.type === 'message' && f.text === 'before', 5000, 'before on node b');

    proxy.freeze(); // node a's connections stay open; nothing goes through them any more
    const t0 = Date.now();
    await until(async () => a.node.busStatus() !== 'ok', 5000, 'node a noticing the dead path');
    expect(Date.now() - t0).to.be.below(3000); // the TTL, and one refresh (TTL / 3) to notice it
    expect(t.logs.some((l) => /redis unavailable/.test(l) && /no answer from redis/.test(l))).to.equal(true);
    // New connections through the relay work: the node makes them and is back.
    await until(async () => a.node.busStatus() === 'ok', 8000, 'node a back on Redis');
    await alice.say('after the dead path');
    await bob.waitFor((f) => f.type === 'message' && f.text === 'after the dead path', 5000, 'chat crossing again');
  });
});
