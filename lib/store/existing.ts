// Opening a database that must already be there. chatd and `chat-migrate latest` create and migrate
// a database; every other tool works on chatd's own, so a mistyped --db must not quietly create a new,
// empty one that chatd never reads (issue 19).
import fs from 'node:fs';
import { SetupError } from '../errors.js';
import { openStore, type Store } from './index.js';
import { parseDbUrl, redact } from './url.js';

/**
 * Opens the store at `url` if it exists, and with `schema` only if chatd's schema is in it; anything
 * else is one line, exit 1, naming the command that creates it.
 */
export async function openExistingStore(url: string, opts: { schema: boolean }): Promise<Store> {
  const target = parseDbUrl(url);
  const create = `create it with chat-migrate latest --db ${redact(url)}`;
  // SQLite would create the file (and chatd's code its folder) on open; MySQL only reports a missing
  // database, which openStore turns into a line of its own.
  if (target.kind === 'sqlite' && target.filename !== ':memory:' && !fs.existsSync(target.filename)) {
    throw new SetupError(`no database at ${target.filename} (a typo in --db?); ${create}`);
  }
  const store = await openStore(url);
  if (opts.schema) {
    let migrated: boolean;
    try {
      migrated = await hasSchema(store);
    } catch (e) {
      await store.close().catch(() => {});
      throw e;
    }
    if (!migrated) {
      await store.close().catch(() => {});
      throw new SetupError(`database ${store.description} has no chatd schema (a typo in --db?); ${create}`);
    }
  }
  return store;
}

/** Whether any migration was applied; read-only (knex's own status call would create its tables). */
async function hasSchema(store: Store): Promise<boolean> {
  if (!(await store.knex.schema.hasTable('knex_migrations'))) return false;
  const [row] = await store.knex('knex_migrations').count({ n: '*' });
  return Number((row as { n: number | string }).n) > 0;
}
