// What every part of the Store stands on: the connection (knex), the parsed target, the fixed-SQL
// runner, and opening/closing. Its own module so each concern's module (accounts.ts, dms.ts, ...)
// can extend it and reach the same knex and `direct` without importing the Store itself.
import knexFactory, { type Knex } from 'knex';
import { directSql, type DirectSql } from './direct.js';
import { SearchGate, SEARCH_QUEUE_MAX, SqliteSearchReader } from './search-worker.js';
import { knexConfig, parseDbUrl, redact, type DbTarget, type StoreOptions } from './url.js';

export abstract class StoreCore {
  readonly knex: Knex;
  readonly target: DbTarget;
  readonly url: string;
  protected readonly direct: DirectSql;
  /** SQLite file databases: search's read-only connection on a worker thread, started at the first search. */
  private reader: SqliteSearchReader | null = null;
  /** MySQL/MariaDB: searches using the pool at once (the rest of chatd keeps the other connections). */
  protected readonly searchGate = new SearchGate(2, SEARCH_QUEUE_MAX - 2);

  /** MySQL: the open connections, for close() to cut the ones a silent database keeps busy. */
  private readonly connections = new Set<{ stream: { destroy(e?: Error): void; once(ev: 'close', f: () => void): void } }>();

  constructor(url: string, opts: StoreOptions = {}) {
    this.url = url;
    this.target = parseDbUrl(url);
    this.knex = knexFactory(knexConfig(this.target, {
      ...opts,
      opened: (conn) => {
        // On the socket: knex strips the connection's own listeners when it lets one go.
        this.connections.add(conn);
        conn.stream.once('close', () => this.connections.delete(conn));
      },
    }));
    this.direct = directSql(this.knex, this.target.kind);
  }

  get description(): string { return redact(this.url); }

  async ping(): Promise<void> { await this.knex.raw('select 1'); }

  /** The search reader, or null where there is no file to open a second connection on (MySQL, :memory:). */
  protected searchReader(): SqliteSearchReader | null {
    if (this.target.kind !== 'sqlite' || this.target.filename === ':memory:') return null;
    return (this.reader ??= new SqliteSearchReader(this.target.filename));
  }

  /**
   * Closes the pool. knex's destroy waits for every connection in use to be given back, and one
   * whose statement went into a silent database path is not, for hours: after `waitMs` those are
   * cut (their statements fail), so a stop ends in its grace period.
   */
  async close(waitMs = 1000): Promise<void> {
    await this.reader?.close();
    const cut = setTimeout(() => {
      for (const c of this.connections) c.stream.destroy(new Error('store closed; the database did not answer'));
    }, waitMs);
    try { await this.knex.destroy(); } finally { clearTimeout(cut); }
  }
}
