// limits.retentionDays (issue 15): messages and DMs older than that are deleted, at start and hourly, in
// small batches with a pause between them. Each batch is one short statement (on SQLite it runs on
// the event loop, ~3 ms for 500 rows with their FTS entries), so chat is never held up for longer
// than one batch however much is due; BENCHMARKS.md has chat p99 while 1,000,000 rows go.
// 0 keeps everything. The value is read at every run, so a SIGHUP reload applies from the next one.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from './log.js';
import type { Store } from './store/index.js';
import { withTimeout } from './timeout.js';

export const DAY_MS = 86_400_000;
export const RETENTION_INTERVAL_MS = 3_600_000;
export const RETENTION_BATCH = 500;
export const RETENTION_PAUSE_MS = 10;

export type RetentionLimits = { retentionDays: number; dbTimeoutMs: number };
export type RetentionOptions = {
  batch?: number; pauseMs?: number; intervalMs?: number;
  /** Called at every run with its cutoff (ms): what the node remembers of older messages goes too. */
  forget?: (before: number) => void;
};

export class Retention {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;
  private stopped = false;

  constructor(private readonly store: Store, private readonly limits: RetentionLimits, private readonly log: Logger, private readonly opts: RetentionOptions = {}) {}

  /** The first run now (not awaited: a large backlog must not delay listening), then hourly. */
  start(): void {
    this.stopped = false;
    this.trigger();
    this.timer = setInterval(() => this.trigger(), this.opts.intervalMs ?? RETENTION_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Resolves when the run in progress (if any) has ended, with how many messages and DMs it deleted. */
  settled(): Promise<number> { return this.running ?? Promise.resolve(0); }

  /** Starts a run unless one is still going (a long backlog outlasting the interval). */
  trigger(): Promise<number> {
    if (!this.running) this.running = this.run().finally(() => { this.running = null; });
    return this.running;
  }

  private async run(): Promise<number> {
    const days = this.limits.retentionDays;
    if (!(days > 0)) return 0;
    const before = Date.now() - days * DAY_MS;
    // Even when this run deletes nothing: another node on the database may have deleted them first.
    this.opts.forget?.(before);
    const batch = this.opts.batch ?? RETENTION_BATCH;
    let deleted = 0;
    let dms = 0;
    try {
      deleted = await this.prune((n) => this.store.pruneMessages(before, n), batch);
      // DMs are messages too: a retention policy that kept them forever would not be one.
      dms = await this.prune((n) => this.store.pruneDms(before, n), batch);
    } catch (e) {
      if (!this.stopped) this.log.warn('retention: pruning failed; next try in an hour', { err: (e as Error).message, deleted, dms });
      return deleted + dms;
    }
    if (deleted || dms) this.log.info('retention: old messages deleted', { deleted, dms, olderThan: new Date(before).toISOString(), days });
    return deleted + dms;
  }

  /** Batches of one delete until one comes back short, pausing between them; how many rows went. */
  private async prune(batchDelete: (n: number) => Promise<number>, batch: number): Promise<number> {
    let deleted = 0;
    while (!this.stopped) {
      const n = await withTimeout(batchDelete(batch), this.limits.dbTimeoutMs);
      deleted += n;
      if (n < batch) break;
      await sleep(this.opts.pauseMs ?? RETENTION_PAUSE_MS); // the pause is what lets chat through
    }
    return deleted;
  }
}
