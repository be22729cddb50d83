// A SIGHUP that lowers the login throttle reaches the Redis counters' fallback too: while Redis is
// away, the node's own per-IP bucket must use the reloaded loginIpBurst, not the one of the start.
import { expect } from 'chai';
import { RedisCounters } from '../../lib/auth/counters.js';
import { DEFAULT_LIMITS } from '../../lib/config.js';

describe('RedisCounters and a config reload', () => {
  it('the memory fallback takes up a lowered loginIpBurst on reconfigure', async () => {
    const limits = { ...DEFAULT_LIMITS, loginIpBurst: 5, loginIpRate: 0.001 };
    const c = new RedisCounters(limits, () => null, 'test', () => new Map());
    try {
      expect(await c.takeIp('203.0.113.7')).to.equal(true);
      Object.assign(limits, { loginIpBurst: 1 });
      c.reconfigure?.();
      expect([await c.takeIp('203.0.113.7'), await c.takeIp('203.0.113.7')]).to.deep.equal([true, false]);
    } finally { c.close(); }
  });
});
