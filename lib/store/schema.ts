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

  /** Applies pending migrations; refuses a schema newer than this build knows. Returns names applied. */
  async migrateLatest(): Promise<string[]> {
    await this.assertKnownSchema();
    // Several nodes starting at once on a fresh database: one migrates, the others wait for its lock.
    for (let waited = 0; ; waited += 250) {
      try {
        const [, names] = await this.migrator.latest(this.migrateConfig());
        return names as string[];
      } catch (e) {
        if (!/already locked/i.test((e as Error).message) || waited >= 30_000) throw e;
        await sleep(250);
      }
    }
  }

  /** Rolls back every applied batch, leaving an empty schema (knex's own bookkeeping tables aside). */
  async migrateRollback(): Promise<string[]> {
    await this.assertKnownSchema();
    const [, names] = await this.migrator.rollback(this.migrateConfig(), true);
    return names as string[];
  }

  async migrateStatus(): Promise<{ applied: string[]; pending: string[] }> {
    await this.assertKnownSchema();
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
