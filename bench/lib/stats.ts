// Latency histogram with ~1 % relative precision: cheap to record millions of deliveries in the
// load generator, small to send over IPC, exact to merge across generator processes.
//
// Values are microseconds. Bucket i < LINEAR holds [i, i+1) µs; above that, bucket widths grow by
// GROWTH, so 10 µs and 10 s are both resolved to about 1 %.

const LINEAR = 100;
const GROWTH = 1.01;
const LOG_GROWTH = Math.log(GROWTH);
const MAX_US = 600e6; // 10 minutes: anything later is clamped into the last bucket
const BUCKETS = LINEAR + Math.ceil(Math.log(MAX_US / LINEAR) / LOG_GROWTH) + 1;

export class Histogram {
  readonly counts = new Float64Array(BUCKETS);
  count = 0;
  max = 0;

  record(us: number): void {
    if (!(us >= 0)) us = 0; // clocks are monotonic, but a NaN must not poison the buckets
    this.counts[bucketOf(us)]!++;
    this.count++;
    if (us > this.max) this.max = us;
  }

  merge(other: HistogramData): void {
    for (let i = 0; i < BUCKETS && i < other.counts.length; i++) this.counts[i]! += other.counts[i]!;
    this.count += other.count;
    if (other.max > this.max) this.max = other.max;
  }

  /** The value at quantile q (0..1), in µs: the upper edge of the bucket it falls in. */
  quantile(q: number): number {
    if (this.count === 0) return NaN;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(upperEdge(i), this.max);
    }
    return this.max;
  }

  /** A plain object for IPC (sparse: only non-empty buckets). */
  toData(): HistogramData {
    const counts: number[] = [];
    let last = -1;
    for (let i = 0; i < BUCKETS; i++) if (this.counts[i]) last = i;
    for (let i = 0; i <= last; i++) counts.push(this.counts[i]!);
    return { counts, count: this.count, max: this.max };
  }

  static from(data: HistogramData): Histogram {
    const h = new Histogram();
    h.merge(data);
    return h;
  }
}

export type HistogramData = { counts: number[]; count: number; max: number };

function bucketOf(us: number): number {
  if (us < LINEAR) return Math.floor(us);
  if (us >= MAX_US) return BUCKETS - 1;
  return LINEAR + Math.floor(Math.log(us / LINEAR) / LOG_GROWTH);
}

function upperEdge(i: number): number {
  if (i < LINEAR) return i + 1;
  return LINEAR * Math.pow(GROWTH, i - LINEAR + 1);
}

/** Exact percentile (q in 0..1, nearest rank) of a small sample: hash and history query times. */
export function percentile(xs: number[], q: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

/** The sample whose `key` is the median (the lower middle one for an even count): a figure that is one of the runs, with its other fields. */
export function medianBy<T>(xs: readonly T[], key: (x: T) => number): T {
  if (!xs.length) throw new RangeError('medianBy of no samples');
  return [...xs].sort((a, b) => key(a) - key(b))[(xs.length - 1) >> 1]!;
}
