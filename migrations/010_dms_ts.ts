// An index on dms(ts) for retention (lib/retention.ts): each run deletes the DMs older than its cutoff
// in batches, oldest first. Without it, a run with nothing due read the whole table to find out, on
// chatd's event loop with SQLite, every hour.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('dms', (t) => { t.index(['ts'], 'dms_ts_index'); });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('dms', (t) => { t.dropIndex(['ts'], 'dms_ts_index'); });
}
