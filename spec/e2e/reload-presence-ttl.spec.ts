// limits.presenceTtlMs reloaded (README: every limits key but handshakeTimeoutMs applies at once):
// the Redis bus took the TTL once, at start, so a reload that lowered it (to see a dead node's
// sessions go sooner) went on storing this node's presence with the old one until a restart.
// Runs only when CHATD_TEST_REDIS is set.
import { expect } from 'chai';
import crypto from 'node:crypto';
import { redisNames } from '../../lib/bus/redis.js';
import { withChatd } from '../helpers/chatd.js';
import { busUrl, dropPrefix, withRedis } from '../helpers/redis.js';
import { until } from '../helpers/wait.js';
import { testConfig } from '../helpers/world.js';

const REDIS = process.env.CHATD_TEST_REDIS;

(REDIS ? describe : describe.skip)('e2e: a reload of limits.presenceTtlMs reaches the Redis bus', function () {
  this.timeout(20000);
  const prefix = `ttl-${crypto.randomBytes(4).toString('hex')}:`;
  const bus = busUrl(REDIS ?? 'redis://127.0.0.1:6379', prefix);
  const names = redisNames(prefix);
  const t = withChatd({ config: { bus, nodeName: 'ttl1', limits: { presenceTtlMs: 30_000 } } });
  after(() => dropPrefix(bus, prefix));

  const pttl = () => withRedis(bus, (r) => r.pttl(names.presence('ttl1')));

  it('the next presence push after the reload stores the key with the new TTL', async () => {
    expect(await pttl()).to.be.greaterThan(10_000);
    t.chatd.reconfigure(testConfig(t.world, { bus, nodeName: 'ttl1', limits: { presenceTtlMs: 3_000 } }));
    await t.login('alice'); // a join: the bus pushes this node's presence within 50 ms
    await until(async () => { const ms = await pttl(); return ms > 0 && ms <= 3_000; }, 5000, 'presence key with a TTL of at most 3 s');
  });
});
