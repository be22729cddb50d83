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

describe('RedisCounters: a reload that lowers limits.presenceTtlMs', () => {
  // Each node's session slots (maxSessionsPerUser, cluster-wide) live in Redis for presenceTtlMs and
  // are refreshed every third of it. The TTL is read at each refresh, so the interval must follow it:
  // at the start's 10 s with a reloaded TTL of 600 ms, a node's sessions would be missing from Redis
  // for 9 s in 10, and another node would let the same user in beyond the limit.
  it('refreshes the slots within the new lifetime, not at the interval of the start', async () => {
    const limits = { ...DEFAULT_LIMITS, presenceTtlMs: 30_000 };
    const refreshes: number[] = [];
    const redis = { eval: async (_script: string, _n: number, ...args: string[]) => { refreshes.push(Number(args[1])); return 0; } };
    const c = new RedisCounters(limits, () => ({ redis: redis as never, prefix: 'x:' }), 'test', () => new Map([['alice', ['s1']]]));
    try {
      Object.assign(limits, { presenceTtlMs: 600 });
      c.reconfigure?.();
      await new Promise((r) => setTimeout(r, 700));
      expect(refreshes.length, 'refreshes within the new 600 ms lifetime').to.be.at.least(2);
      expect(refreshes[0]).to.equal(600);
    } finally { c.close(); }
  });
});
