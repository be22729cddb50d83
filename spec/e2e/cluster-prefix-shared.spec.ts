// Two clusters (two databases) given one Redis and the same key prefix, the default `chatd:` on both
// being the easy way there: they were one chat. A message said in one reached the other; a moderator
// of one saw the other's users in `users` and kicked them. Now each node ignores the messages and the
// presence of another cluster, and logs why. Real nodes: one per database, one Redis, one prefix.
// Runs only when CHATD_TEST_REDIS is set.
import { expect } from 'chai';
import crypto from 'node:crypto';
import type { Chatd } from '../../lib/app.js';
import { Logger } from '../../lib/log.js';
import { withChatd } from '../helpers/chatd.js';
import { TestClient } from '../helpers/client.js';
import { busUrl, dropPrefix, withRedis } from '../helpers/redis.js';
import { until } from '../helpers/wait.js';
import { makeWorld, startServer, type World } from '../helpers/world.js';

const REDIS = process.env.CHATD_TEST_REDIS;

(REDIS ? describe : describe.skip)('e2e: two clusters on one Redis with the same prefix stay apart', function () {
  this.timeout(30_000);
  const t = withChatd({ kind: 'sqlite', server: false, logLevel: 'error' });
  const prefix = `spec-shared-${crypto.randomBytes(4).toString('hex')}:`;
  let other: World;
  let otherNode: Chatd;
  const otherLogs: string[] = [];
  const clients: TestClient[] = [];
  before(async function () {
    if (!REDIS) return this.skip();
    other = await makeWorld('sqlite');
    otherNode = await startServer(other, { bus: busUrl(REDIS, prefix), nodeName: 'other-1', limits: { presenceTtlMs: 2000 } }, new Logger('error', (l) => otherLogs.push(l)));
  });
  after(async () => {
    for (const c of clients.splice(0)) c.close();
    await otherNode?.stop();
    await other?.drop();
    if (REDIS) await dropPrefix(REDIS, prefix);
  });

  it('messages, presence and kicks of one cluster do not reach the other; both nodes say why', async () => {
    const mine = await t.start({ bus: busUrl(REDIS!, prefix), nodeName: 'mine-1', limits: { presenceTtlMs: 2000 } });
    const track = (c: TestClient) => { clients.push(c); return c; };
    const mod = track(await TestClient.loggedIn(mine.address.port, t.world.certs, 'mod'));
    const bob = track(await TestClient.loggedIn(otherNode.address.port, other.certs, 'bob'));
    const alice = track(await TestClient.loggedIn(otherNode.address.port, other.certs, 'alice'));

    // Once bob's node has pushed its presence (with bob and alice), mod's node reads it and must not show it.
    await until(() => withRedis(REDIS!, async (r) => /"alice"/.test(await r.get(`${prefix}presence:other-1`) ?? '') && /"bob"/.test(await r.get(`${prefix}presence:other-1`) ?? '')), 5000, 'the other cluster\'s presence in Redis');
    const users = await mod.command('//users');
    expect(users.data.map((u: { name: string }) => u.name)).to.deep.equal(['mod']);
    expect((await mod.command('//kick bob')).code).to.equal('NO_SUCH_USER');

    // mod says something, then (after its ack: it is on the channel) alice on the other cluster does;
    // when alice's own copy is back, bob's node has had mod's message first.
    expect((await mod.say('only for my cluster')).type).to.equal('message');
    expect((await alice.say('barrier')).type).to.equal('message');
    await bob.waitFor((f) => f.type === 'message' && f.text === 'barrier', 5000, 'the barrier');
    expect(bob.frames.filter((f) => f.type === 'message' && f.text === 'only for my cluster')).to.deep.equal([]);
    expect(bob.closed).to.equal(false);
    await until(async () => otherLogs.some((l) => /another cluster/.test(l)) || null, 5000, 'the other cluster\'s node logging it');
    expect(t.logs.find((l) => /another cluster/.test(l))).to.include('?prefix=');
  });
});
