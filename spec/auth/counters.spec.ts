// The node-local login counters with an injected clock: attempts in flight count against the name
// until they fail (a failure) or are dropped; the limit-th failure locks; a success clears.
import { expect } from 'chai';
import { MemoryCounters } from '../../lib/auth/counters.js';
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

  it('takes per-IP tokens and gives them back', async () => {
    const c = new MemoryCounters(limits);
    expect([await c.takeIp('1.2.3.4'), await c.takeIp('1.2.3.4'), await c.takeIp('1.2.3.4')]).to.deep.equal([true, true, false]);
    await c.returnIp('1.2.3.4');
    expect(await c.takeIp('1.2.3.4')).to.equal(true);
    expect(await c.takeIp('5.6.7.8')).to.equal(true);
  });
});
