// Locks per login NAME, whether an account of that name exists or not, so that after a restart a
// lock still holds and still says nothing about which names exist (users.locked_until, kept for
// real accounts only, did). One row per locked name; rows whose lock has ended are pruned.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('login_locks', (t) => {
    t.string('name', 32).primary();
    t.bigInteger('locked_until').notNullable().index();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('login_locks');
}
