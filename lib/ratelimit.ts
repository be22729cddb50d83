// Token buckets for flood control (per session) and failed-login throttling (per IP).

/** Milliseconds on the wall clock; specs inject a fake one. */
export type Clock = () => number;

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(private burst: number, private perSecond: number, private readonly clock: Clock = Date.now) {
    this.tokens = burst;
    this.last = clock();
  }

  /** New limits (a config reload): tokens earned so far are kept, up to the new burst. */
  configure(burst: number, perSecond: number, now = this.clock()): void {
    this.refill(now);
    this.burst = burst;
    this.perSecond = perSecond;
    this.tokens = Math.min(this.tokens, burst);
  }

  /** Takes one token if there is one. */
  take(now = this.clock()): boolean {
    this.refill(now);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Puts back a token taken for work that turned out not to count (a login that succeeded). */
  give(now = this.clock()): void {
    this.refill(now);
    this.tokens = Math.min(this.burst, this.tokens + 1);
  }

  /** True when a token is available, without taking it. */
  peek(now = this.clock()): boolean {
    this.refill(now);
    return this.tokens >= 1;
  }

  /** Milliseconds until a token is available (0 when one is). */
  waitMs(now = this.clock()): number {
    this.refill(now);
    // Less a nanosecond before rounding up: float dust (0.998 tokens is 1.0000000000000009 ms short
    // at 2/s) must not add a whole millisecond.
    return this.tokens >= 1 ? 0 : Math.max(1, Math.ceil(((1 - this.tokens) / this.perSecond) * 1000 - 1e-6));
  }

  /** True when the bucket is full again, so a keyed map can forget it. */
  full(now = this.clock()): boolean {
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
  constructor(private burst: number, private perSecond: number, private readonly maxKeys = 100_000, private readonly clock: Clock = Date.now) {}

  configure(burst: number, perSecond: number): void {
    this.burst = burst;
    this.perSecond = perSecond;
    for (const b of this.map.values()) b.configure(burst, perSecond);
  }

  get(key: string): TokenBucket {
    let b = this.map.get(key);
    if (!b) {
      if (this.map.size >= this.maxKeys) this.sweep();
      b = new TokenBucket(this.burst, this.perSecond, this.clock);
      this.map.set(key, b);
    }
    return b;
  }

  /**
   * Forgets the buckets that are full again. When the map is still nine-tenths full after that (a
   * flood from more addresses than maxKeys, each still owing tokens), the oldest keys go too, down to
   * nine-tenths: otherwise every new address would walk the whole map again, and the map would grow
   * without bound. Forgiving the oldest debtors then costs nothing an attacker with that many
   * addresses does not have already.
   */
  sweep(now = this.clock()): void {
    for (const [k, b] of this.map) if (b.full(now)) this.map.delete(k);
    evictOldest(this.map, Math.floor(this.maxKeys * 0.9));
  }
}

/**
 * A budget everyone shares, each key (an address) drawing on its own share first: log lines, so that
 * one address refused over and over cannot spend them all and hide another's. A key past its share
 * does not spend the common budget either.
 */
export class SharedBudget {
  private readonly shares: KeyedBuckets;
  private readonly common: TokenBucket;

  constructor(share: { burst: number; perSecond: number }, common: { burst: number; perSecond: number }, private readonly clock: Clock = Date.now) {
    this.shares = new KeyedBuckets(share.burst, share.perSecond, 100_000, clock);
    this.common = new TokenBucket(common.burst, common.perSecond, clock);
  }

  take(key: string, now = this.clock()): boolean {
    return this.shares.get(key).take(now) && this.common.take(now);
  }
}

/** Deletes a Map's first-inserted keys until it holds at most `keep`. */
export function evictOldest(map: Map<string, unknown>, keep: number): void {
  if (map.size <= keep) return;
  let drop = map.size - keep;
  for (const k of map.keys()) {
    if (drop-- <= 0) break;
    map.delete(k);
  }
}

/** Counts events in a sliding window (RATE_LIMITED answers before bye FLOOD). */
export class WindowCounter {
  private times: number[] = [];
  constructor(private limit: number, private windowMs: number, private readonly clock: Clock = Date.now) {}

  configure(limit: number, windowMs: number): void {
    this.limit = limit;
    this.windowMs = windowMs;
  }

  /** Records one event; true when the limit is reached within the window. */
  hit(now = this.clock()): boolean {
    this.times.push(now);
    while (this.times.length && this.times[0] <= now - this.windowMs) this.times.shift();
    return this.times.length >= this.limit;
  }
}
