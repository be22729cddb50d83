// bench/lib/stats.ts: the latency histogram every fan-out and chat figure is read from. Its
// quantiles must stay within its stated ~1 % of the exact ones, and merging the generators' parts
// must give what one histogram of everything gives.
import { expect } from 'chai';
import { Histogram, medianBy, percentile } from '../../bench/lib/stats.js';

/** A deterministic spread of latencies from 3 µs to ~2 s (a linear congruential generator). */
function sample(n: number, seed = 7): number[] {
  let x = seed;
  return Array.from({ length: n }, () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return 3 + Math.pow(x / 2 ** 31, 4) * 2e6;
  });
}

describe('bench: Histogram', () => {
  it('gives quantiles within ~1 % of the exact percentile', () => {
    const xs = sample(20_000);
    const h = new Histogram();
    for (const x of xs) h.record(x);
    for (const q of [0.5, 0.9, 0.99, 0.999]) {
      const exact = percentile(xs, q);
      const got = h.quantile(q);
      expect(got, `q=${q}`).to.be.within(exact, exact * 1.0101 + 1);
    }
    expect(h.quantile(1)).to.equal(Math.max(...xs));
  });

  it('merges parts sent over IPC into exactly the histogram of the whole', () => {
    const xs = sample(5000, 11);
    const whole = new Histogram();
    const parts = [new Histogram(), new Histogram(), new Histogram()];
    xs.forEach((x, i) => { whole.record(x); parts[i % 3]!.record(x); });
    const merged = new Histogram();
    for (const p of parts) merged.merge(JSON.parse(JSON.stringify(p.toData())));
    expect(merged.count).to.equal(whole.count);
    expect(merged.max).to.equal(whole.max);
    for (const q of [0.5, 0.99]) expect(merged.quantile(q)).to.equal(whole.quantile(q));
  });

  it('counts a NaN or negative value as 0 instead of poisoning the buckets, and is empty as NaN', () => {
    const h = new Histogram();
    expect(h.quantile(0.5)).to.be.NaN;
    h.record(Number.NaN);
    h.record(-5);
    h.record(50);
    expect(h.count).to.equal(3);
    expect(h.quantile(0.5)).to.equal(1);
    expect(h.quantile(1)).to.equal(50);
  });

  it('medianBy picks the middle sample by its key, keeping its other fields, and refuses no samples', () => {
    const fills = [{ perSec: 400, cpu: 2.9 }, { perSec: 310, cpu: 3.5 }, { perSec: 520, cpu: 2.4 }];
    expect(medianBy(fills, (f) => f.perSec)).to.deep.equal({ perSec: 400, cpu: 2.9 });
    expect(fills.map((f) => f.perSec)).to.deep.equal([400, 310, 520]); // the input is not sorted in place
    expect(medianBy([3, 1, 4, 2], (x) => x)).to.equal(2);
    expect(() => medianBy([], (x: number) => x)).to.throw(RangeError);
  });
});
