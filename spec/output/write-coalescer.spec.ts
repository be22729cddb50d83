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

/**
 * `events` event-loop turns with output, `frames` frames among them, then the end of a 100 ms
 * rate period: what makes the coalescer decide whether the next flushes wait.
 */
async function period(c: WriteCoalescer, clock: { advance(ms: number): void }, events: number, frames: number): Promise<void> {
  for (let i = 0; i < events; i++) {
    c.add(holder());
    await turn();
  }
  while (c.pending) await turn(); // a window closes after writeCoalesceMs
  for (let i = 0; i < frames; i++) c.counted();
  clock.advance(100);
  c.flush(); // the end of the period: the rate is judged
}

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
    await period(c, clock, 20, 200); // 2,000 frames/s, over 1,000/s; 20 turns of 30 ms windows per 100 ms
    expect(c.busy).to.equal(true);
    const a = holder();
    const t0 = Date.now();
    c.add(a);
    await turn();
    expect(a.flushes).to.equal(0); // not at the end of the tick: it waits
    while (a.flushes === 0) await turn();
    expect(Date.now() - t0).to.be.at.least(25);
    // A quiet period (no frames counted) turns waiting off again.
    await period(c, clock, 0, 0);
    expect(c.busy).to.equal(false);
  });

  it('does not wait when output comes too rarely for a window to join two turns of it', async () => {
    const clock = fakeClock();
    const c = new WriteCoalescer(() => ({ writeCoalesceMs: 30, writeCoalesceAbove: 1000 }), clock.now);
    // 2,000 frames/s, but from one turn per 100 ms (a big room at a slow pace): a 30 ms window
    // would catch nothing and only delay.
    await period(c, clock, 1, 200);
    expect(c.busy).to.equal(false);
    await period(c, clock, 2, 200); // 2 × 30 / 100 ≥ 0.5: a window would often catch a second
    expect(c.busy).to.equal(true);
  });

  it('writes a window out at the end of the turn that brings its second turn of output', async () => {
    const clock = fakeClock();
    const c = new WriteCoalescer(() => ({ writeCoalesceMs: 5000, writeCoalesceAbove: 1000 }), clock.now);
    c.add(holder()); // a turn of output: a 5 s window would hold many such
    await turn();
    for (let i = 0; i < 200; i++) c.counted();
    c.flush(); // 200 frames within the period: over its allowance, busy at once
    expect(c.busy).to.equal(true);
    const a = holder(), b = holder();
    const t0 = Date.now();
    c.add(a);
    await turn();
    expect(a.flushes).to.equal(0); // held: the window is open
    c.add(b); // another turn's output: the window has two, it goes at the end of this turn
    expect(b.flushes).to.equal(0);
    await turn();
    expect([a.flushes, b.flushes]).to.deep.equal([1, 1]);
    expect(Date.now() - t0).to.be.below(1000); // not the 5 s window
  });

  it('lets a window take as many turns as windows saw on average last period', async () => {
    const clock = fakeClock();
    const c = new WriteCoalescer(() => ({ writeCoalesceMs: 200, writeCoalesceAbove: 1000 }), clock.now);
    await period(c, clock, 3, 200); // 3 turns × 200 ms / 100 ms: 6 turns per window
    expect(c.busy).to.equal(true);
    const held = [holder(), holder(), holder()];
    for (const h of held) { c.add(h); await turn(); }
    expect(held.map((h) => h.flushes)).to.deep.equal([0, 0, 0]); // 3 turns of 6: still open
    while (c.pending) await turn();
    expect(held.map((h) => h.flushes)).to.deep.equal([1, 1, 1]);
  });

  it('turns waiting on within a period as soon as its frames exceed the period\'s allowance', async () => {
    const clock = fakeClock();
    const c = new WriteCoalescer(() => ({ writeCoalesceMs: 30, writeCoalesceAbove: 1000 }), clock.now);
    for (let i = 0; i < 2; i++) { c.add(holder()); await turn(); } // two turns: 2 × 30 ms / 100 ms ≥ 0.5
    for (let i = 0; i < 100; i++) c.counted(); // 100 in 10 ms: the allowance of a 100 ms period is 100
    clock.advance(10);
    c.flush();
    expect(c.busy).to.equal(false);
    c.counted();
    c.flush();
    expect(c.busy).to.equal(true);
  });

  it('takes no burst of a few huge turns for load (a big room at a slow pace)', async () => {
    const clock = fakeClock();
    const c = new WriteCoalescer(() => ({ writeCoalesceMs: 30, writeCoalesceAbove: 1000 }), clock.now);
    c.add(holder()); // one turn (one message into a big room)…
    await turn();
    for (let i = 0; i < 1000; i++) c.counted(); // …of 1,000 frames: ten times the period's allowance
    clock.advance(1);
    c.flush();
    expect(c.busy).to.equal(false);
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
