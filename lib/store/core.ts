// What every part of the Store stands on: the connection (knex), the parsed target, the fixed-SQL
// runner, and opening/closing. Its own module so each concern's module (accounts.ts, dms.ts, ...)
// can extend it and reach the same knex and `direct` without importing the Store itself.
import knexFactory, { type Knex } from 'knex';
import { directSql, type DirectSql } from './direct.js';
import { SearchGate, SEARCH_QUEUE_MAX, SqliteSearchReader } from './search-worker.js';
import { knexConfig, parseDbUrl, redact, type DbTarget } from './url.js';

export abstract class StoreCore {
  readonly knex: Knex;
  readonly target: DbTarget;
  readonly url: string;
  protected readonly direct: DirectSql;
  /** SQLite file databases: search's read-only connection on a worker thread, started at the first search. */
  private reader: SqliteSearchReader | null = null;
  /** MySQL/MariaDB: searches using the pool at once (the rest of chatd keeps the other connections). */
  protected readonly searchGate = new SearchGate(2, SEARCH_QUEUE_MAX - 2);

  constructor(url: string, opts: { connectTimeoutMs?: number } = {}) {
    this.url = url;
    this.target = parseDbUrl(url);
    this.knex = knexFactory(knexConfig(this.target, opts));
    this.direct = directSql(this.knex, this.target.kind);
  }

  get description(): string { return redact(this.url); }

  async ping(): Promise<void> { await this.knex.raw('select 1'); }

  /** The search reader, or null where there is no file to open a second connection on (MySQL, :memory:). */
  protected searchReader(): SqliteSearchReader | null {
    if (this.target.kind !== 'sqlite' || this.target.filename === ':memory:') return null;
    return (this.reader ??= new SqliteSearchReader(this.target.filename));
  }

  async close(): Promise<void> {
    await this.reader?.close();
    await this.knex.destroy();
  }
}
