// When the frames a node's sessions hold are written. A session holds what it is sent (Session.write)
// and is flushed here, together with every other session written to meanwhile:
// - normally at the end of the current tick, so the frames of one event (a message, its events) go
//   out as one TLS record per session, with no added latency;
// - while the node writes more than limits.writeCoalesceAbove frames per second, after up to
//   limits.writeCoalesceMs, so that the frames of several messages share one record and one syscall.
// A TLS write costs ~10 µs of CPU (encrypt, syscall, and on loopback the peer's receive path) whatever
// its size up to a record; in a busy room that per-write cost, not the bytes, is the bill (BENCHMARKS.md,
// Performance II). The wait is bounded and only taken under load, when a message already waits
// behind a queue of writes of about that length.
import { performance } from 'node:perf_hooks';

/** A session whose output this coalescer flushes. */
export interface HoldsOutput {
  /** Writes out the frames held, if any. */
  flushOutput(): void;
}

export type CoalesceLimits = { writeCoalesceMs: number; writeCoalesceAbove: number };

/** How long the write rate is averaged over before it decides whether flushes wait. */
const RATE_PERIOD_MS = 100;

export class WriteCoalescer {
  private dirty: HoldsOutput[] = [];
  /** The last join() of this flush: members of one room hold the same frames, so they share one buffer. */
  private lastParts: Buffer[] | null = null;
  private lastJoined: Buffer | null = null;
  private scheduled = false;
  private frames = 0;
  private periodStart: number;
  /** True while the last period's rate was over the threshold: flushes then wait writeCoalesceMs. */
  busy = false;

  constructor(private readonly limits: () => CoalesceLimits, private readonly now: () => number = () => performance.now()) {
    this.periodStart = this.now();
  }

  /** `s` holds output now: it is flushed at the next flush. */
  add(s: HoldsOutput): void {
    this.dirty.push(s);
    if (this.scheduled) return;
    this.scheduled = true;
    const wait = this.busy ? this.limits().writeCoalesceMs : 0;
    if (wait > 0) setTimeout(this.flush, wait);
    else process.nextTick(this.flush);
  }

  /**
   * The frames one session holds, as one buffer. The members of a room are flushed one after the
   * other and mostly hold the same frames (the room's messages of this window): they get the same
   * buffer, made once, instead of a copy each (at 1,000 members the copies and their garbage
   * collection were a fifth of the node's time).
   */
  join(parts: Buffer[], bytes: number): Buffer {
    if (parts.length === 1) return parts[0]!;
    const last = this.lastParts;
    if (last !== null && last.length === parts.length) {
      let same = true;
      for (let i = 0; i < parts.length && same; i++) same = parts[i] === last[i];
      if (same) return this.lastJoined!;
    }
    this.lastParts = parts;
    return (this.lastJoined = Buffer.concat(parts, bytes));
  }

  /** One frame was written to some session (the rate that turns waiting on and off). */
  counted(): void { this.frames++; }

  readonly flush = (): void => {
    this.scheduled = false;
    const dirty = this.dirty;
    this.dirty = [];
    for (const s of dirty) s.flushOutput();
    this.lastParts = this.lastJoined = null;
    const t = this.now();
    const elapsed = t - this.periodStart;
    const above = this.limits().writeCoalesceAbove;
    if (elapsed >= RATE_PERIOD_MS) {
      this.busy = (this.frames * 1000) / elapsed > above;
      this.frames = 0;
      this.periodStart = t;
    } else if (this.frames > (above * RATE_PERIOD_MS) / 1000) {
      this.busy = true; // over the period's allowance already: a burst need not wait for the period to end
    }
  };
}
