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

/** The part of knex's tarn pool asked here. */
type PoolState = { numUsed(): number; numPendingAcquires(): number; numPendingCreates(): number };

/** SQLite: statements prepared once per connection, kept while the connection lives. */
function sqliteDirect(knex: Knex): DirectSql {
  const client = knex.client as { pool?: PoolState; acquireConnection(): Promise<Database>; releaseConnection(db: Database): void };
  const cache = new WeakMap<Database, Map<string, Statement>>();
  /** The pool's connection, as last acquired from it. */
  let known: Database | null = null;
  function onDb<T>(db: Database, fn: (prepare: (sql: string) => Statement, db: Database) => T): T {
    let statements = cache.get(db);
    if (!statements) cache.set(db, (statements = new Map()));
    const prepare = (sql: string): Statement => {
      let st = statements!.get(sql);
      if (!st) statements!.set(sql, (st = db.prepare(sql)));
      return st;
    };
    return fn(prepare, db);
  }
  // The pool has one connection (knexConfig: max 1), so holding it here also waits for a knex
  // transaction in progress and keeps these statements out of it.
  async function withDb<T>(fn: (prepare: (sql: string) => Statement, db: Database) => T): Promise<T> {
    // While nothing holds the connection and nobody waits for it, it is used without the pool's
    // acquire and release: they cost a pending operation, a timer and several promises per query,
    // more than most queries (a login's seven reads: 52 µs through the pool, 33 µs without;
    // BENCHMARKS.md finding 18). The work below is synchronous, so nothing can take the connection
    // meanwhile. A connection the pool has destroyed is closed, and the next query acquires the new one.
    const pool = client.pool;
    if (known?.open && pool && pool.numUsed() === 0 && pool.numPendingAcquires() === 0 && pool.numPendingCreates() === 0) return onDb(known, fn);
    const db = await client.acquireConnection();
    known = db;
    try {
      return onDb(db, fn);
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
