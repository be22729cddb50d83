// lib/write-coalescer.ts with an injected clock: when held output is written, and shared buffers.
import { expect } from 'chai';
import { setImmediate as turn } from 'node:timers/promises';
import { WriteCoalescer } from '../../lib/write-coalescer.js';

function fakeClock(start = 1_000_000): { now: () => number; advance(ms: number): void } {
  let t = start;
  return { now: () => t, advance: (ms) => { t += ms; } };
}

/** A session stand-in: counts its flushes. */
function holder() { return { flushes: 0, flushOutput() { this.flushes++; } }; }

describe('output: WriteCoalescer', () => {
  it('below the rate threshold, flushes every holder once at the end of the tick', async () => {
    const clock = fakeClock();
    const c = new WriteCoalescer(() => ({ writeCoalesceMs: 50, writeCoalesceAbove: 1000 }), clock.now);
    const a = holder(), b = holder();
    c.add(a); c.add(b);
    expect([a.flushes, b.flushes]).to.deep.equal([0, 0]);
    await Promise.resolve(); // process.nextTick runs before the next microtask checkpoint ends
    await turn();
    expect([a.flushes, b.flushes]).to.deep.equal([1, 1]);
    expect(c.busy).to.equal(false);
  });

  it('over the threshold, holds output up to writeCoalesceMs, and stops once the rate falls', async () => {
    const clock = fakeClock();
    const c = new WriteCoalescer(() => ({ writeCoalesceMs: 30, writeCoalesceAbove: 1000 }), clock.now);
    // 200 frames in a 100 ms period: 2,000/s, over 1,000/s.
    for (let i = 0; i < 200; i++) c.counted();
    clock.advance(100);
    c.flush();
    expect(c.busy).to.equal(true);
    const a = holder();
    const t0 = Date.now();
    c.add(a);
    await turn();
    expect(a.flushes).to.equal(0); // not at the end of the tick: it waits
    while (a.flushes === 0) await turn();
    expect(Date.now() - t0).to.be.at.least(25);
    // A quiet period (no frames counted) turns waiting off again.
    clock.advance(100);
    c.flush();
    expect(c.busy).to.equal(false);
  });

  it('turns waiting on within a period as soon as its frames exceed the period\'s allowance', () => {
    const clock = fakeClock();
    const c = new WriteCoalescer(() => ({ writeCoalesceMs: 30, writeCoalesceAbove: 1000 }), clock.now);
    for (let i = 0; i < 100; i++) c.counted(); // 100 in 10 ms: the allowance of a 100 ms period is 100
    clock.advance(10);
    c.flush();
    expect(c.busy).to.equal(false);
    c.counted();
    c.flush();
    expect(c.busy).to.equal(true);
  });

  it('gives holders of the same frames one shared buffer, and makes a new one for different frames', () => {
    const c = new WriteCoalescer(() => ({ writeCoalesceMs: 0, writeCoalesceAbove: 1000 }));
    const f1 = Buffer.from('one\n'), f2 = Buffer.from('two\n'), own = Buffer.from('own\n');
    const x = c.join([f1, f2], 8);
    expect(x.toString()).to.equal('one\ntwo\n');
    expect(c.join([f1, f2], 8)).to.equal(x); // the same object, not a copy
    const y = c.join([f1, own], 8);
    expect(y.toString()).to.equal('one\nown\n');
    expect(y).to.not.equal(x);
    expect(c.join([f1], 4)).to.equal(f1); // one frame is written as it is
    c.flush();
    expect(c.join([f1, own], 8)).to.not.equal(y); // nothing is kept across flushes
  });
});
