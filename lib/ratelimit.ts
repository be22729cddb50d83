// Token buckets for flood control (per session) and failed-login throttling (per IP).

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(private readonly burst: number, private readonly perSecond: number, now = Date.now()) {
    this.tokens = burst;
    this.last = now;
  }

  /** Takes one token if there is one. */
  take(now = Date.now()): boolean {
    this.refill(now);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Puts back a token taken for work that turned out not to count (a login that succeeded). */
  give(now = Date.now()): void {
    this.refill(now);
    this.tokens = Math.min(this.burst, this.tokens + 1);
  }

  /** True when a token is available, without taking it. */
  peek(now = Date.now()): boolean {
    this.refill(now);
    return this.tokens >= 1;
  }

  /** Milliseconds until a token is available (0 when one is). */
  waitMs(now = Date.now()): number {
    this.refill(now);
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) / this.perSecond) * 1000);
  }

  /** True when the bucket is full again, so a keyed map can forget it. */
  full(now = Date.now()): boolean {
    this.refill(now);
    return this.tokens >= this.burst;
  }

  private refill(now: number): void {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
  }
}

/** Buckets by key (an IP), swept when full so the map cannot grow without bound. */
export class KeyedBuckets {
  private readonly map = new Map<string, TokenBucket>();
  constructor(private readonly burst: number, private readonly perSecond: number, private readonly maxKeys = 100_000) {}

  get(key: string): TokenBucket {
    let b = this.map.get(key);
    if (!b) {
      if (this.map.size >= this.maxKeys) this.sweep();
      b = new TokenBucket(this.burst, this.perSecond);
      this.map.set(key, b);
    }
    return b;
  }

  sweep(now = Date.now()): void {
    for (const [k, b] of this.map) if (b.full(now)) this.map.delete(k);
  }
}

/** Counts events in a sliding window (RATE_LIMITED answers before bye FLOOD). */
export class WindowCounter {
  private times: number[] = [];
  constructor(private readonly limit: number, private readonly windowMs: number) {}

  /** Records one event; true when the limit is reached within the window. */
  hit(now = Date.now()): boolean {
    this.times.push(now);
    while (this.times.length && this.times[0] <= now - this.windowMs) this.times.shift();
    return this.times.length >= this.limit;
  }
}
