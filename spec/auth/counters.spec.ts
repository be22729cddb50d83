// The node-local login counters with an injected clock: attempts in flight count against the name
// until they fail (a failure) or are dropped; the limit-th failure locks; a success clears.
import { expect } from 'chai';
import { MemoryCounters, RedisCounters } from '../../lib/auth/counters.js';
import { dropPrefix, withRedis } from '../helpers/redis.js';
import { DEFAULT_LIMITS } from '../../lib/config.js';

describe('MemoryCounters', () => {
  const limits = { ...DEFAULT_LIMITS, loginFailLimit: 3, loginFailWindowMs: 1000, loginLockMs: 5000, loginIpBurst: 2, loginIpRate: 1 };
  const T = 1_000_000;

  it('refuses attempts beyond the limit while earlier ones are in flight, without locking', async () => {
    const c = new MemoryCounters(limits);
    for (let i = 0; i < 3; i++) expect(await c.attempt('bob', T)).to.deep.equal({ refused: null, lockedUntil: 0 });
    expect(await c.attempt('bob', T)).to.deep.equal({ refused: 'busy', lockedUntil: 0 });
    await c.unattempt('bob');
    expect((await c.attempt('bob', T)).refused).to.equal(null);
    await c.clear('bob');
    expect((await c.attempt('bob', T)).refused).to.equal(null);
  });

  it('locks on the limit-th failure in the window, until the lock time has passed', async () => {
    const c = new MemoryCounters(limits);
    for (let i = 0; i < 2; i++) { await c.attempt('bob', T); expect(await c.failed('bob', T)).to.equal(0); }
    await c.attempt('bob', T);
    expect(await c.failed('bob', T)).to.equal(T + 5000);
    expect(await c.attempt('bob', T + 4999)).to.deep.equal({ refused: 'locked', lockedUntil: T + 5000 });
    expect((await c.attempt('bob', T + 5000)).refused).to.equal(null);
  });

  it('forgets failures once their window has passed', async () => {
    const c = new MemoryCounters(limits);
    for (let i = 0; i < 2; i++) { await c.attempt('bob', T); await c.failed('bob', T); }
    await c.attempt('bob', T + 1000);
    expect(await c.failed('bob', T + 1000)).to.equal(0);
  });

  it('counts failures in a sliding window: the limit within any window locks, across the first failure\'s window too', async () => {
    const c = new MemoryCounters(limits);
    const fail = async (at: number) => { await c.attempt('bob', at); return c.failed('bob', at); };
    // With a window fixed at the first failure (T..T+1000), T+1010 started afresh and nothing locked.
    expect([await fail(T), await fail(T + 990), await fail(T + 1010)]).to.deep.equal([0, 0, 0]);
    expect(await fail(T + 1020)).to.equal(T + 1020 + 5000);
  });

  it('stays bounded when more names fail within the window than it keeps: the oldest are forgotten', async () => {
    const c = new MemoryCounters(limits, 100);
    for (let i = 0; i < 1000; i++) { await c.attempt(`name${i}`, T); await c.failed(`name${i}`, T); }
    const names = (c as unknown as { names: Map<string, unknown> }).names;
    expect(names.size).to.be.at.most(100);
    expect(names.has('name999')).to.equal(true); // the newest are kept
  });

  it('takes per-IP tokens and gives them back', async () => {
    const c = new MemoryCounters(limits);
    expect([await c.takeIp('1.2.3.4'), await c.takeIp('1.2.3.4'), await c.takeIp('1.2.3.4')]).to.deep.equal([true, true, false]);
    await c.returnIp('1.2.3.4');
    expect(await c.takeIp('1.2.3.4')).to.equal(true);
    expect(await c.takeIp('5.6.7.8')).to.equal(true);
  });
});

describe('RedisCounters against a real Redis', function () {
  const url = process.env.CHATD_TEST_REDIS;
  before(function () { if (!url) this.skip(); });
  const prefix = `chatd-spec-counters-${process.pid}-${Date.now()}:`;
  after(async () => { if (url) await dropPrefix(url, prefix); });

  it('counts failures in a sliding window by Redis\'s clock: older ones are forgotten one by one', async () => {
    const limits = { ...DEFAULT_LIMITS, loginFailLimit: 3, loginFailWindowMs: 60_000, loginLockMs: 5000 };
    await withRedis(url!, async (redis) => {
      const c = new RedisCounters(limits, () => ({ redis, prefix }), 'spec', () => new Map());
      try {
        const [sec, us] = (await redis.time()).map(Number) as [number, number];
        const now = sec * 1000 + Math.floor(us / 1000);
        // Two failures from before the window and one inside it, as a node would have left them.
        await redis.zadd(`${prefix}login:fails:carol`, now - 70_000, 'a', now - 61_000, 'b', now - 30_000, 'c');
        expect((await c.attempt('carol')).refused).to.equal(null);
        expect(await c.failed('carol')).to.equal(0); // two within the window: the old ones do not count
        expect((await c.attempt('carol')).refused).to.equal(null);
        expect(await c.failed('carol')).to.be.above(Date.now()); // three within it: locked
        expect((await c.attempt('carol')).refused).to.equal('locked');
        await c.clear('carol');
        expect((await c.attempt('carol')).refused).to.equal(null);
        expect(await redis.exists(`${prefix}login:fails:carol`)).to.equal(0);
      } finally { c.close(); }
    });
  });

  it('takes an answer that arrived during an event loop stall longer than its timeout, instead of falling back to memory', async () => {
    await withRedis(url!, async (redis) => {
      const c = new RedisCounters(DEFAULT_LIMITS, () => ({ redis, prefix }), 'spec', () => new Map());
      try {
        expect(await c.reserveSession('erin', 'on-another-node', 1)).to.equal(true);
        // Redis answers within a millisecond, but this process is busy for longer than the 500 ms the
        // answer is waited for (a loaded node, a long GC). Both the answer and the timeout are due
        // when the loop turns again; the timer phase comes first. Falling back to this node's own
        // count (none here) would let a second session past the limit of 1.
        const second = c.reserveSession('erin', 'here', 1);
        const until = Date.now() + 1200; // Redis's answer has 1.2 s to arrive, on a busy machine too
        while (Date.now() < until) { /* stall */ }
        expect(await second).to.equal(false);
      } finally { c.close(); }
    });
  });
});
