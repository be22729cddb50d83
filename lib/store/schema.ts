// The Store's schema management (chat-migrate and startup): migrate, roll back, status, and the
// refusal of a schema newer than this build. Its own module: it runs before any data is touched.
import { setTimeout as sleep } from 'node:timers/promises';
import { SetupError } from '../errors.js';
import { StoreCore } from './core.js';
import { MIGRATIONS, migrationSource } from './migrations.js';

export abstract class SchemaStore extends StoreCore {
  // ---- schema -------------------------------------------------------------------------------
  private get migrator() { return this.knex.migrate; }
  private migrateConfig() { return { migrationSource }; }

  /**
   * Applies pending migrations; refuses a schema newer than this build knows. Returns names applied.
   * With nothing pending it takes no lock: a lock left behind by a process killed while migrating
   * must not keep chatd and chat-admin from a schema that is complete. `waitMs`: how long to wait for
   * another process's lock (several nodes starting at once: one migrates, the others wait).
   */
  async migrateLatest(opts: { waitMs?: number } = {}): Promise<string[]> {
    const waitMs = opts.waitMs ?? 30_000;
    const { pending } = await this.migrateStatus();
    if (!pending.length) return [];
    for (let waited = 0; ; waited += 250) {
      try {
        await this.ensureBookkeeping();
        const [, names] = await this.migrator.latest(this.migrateConfig());
        return names as string[];
      } catch (e) {
        if (!isLocked(e)) throw e;
        if (waited >= waitMs) throw this.lockHeld(`still held after ${Math.round(waited / 1000)} s`);
        await sleep(250);
      }
    }
  }

  /**
   * Releases the migration lock (`chat-migrate unlock`), for when the process that held it is gone.
   * Returns whether it was held.
   */
  async migrateUnlock(): Promise<boolean> {
    if (!(await this.knex.schema.hasTable('knex_migrations_lock'))) return false;
    const held = await this.knex('knex_migrations_lock').where({ is_locked: 1 }).first();
    await this.migrator.forceFreeMigrationsLock(this.migrateConfig());
    return !!held;
  }

  /**
   * knex's own tables (knex_migrations, knex_migrations_lock and its one row), created before knex
   * looks for them. knex creates them by "no such table? create it; no row? insert one", so processes
   * migrating a fresh database at once (nodes starting together) lost with "table knex_migrations
   * already exists", and two lock rows made every later migration "already locked" for good. Here
   * the same tables are made in a transaction, retried when another process got there first, and a
   * second lock row (it cannot have been taken: knex locks only when exactly one row changes) is
   * dropped. knex then finds everything in place and creates nothing.
   */
  private async ensureBookkeeping(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.knex.transaction(async (trx) => {
          if (!(await trx.schema.hasTable('knex_migrations'))) {
            await trx.schema.createTable('knex_migrations', (t) => { t.increments(); t.string('name'); t.integer('batch'); t.timestamp('migration_time'); });
          }
          if (!(await trx.schema.hasTable('knex_migrations_lock'))) {
            await trx.schema.createTable('knex_migrations_lock', (t) => { t.increments('index').primary(); t.integer('is_locked'); });
          }
          const rows: Array<{ index: number }> = await trx('knex_migrations_lock').select('index').orderBy('index');
          if (!rows.length) await trx('knex_migrations_lock').insert({ is_locked: 0 });
          else if (rows.length > 1) await trx('knex_migrations_lock').where('index', '>', rows[0]!.index).del();
        });
        return;
      } catch (e) {
        if (attempt >= 40 || !lostRace(e)) throw e;
        await sleep(25 + Math.floor(Math.random() * 50));
      }
    }
  }

  private lockHeld(how: string): SetupError {
    return new SetupError(`the migration lock of ${this.description} is ${how}: another chatd or chat-migrate is migrating it, ` +
      `or one was stopped while migrating; if none is running, release it with chat-migrate unlock --db ${this.description}`);
  }

  /** Rolls back every applied batch, leaving an empty schema (knex's own bookkeeping tables aside). */
  async migrateRollback(): Promise<string[]> {
    await this.assertKnownSchema();
    try {
      const [, names] = await this.migrator.rollback(this.migrateConfig(), true);
      return names as string[];
    } catch (e) {
      throw isLocked(e) ? this.lockHeld('held') : e;
    }
  }

  async migrateStatus(): Promise<{ applied: string[]; pending: string[] }> {
    await this.assertKnownSchema();
    await this.ensureBookkeeping();
    const [done, pending] = await this.migrator.list(this.migrateConfig());
    return {
      applied: (done as Array<{ name: string }>).map((m) => m.name),
      pending: (pending as Array<[string, unknown]>).map(([name]) => name),
    };
  }

  private async assertKnownSchema(): Promise<void> {
    if (!(await this.knex.schema.hasTable('knex_migrations'))) return;
    const rows: Array<{ name: string }> = await this.knex('knex_migrations').select('name');
    const known = new Set(MIGRATIONS.map(([n]) => n));
    const unknown = rows.map((r) => r.name).filter((n) => !known.has(n));
    if (unknown.length) {
      throw new SetupError(`incompatible schema: the database has migrations this chatd does not know (${unknown.join(', ')}); upgrade chatd`);
    }
  }

  /** Throws unless every migration is applied (for --no-migrate). */
  async assertMigrated(): Promise<void> {
    const { pending } = await this.migrateStatus();
    if (pending.length) throw new SetupError(`database schema is not up to date (pending: ${pending.join(', ')}); run chat-migrate latest`);
  }
}

/** knex's "Migration table is already locked" (its LockError), on either engine. */
function isLocked(e: unknown): boolean {
  return /already locked/i.test((e as Error)?.message ?? '');
}

/** Another process created the same table or row first, or holds SQLite's write lock / a MySQL lock. */
function lostRace(e: unknown): boolean {
  const err = e as { code?: string; message?: string };
  return /already exists|SQLITE_BUSY|database is locked/i.test(err?.message ?? '') ||
    ['SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT', 'ER_TABLE_EXISTS_ERROR', 'ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT', 'ER_DUP_ENTRY'].includes(err?.code ?? '');
}
