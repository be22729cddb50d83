// The level of whoever set a ban or mute, so that nobody of a lower level replaces or lifts it
// (issue 20, fault 6). Null for rows written before, and by chat-admin: resolved from the name.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('bans', (t) => { t.integer('by_level').nullable(); });
  await knex.schema.alterTable('mutes', (t) => { t.integer('by_level').nullable(); });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('mutes', (t) => { t.dropColumn('by_level'); });
  await knex.schema.alterTable('bans', (t) => { t.dropColumn('by_level'); });
}
