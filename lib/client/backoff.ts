// Exponential backoff with jitter for reconnects and RATE_LIMITED retries. Pure: the random source is
// injectable so specs can pin it.

export type BackoffOptions = {
  /** First delay before jitter (ms). */
  initialMs?: number;
  /** Cap on the delay before jitter (ms). */
  maxMs?: number;
  /** Growth per attempt. */
  factor?: number;
  /**
   * Share of each delay that is random, 0..1: the wait is d·(1 − jitter) + d·jitter·random().
   * 0.5 ("equal jitter") keeps at least half the delay, so clients that lost the same server do not
   * come back in one wave, yet none retries much sooner than planned.
   */
  jitter?: number;
  random?: () => number;
};

export const RECONNECT_BACKOFF: Required<Omit<BackoffOptions, 'random'>> = Object.freeze({ initialMs: 250, maxMs: 10_000, factor: 2, jitter: 0.5 });

export class Backoff {
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly factor: number;
  private readonly jitter: number;
  private readonly random: () => number;
  private n = 0;

  constructor(opts: BackoffOptions = {}) {
    const o = { ...RECONNECT_BACKOFF, random: Math.random, ...opts };
    if (!(o.initialMs > 0) || !(o.maxMs >= o.initialMs)) throw new RangeError('backoff: need 0 < initialMs <= maxMs');
    if (!(o.factor >= 1)) throw new RangeError('backoff: factor must be >= 1');
    if (!(o.jitter >= 0 && o.jitter <= 1)) throw new RangeError('backoff: jitter must be within 0..1');
    this.initialMs = o.initialMs;
    this.maxMs = o.maxMs;
    this.factor = o.factor;
    this.jitter = o.jitter;
    this.random = o.random;
  }

  /** How many delays were handed out since the last reset. */
  get attempts(): number { return this.n; }

  /** The delay before jitter for the next attempt. */
  peek(): number {
    return Math.min(this.maxMs, this.initialMs * this.factor ** Math.min(this.n, 64));
  }

  /** The next delay (ms), jittered; each call grows the next one until maxMs. */
  next(): number {
    const d = this.peek();
    this.n++;
    const r = Math.min(1, Math.max(0, this.random()));
    return Math.round(d * (1 - this.jitter) + d * this.jitter * r);
  }

  /** After a success: the next delay starts from initialMs again. */
  reset(): void { this.n = 0; }
}
