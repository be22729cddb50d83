// One timer for many items that all wait the same delay: a session's login timeout and its
// keepalive tick without a Node timer (a Timeout object and a closure, ~180 bytes) per session.
import { performance } from 'node:perf_hooks';
import type { Clock } from './ratelimit.js';

/** The timer functions a queue arms; specs inject a fake clock and fake timers. */
export type Timers = {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
};

/** Monotonic, as Node's own timers are: a wall clock set back must not hold every item back. */
const MONOTONIC: Clock = () => performance.now();

const NODE_TIMERS: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/**
 * Items that each become due `delayMs` after they were armed, all with the same delay, so the
 * first armed is the first due: a Map in insertion order is the whole schedule, and one timer
 * stands for its head. Due items are handed to `fire` in order, each at the time its own
 * setTimeout would have run (the queue's timer is set for the head's due time, to the
 * millisecond); an item armed again moves to the end. The timer keeps the process alive while
 * anything is queued, as the per-item timers did.
 */
export class DelayQueue<T> {
  private readonly due = new Map<T, number>();
  private timer: unknown = null;
  /** Handing due items out: whatever they arm is scheduled once that is over. */
  private running = false;

  constructor(
    readonly delayMs: number,
    private readonly fire: (item: T, queue: DelayQueue<T>) => void,
    private readonly clock: Clock = MONOTONIC,
    private readonly timers: Timers = NODE_TIMERS,
  ) {}

  get size(): number { return this.due.size; }

  has(item: T): boolean { return this.due.has(item); }

  /** Due `delayMs` from now; an item already queued is moved to the end with its new due time. */
  arm(item: T): void {
    this.due.delete(item);
    this.due.set(item, this.clock() + this.delayMs);
    if (this.timer === null && !this.running) this.schedule();
  }

  cancel(item: T): void {
    if (!this.due.delete(item) || this.due.size || this.timer === null) return;
    this.timers.clearTimeout(this.timer);
    this.timer = null;
  }

  /** Hands every due item to `fire`, oldest first; an item `fire` arms again waits its full delay. */
  private run(): void {
    this.timer = null;
    this.running = true;
    const now = this.clock();
    try {
      // An item armed meanwhile is due after `now` and lands at the end, so the loop stops before it.
      for (const [item, at] of this.due) {
        if (at > now) break;
        this.due.delete(item);
        this.fire(item, this);
      }
    } finally {
      this.running = false;
      this.schedule(); // also after a `fire` that threw: the items behind it still get their turn
    }
  }

  private schedule(): void {
    const head = this.due.values().next();
    if (head.done) return;
    this.timer = this.timers.setTimeout(() => this.run(), Math.max(0, head.value - this.clock()));
  }
}

/** The queues of one kind, one per delay (a config reload makes new sessions use a new delay). */
export class DelayQueues<T> {
  private readonly byDelay = new Map<number, DelayQueue<T>>();

  constructor(private readonly fire: (item: T, queue: DelayQueue<T>) => void, private readonly clock: Clock = MONOTONIC, private readonly timers: Timers = NODE_TIMERS) {}

  /** The queue for `delayMs`; an emptied one is dropped on the next call. */
  of(delayMs: number): DelayQueue<T> {
    let q = this.byDelay.get(delayMs);
    if (!q) {
      for (const [d, other] of this.byDelay) if (!other.size) this.byDelay.delete(d);
      this.byDelay.set(delayMs, (q = new DelayQueue(delayMs, this.fire, this.clock, this.timers)));
    }
    return q;
  }

  /** Takes `item` out of whichever queue holds it. */
  cancel(item: T): void {
    for (const q of this.byDelay.values()) q.cancel(item);
  }
}
