// DelayQueue: many items on one timer, each due exactly `delayMs` after it was armed, with an
// injected clock and injected timers (no real time passes, no sleeps).
import { expect } from 'chai';
import { DelayQueue, DelayQueues, type Timers } from '../lib/delay-queue.js';

/** A fake clock and timers: `advance` runs every timer due by then, in due order. */
function fakeTime() {
  let now = 1000;
  let seq = 0;
  const pending = new Map<number, { at: number; fn: () => void }>();
  const timers: Timers = {
    setTimeout: (fn, ms) => { pending.set(++seq, { at: now + ms, fn }); return seq; },
    clearTimeout: (h) => { pending.delete(h as number); },
  };
  return {
    clock: () => now,
    timers,
    armed: () => pending.size,
    advance(ms: number) {
      const end = now + ms;
      for (;;) {
        const next = [...pending.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
        if (!next) break;
        pending.delete(next[0]);
        now = next[1].at;
        next[1].fn();
      }
      now = end;
    },
  };
}

describe('DelayQueue (one timer for items with the same delay)', () => {
  it('fires each item exactly its delay after it was armed, in arming order, on one timer', () => {
    const t = fakeTime();
    const fired: Array<[string, number]> = [];
    const q = new DelayQueue<string>(100, (item) => fired.push([item, t.clock()]), t.clock, t.timers);
    q.arm('a');
    t.advance(30);
    q.arm('b');
    t.advance(5);
    q.arm('c');
    expect(t.armed()).to.equal(1);
    t.advance(94);
    expect(fired).to.deep.equal([['a', 1100]]);
    t.advance(100);
    expect(fired).to.deep.equal([['a', 1100], ['b', 1130], ['c', 1135]]);
    expect(q.size).to.equal(0);
    expect(t.armed()).to.equal(0); // nothing queued: no timer keeps the process up
  });

  it('moves an item armed again to the end with a new due time', () => {
    const t = fakeTime();
    const fired: Array<[string, number]> = [];
    const q = new DelayQueue<string>(100, (item) => fired.push([item, t.clock()]), t.clock, t.timers);
    q.arm('a');
    q.arm('b');
    t.advance(50);
    q.arm('a');
    t.advance(60);
    expect(fired).to.deep.equal([['b', 1100]]);
    t.advance(40);
    expect(fired).to.deep.equal([['b', 1100], ['a', 1150]]);
  });

  it('cancels an item, and drops the timer when the last one goes', () => {
    const t = fakeTime();
    const fired: string[] = [];
    const q = new DelayQueue<string>(100, (item) => fired.push(item), t.clock, t.timers);
    q.arm('a');
    q.arm('b');
    q.cancel('a');
    expect(q.has('a')).to.equal(false);
    expect(t.armed()).to.equal(1);
    q.cancel('b');
    expect(t.armed()).to.equal(0);
    q.cancel('never armed');
    t.advance(1000);
    expect(fired).to.deep.equal([]);
  });

  it('repeats at the delay when `fire` arms the item again (a keepalive tick)', () => {
    const t = fakeTime();
    const ticks: number[] = [];
    const q = new DelayQueue<string>(50, (item, queue) => { ticks.push(t.clock()); if (ticks.length < 4) queue.arm(item); }, t.clock, t.timers);
    q.arm('s');
    t.advance(1000);
    expect(ticks).to.deep.equal([1050, 1100, 1150, 1200]);
    expect(t.armed()).to.equal(0);
  });

  it('still serves the items behind one whose `fire` threw', () => {
    const t = fakeTime();
    const fired: string[] = [];
    const q = new DelayQueue<string>(10, (item) => { if (item === 'bad') throw new Error('boom'); fired.push(item); }, t.clock, t.timers);
    q.arm('bad');
    t.advance(1);
    q.arm('good');
    expect(() => t.advance(10)).to.throw('boom');
    t.advance(10);
    expect(fired).to.deep.equal(['good']);
  });

  it('DelayQueues keeps one queue per delay and cancels in whichever holds the item', () => {
    const t = fakeTime();
    const fired: Array<[string, number]> = [];
    const qs = new DelayQueues<string>((item, q) => fired.push([item, q.delayMs]), t.clock, t.timers);
    qs.of(100).arm('slow');
    qs.of(10).arm('fast');
    qs.of(10).arm('gone');
    expect(qs.of(10)).to.equal(qs.of(10));
    qs.cancel('gone');
    t.advance(200);
    expect(fired).to.deep.equal([['fast', 10], ['slow', 100]]);
  });
});
