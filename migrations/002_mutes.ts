// Mutes in the database, so that a mute outlives a restart and a node started later knows it
// (before this they lived in each node's memory only). One row per muted user; unmute deletes it.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('mutes', (t) => {
    t.integer('user_id').unsigned().primary().references('id').inTable('users').onDelete('CASCADE');
    t.string('username', 32).notNullable();
    t.bigInteger('until').nullable(); // null = until unmuted
    t.string('by', 32).notNullable();
    t.bigInteger('created_at').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('mutes');
}
