// Fixed SQL for the hot queries (every login, every join, every history batch), run past knex's
// query builder and runner. On SQLite knex spends 60–70 µs per query building it, passing it
// through its runner and preparing the statement anew; the same statement prepared once on the
// pool's connection answers in ~10 µs (bench: BENCHMARKS.md, finding 3). On MySQL the network
// round trip dominates, so the same SQL text simply goes through `knex.raw`.
import type { Knex } from 'knex';
import type { Database, Statement } from 'better-sqlite3';

export interface DirectSql {
  /** Every row the query returns. */
  all(sql: string, params: unknown[]): Promise<any[]>;
  /** Runs a write; returns how many rows it changed. */
  run(sql: string, params: unknown[]): Promise<number>;
  /** SQLite only: runs `fn` inside one transaction with prepared statements; null on MySQL. */
  readonly sqlite: null | (<T>(fn: (prepare: (sql: string) => Statement) => T) => Promise<T>);
}

/** SQLite: statements prepared once per connection, kept while the connection lives. */
function sqliteDirect(knex: Knex): DirectSql {
  const client = knex.client as { acquireConnection(): Promise<Database>; releaseConnection(db: Database): void };
  const cache = new WeakMap<Database, Map<string, Statement>>();
  // The pool has one connection (knexConfig: max 1), so holding it here also waits for a knex
  // transaction in progress and keeps these statements out of it.
  async function withDb<T>(fn: (prepare: (sql: string) => Statement, db: Database) => T): Promise<T> {
    const db = await client.acquireConnection();
    try {
      let statements = cache.get(db);
      if (!statements) cache.set(db, (statements = new Map()));
      const prepare = (sql: string): Statement => {
        let st = statements!.get(sql);
        if (!st) statements!.set(sql, (st = db.prepare(sql)));
        return st;
      };
      return fn(prepare, db);
    } finally {
      client.releaseConnection(db);
    }
  }
  return {
    all: (sql, params) => withDb((prepare) => prepare(sql).all(...params) as any[]),
    run: (sql, params) => withDb((prepare) => prepare(sql).run(...params).changes),
    sqlite: (fn) => withDb((prepare, db) => db.transaction(() => fn(prepare))()),
  };
}

function mysqlDirect(knex: Knex): DirectSql {
  return {
    all: async (sql, params) => (await knex.raw(sql, params as Knex.RawBinding[]))[0],
    run: async (sql, params) => Number((await knex.raw(sql, params as Knex.RawBinding[]))[0].affectedRows),
    sqlite: null,
  };
}

export function directSql(knex: Knex, kind: 'sqlite' | 'mysql'): DirectSql {
  return kind === 'sqlite' ? sqliteDirect(knex) : mysqlDirect(knex);
}
