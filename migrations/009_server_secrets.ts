// Secrets the server keeps for itself, one row per purpose: the key of resume tokens
// (lib/auth/resume-token.ts). In the database, not in a file, because every node of a cluster must
// hold the same key (a token made by one node logs in on another) and it must survive restarts (a
// reconnect storm after a restart is what the tokens are for). Created by the first node that needs it.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('server_secrets', (t) => {
    t.string('name', 32).primary();
    t.string('secret', 128).notNullable(); // base64 of random bytes
    t.bigInteger('created_at').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('server_secrets');
}
