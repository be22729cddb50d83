// lib/ratelimit.ts with an injected clock: exact token counts and waits, no sleeping.
import { expect } from 'chai';
import { KeyedBuckets, TokenBucket, WindowCounter } from '../lib/ratelimit.js';

/** A clock the spec moves by hand. */
function fakeClock(start = 1_000_000): { now: () => number; advance(ms: number): void } {
  let t = start;
  return { now: () => t, advance: (ms) => { t += ms; } };
}

describe('ratelimit: TokenBucket', () => {
  it('gives the burst at once, then one token per 1/rate seconds', () => {
    const clock = fakeClock();
    const b = new TokenBucket(3, 2, clock.now);
    expect([b.take(), b.take(), b.take(), b.take()]).to.deep.equal([true, true, true, false]);
    expect(b.waitMs()).to.equal(500);
    clock.advance(499);
    expect(b.take()).to.equal(false);
    expect(b.waitMs()).to.equal(1);
    clock.advance(1);
    expect(b.waitMs()).to.equal(0);
    expect(b.take()).to.equal(true);
    expect(b.take()).to.equal(false);
  });

  it('refills up to the burst and no further, however long it was idle', () => {
    const clock = fakeClock();
    const b = new TokenBucket(2, 1, clock.now);
    b.take(); b.take();
    expect(b.full()).to.equal(false);
    clock.advance(3_600_000);
    expect(b.full()).to.equal(true);
    expect([b.take(), b.take(), b.take()]).to.deep.equal([true, true, false]);
  });

  it('peek looks without taking', () => {
    const clock = fakeClock();
    const b = new TokenBucket(1, 1, clock.now);
    expect([b.peek(), b.peek(), b.take(), b.peek()]).to.deep.equal([true, true, true, false]);
  });

  it('handles rates below one per second (failed logins per IP)', () => {
    const clock = fakeClock();
    const b = new TokenBucket(1, 0.5, clock.now);
    b.take();
    expect(b.waitMs()).to.equal(2000);
    clock.advance(1000);
    expect(b.waitMs()).to.equal(1000);
    clock.advance(1000);
    expect(b.take()).to.equal(true);
  });

  it('accepts an explicit time on each call as well', () => {
    const b = new TokenBucket(1, 1, () => 0);
    expect(b.take(0)).to.equal(true);
    expect(b.take(999)).to.equal(false);
    expect(b.take(1000)).to.equal(true);
  });
});

describe('ratelimit: KeyedBuckets', () => {
  it('keeps a bucket per key and forgets only buckets that are full again', () => {
    const clock = fakeClock();
    const k = new KeyedBuckets(2, 1, 100, clock.now);
    const a = k.get('10.0.0.1');
    a.take(); a.take();
    expect(k.get('10.0.0.1')).to.equal(a);
    expect(k.get('10.0.0.2').take()).to.equal(true);
    k.sweep();
    expect(k.get('10.0.0.1')).to.equal(a); // still owes tokens: forgetting it would forgive them
    clock.advance(2000);
    k.sweep();
    expect(k.get('10.0.0.1')).to.not.equal(a);
  });

  it('sweeps when the map is full instead of growing past maxKeys', () => {
    const clock = fakeClock();
    const k = new KeyedBuckets(1, 1, 2, clock.now);
    const first = k.get('a');
    k.get('b');
    k.get('c'); // full map: a and b are full buckets, so both go
    expect(k.get('a')).to.not.equal(first);
  });
});

describe('ratelimit: KeyedBuckets under a flood from more addresses than maxKeys', () => {
  it('stays within maxKeys, letting the oldest keys go, even when every bucket still owes tokens', () => {
    const clock = fakeClock();
    const k = new KeyedBuckets(1, 0.001, 1000, clock.now);
    for (let i = 0; i < 5000; i++) k.get(`2001:db8::${i.toString(16)}`).take();
    expect((k as unknown as { map: Map<string, unknown> }).map.size).to.be.at.most(1000);
    // The newest debtor is kept: it still owes its token.
    expect(k.get(`2001:db8::${(4999).toString(16)}`).take()).to.equal(false);
  });
});

describe('ratelimit: WindowCounter', () => {
  it('reports the limit reached within the window', () => {
    const clock = fakeClock();
    const w = new WindowCounter(3, 1000, clock.now);
    expect(w.hit()).to.equal(false);
    clock.advance(100);
    expect(w.hit()).to.equal(false);
    clock.advance(100);
    expect(w.hit()).to.equal(true);
  });

  it('lets hits older than the window go (a hit exactly one window old is out)', () => {
    const clock = fakeClock();
    const w = new WindowCounter(3, 1000, clock.now);
    w.hit();
    clock.advance(500);
    w.hit();
    clock.advance(500);
    expect(w.hit()).to.equal(false); // the first is exactly 1000 ms old
    clock.advance(1);
    expect(w.hit()).to.equal(true); // 500, 1000 and 1001 are within 1000 ms
  });
});
