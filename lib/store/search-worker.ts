// SQLite search off the event loop. better-sqlite3 is synchronous, and an FTS5 query walks every
// match of its words before the room filter applies: from a session whose rooms hold few of a common
// word's matches, that is every match in the database (~70 ms per 300,000, more per extra word), all
// of it on chatd's one thread, where chat waits. FTS5 cannot take such a walk in cheap steps (a
// descending scan resumed below a rowid starts again from the newest match), so the query runs on a
// worker thread over a read-only connection of its own: WAL lets it read while chatd writes.
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import Database, { type Statement } from 'better-sqlite3';

const ROLE = 'chatd/search-worker';
/** Queries waiting for the worker at most; more are refused at once (the caller answers SERVICE_UNAVAILABLE). */
export const SEARCH_QUEUE_MAX = 16;

type Request = { id: number; sql: string; params: unknown[] };
type Reply = { id: number; rows?: unknown[]; error?: string };
type Waiter = { resolve(rows: any[]): void; reject(e: Error): void };

export class SqliteSearchReader {
  private worker: Worker | null = null;
  private seq = 0;
  private readonly waiting = new Map<number, Waiter>();

  constructor(private readonly filename: string) {}

  /** Every row of a read-only query, read on the worker thread. */
  all(sql: string, params: unknown[]): Promise<any[]> {
    if (this.waiting.size >= SEARCH_QUEUE_MAX) return Promise.reject(new Error(`${SEARCH_QUEUE_MAX} searches are running already`));
    const worker = this.worker ?? this.spawn();
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.ref(); // whoever awaits the answer needs the process up; unref'd again when idle
      worker.postMessage({ id, sql, params } satisfies Request);
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    this.failAll(new Error('search worker closed'));
    if (worker) await worker.terminate();
  }

  private spawn(): Worker {
    const worker = new Worker(new URL(import.meta.url), { workerData: { role: ROLE, filename: this.filename } });
    worker.on('message', (r: Reply) => {
      const w = this.waiting.get(r.id);
      if (!w) return;
      this.waiting.delete(r.id);
      if (!this.waiting.size) worker.unref();
      if (r.error === undefined) w.resolve(r.rows ?? []);
      else w.reject(new Error(r.error));
    });
    // A crash fails what it was asked; the next query starts a new worker.
    const lost = (e: Error) => {
      if (this.worker !== worker) return;
      this.worker = null;
      this.failAll(e);
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`search worker exited with code ${code}`)));
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private failAll(e: Error): void {
    const all = [...this.waiting.values()];
    this.waiting.clear();
    for (const w of all) w.reject(e);
  }
}

/**
 * MySQL/MariaDB search: at most `running` searches use the pool at once, `waiting` more wait their
 * turn, and the next is refused. From a quiet room the FULLTEXT index produces every match of the
 * words in the database (seconds on a large one); without a bound, a few users' sessions searching
 * at once held all of the pool's connections, and logins and history writes waited behind them.
 */
export class SearchGate {
  private active = 0;
  private readonly queue: Array<() => void> = [];

  constructor(private readonly running: number, private readonly waiting: number) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.active >= this.running) {
      if (this.queue.length >= this.waiting) throw new Error(`${this.running + this.waiting} searches are running or waiting already`);
      await new Promise<void>((resolve) => this.queue.push(resolve));
    } else this.active++;
    try {
      return await work();
    } finally {
      const next = this.queue.shift();
      if (next) next(); // the slot passes on
      else this.active--;
    }
  }
}

function serve(filename: string): void {
  const db = new Database(filename, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  // The statements are few: the rooms' count and `from:` vary them, each bounded.
  const statements = new Map<string, Statement>();
  parentPort!.on('message', (req: Request) => {
    try {
      let st = statements.get(req.sql);
      if (!st) statements.set(req.sql, (st = db.prepare(req.sql)));
      parentPort!.postMessage({ id: req.id, rows: st.all(...req.params) } satisfies Reply);
    } catch (e) {
      parentPort!.postMessage({ id: req.id, error: (e as Error).message } satisfies Reply);
    }
  });
}

if (!isMainThread && (workerData as { role?: string } | null)?.role === ROLE) serve((workerData as { filename: string }).filename);
