// When the frames a node's sessions hold are written. A session holds what it is sent (Session.write)
// and is flushed here, together with every other session written to meanwhile:
// - normally at the end of the current tick, so the frames of one event (a message, its events) go
//   out as one TLS record per session, with no added latency;
// - while the node writes more than limits.writeCoalesceAbove frames per second AND output comes
//   often enough that a window of limits.writeCoalesceMs would hold two turns of it, in windows: a
//   window opens with a turn's output and is written once it holds as many turns as windows held on
//   average last period (at least 2), or after writeCoalesceMs. Two messages 5 ms apart into a room
//   of 100 (200 msg/s) then share one record and one syscall per member, the first waiting for the
//   second (~5 ms), not for the whole window; at 20 msg/s into 1,000 (the same frames/s) a window
//   would join nothing, so nothing waits.
// A TLS write costs ~10 µs of CPU (encrypt, syscall, and on loopback the peer's receive path) whatever
// its size up to a record; in a busy room that per-write cost, not the bytes, is the bill: two frames
// per write cost ~0.65× of one each (BENCHMARKS.md, Performance II).
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
  /** Event-loop turns that produced output, this period (see newEvent). */
  private events = 0;
  private inEvent = false;
  /** The open window's timer, and how many turns' output it holds. */
  private timer: NodeJS.Timeout | null = null;
  private windowEvents = 0;
  /** Turns a window takes before it is written: as many as a window saw on average last period, at least 2. */
  private windowTarget = 2;
  private periodStart: number;
  /** True while the last period's rates called for windows (see the top of this file). */
  busy = false;

  constructor(private readonly limits: () => CoalesceLimits, private readonly now: () => number = () => performance.now()) {
    this.periodStart = this.now();
  }

  /** `s` holds output now: it is flushed at the next flush. */
  add(s: HoldsOutput): void {
    this.dirty.push(s);
    if (!this.inEvent) this.newEvent();
    if (this.scheduled) return;
    this.scheduled = true;
    const wait = this.busy ? this.limits().writeCoalesceMs : 0;
    if (wait > 0) {
      this.windowEvents = 1;
      this.timer = setTimeout(this.flush, wait);
    } else {
      process.nextTick(this.flush);
    }
  }

  /**
   * The first output of an event-loop turn (a message, a command's answer): counted (the rate of
   * turns decides whether windows pay), and in an open window, the turn that brings it to its
   * target closes it at the end of this turn.
   */
  private newEvent(): void {
    this.inEvent = true;
    this.events++;
    process.nextTick(this.endEvent);
    if (this.timer !== null && ++this.windowEvents >= this.windowTarget) {
      clearTimeout(this.timer);
      this.timer = null;
      process.nextTick(this.flush);
    }
  }

  private readonly endEvent = (): void => { this.inEvent = false; };

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

  /** True while held output waits for its flush. */
  get pending(): boolean { return this.scheduled; }

  /** One frame was written to some session (the rate that turns waiting on and off). */
  counted(): void { this.frames++; }

  readonly flush = (): void => {
    this.scheduled = false;
    if (this.timer !== null) { clearTimeout(this.timer); this.timer = null; }
    const dirty = this.dirty;
    this.dirty = [];
    for (const s of dirty) s.flushOutput();
    this.lastParts = this.lastJoined = null;
    const t = this.now();
    const elapsed = t - this.periodStart;
    const above = this.limits().writeCoalesceAbove;
    if (elapsed >= RATE_PERIOD_MS) {
      // Waiting pays only when another event is likely within the window: at 20 messages/s into a
      // room of 1,000 (20,000 frames/s) a 6 ms window would join nothing and only delay.
      const perWindow = (this.events * this.limits().writeCoalesceMs) / elapsed;
      this.busy = (this.frames * 1000) / elapsed > above && perWindow >= 0.5;
      this.windowTarget = Math.max(2, Math.ceil(perWindow));
      this.frames = 0;
      this.events = 0;
      this.periodStart = t;
    } else if (this.frames > (above * RATE_PERIOD_MS) / 1000 && (this.events * this.limits().writeCoalesceMs) / RATE_PERIOD_MS >= 0.5) {
      // Over the period's allowance already, in turns that windows would join: a burst need not
      // wait for the period to end (a few huge turns, a big room at a slow pace, are no burst).
      this.busy = true;
    }
  };
}
