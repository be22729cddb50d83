// Attempts per key (an IP address) within a sliding window, for enrollment's RATE_LIMITED. Kept
// apart from the login throttle: enrollment has its own budget (DESIGN: 10 per IP per 10 minutes).
import { evictOldest } from '../ratelimit.js';

export class AttemptWindow {
  private readonly times = new Map<string, number[]>();
  private lastSweep = 0;

  constructor(
    private readonly limit: () => number, private readonly windowMs: () => number, private readonly clock = Date.now,
    private readonly maxKeys = 100_000,
  ) {}

  /**
   * Counts one attempt. false: within the limit; 'first': the first one over it in this window
   * (worth an audit line); 'again': over it again.
   */
  hit(key: string): false | 'first' | 'again' {
    const now = this.clock();
    const since = now - this.windowMs();
    if (this.times.size >= this.maxKeys || now - this.lastSweep > this.windowMs()) this.sweep(since, now);
    const list = (this.times.get(key) ?? []).filter((t) => t > since);
    list.push(now);
    this.times.set(key, list);
    const over = list.length - this.limit();
    // Only attempts within the limit are kept beyond it, so an ongoing flood cannot grow a list.
    if (over > 0) list.splice(this.limit(), list.length - this.limit() - 1);
    if (over <= 0) return false;
    return over === 1 ? 'first' : 'again';
  }

  /**
   * Forgets keys without an attempt in the window; if nine-tenths of maxKeys are still there (a flood
   * from that many addresses, an IPv6 range), the oldest go too, so that the next sweep is maxKeys / 10
   * new keys away instead of at every attempt, and the map stays bounded.
   */
  private sweep(since: number, now: number): void {
    this.lastSweep = now;
    for (const [k, list] of this.times) if (!list.some((t) => t > since)) this.times.delete(k);
    evictOldest(this.times, Math.floor(this.maxKeys * 0.9));
  }
}
