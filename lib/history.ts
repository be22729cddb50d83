// Message persistence off the hot path: messages are batched over limits.historyFlushMs (or until a
// batch is full) and written in one transaction. One transaction per message was a fifth of chatd's
// CPU in a busy room: each commit appends to the WAL and FTS5 writes a new index segment per
// transaction (BENCHMARKS.md, Performance II). Rows not yet written are still served: see
// pendingIn(). While the database is down they wait in a bounded queue (oldest dropped, logged) and
// are flushed, in order, when it answers again.
import type { Logger } from './log.js';
import type { MessageRow, Store } from './store/index.js';

/** Rows per transaction; a full batch is written at once, without waiting for the flush window. */
const BATCH = 500;

export class HistoryWriter {
  private queue: MessageRow[] = [];
  private flushing = false;
  private scheduled: NodeJS.Timeout | NodeJS.Immediate | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private retryMs = 250;
  private dropped = 0;
  private inflight = 0; // rows at the head of the queue being written right now
  private idleWaiters: Array<() => void> = [];
  down = false;

  /**
   * `max` and `flushMs` are settable: a config reload changes them (limits.writeQueueMax,
   * limits.historyFlushMs; 0 writes at the end of every event-loop turn).
   */
  constructor(private readonly store: Store, public max: number, private readonly log: Logger, public flushMs = 0) {}

  get pending(): number { return this.queue.length; }

  /** The messages of a room that are queued, oldest first: said, delivered, not yet (known to be) written. */
  pendingIn(room: string): MessageRow['frame'][] {
    const out: MessageRow['frame'][] = [];
    for (const r of this.queue) if (r.frame.room === room) out.push(r.frame);
    return out;
  }

  add(row: MessageRow): void {
    this.queue.push(row);
    // Rows being written do not count: they leave when the write ends, or become the oldest again
    // if it fails (and go first then, see flush). Memory stays within max + one batch.
    if (this.queue.length - this.inflight > this.max) this.drop(this.inflight, 1);
    if (this.retryTimer) return;
    if (this.queue.length - this.inflight >= BATCH) { this.unschedule(); void this.flush(); return; }
    if (this.scheduled) return;
    const run = () => { this.scheduled = null; void this.flush(); };
    this.scheduled = this.flushMs > 0 ? setTimeout(run, this.flushMs) : setImmediate(run);
  }

  private unschedule(): void {
    if (this.scheduled) { clearTimeout(this.scheduled as NodeJS.Timeout); clearImmediate(this.scheduled as NodeJS.Immediate); }
    this.scheduled = null;
  }

  private drop(at: number, n: number): void {
    this.queue.splice(at, n);
    const before = this.dropped;
    this.dropped += n;
    // Logged at the 1st, 1001st, 2001st… dropped message, not once per message.
    if (Math.floor((this.dropped - 1) / 1000) !== Math.floor((before - 1) / 1000)) {
      this.log.error('history queue full; dropping oldest unsaved messages', { max: this.max, dropped: this.dropped });
    }
  }

  /** Writes everything queued; on failure keeps it and retries with backoff (250 ms … 5 s). */
  async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.queue.length) {
        const batch = this.queue.slice(0, BATCH);
        this.inflight = batch.length;
        try {
          await this.store.insertMessages(batch);
        } catch (e) {
          this.inflight = 0;
          // The rows that were being written are the oldest: they go first when the bound is exceeded.
          if (this.queue.length > this.max) this.drop(0, this.queue.length - this.max);
          if (!this.down) this.log.error('database unavailable; queueing history writes', { err: (e as Error).message, queued: this.queue.length });
          this.down = true;
          this.scheduleRetry();
          return;
        }
        // Messages added while this batch was in flight sit behind it; drop exactly the written ones.
        this.queue.splice(0, batch.length);
        this.inflight = 0;
        if (this.down) {
          this.down = false;
          this.retryMs = 250;
          this.log.info('database back; history flushed', { dropped: this.dropped });
        }
      }
    } finally {
      this.flushing = false;
      if (!this.queue.length) for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  private scheduleRetry(): void {
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(() => { this.retryTimer = null; void this.flush(); }, this.retryMs);
    this.retryMs = Math.min(5000, this.retryMs * 2);
  }

  /** Resolves when the queue is empty, or after `ms` (shutdown must not hang on a dead database). */
  drain(ms: number): Promise<boolean> {
    if (!this.queue.length) return Promise.resolve(true);
    this.unschedule();
    void this.flush();
    return new Promise((resolve) => {
      const waiter = () => { clearTimeout(t); resolve(true); };
      // A wait that timed out leaves the list: while the database is down the queue never empties,
      // and every //search and resuming join of an outage would otherwise stay in it for good.
      const t = setTimeout(() => {
        const at = this.idleWaiters.indexOf(waiter);
        if (at >= 0) this.idleWaiters.splice(at, 1);
        resolve(false);
      }, ms);
      this.idleWaiters.push(waiter);
    });
  }

  stop(): void {
    this.unschedule();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }
}
