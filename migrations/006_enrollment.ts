// Enrollment and certificate lifecycle (DESIGN.md): invites whose token only the invitee holds (the
// table keeps its SHA-256), and every client certificate chatd knows of, so that an operator can list
// them and a re-enrollment can revoke a lost key's certificates.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('invites', (t) => {
    t.increments('id').primary();
    t.string('user', 32).notNullable();
    t.string('role', 32).notNullable();
    t.string('token_hash', 64).notNullable().unique(); // hex SHA-256 of the token; the token itself is never stored
    t.string('created_by', 64).notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('expires_at').notNullable();
    t.bigInteger('used_at').nullable();
    t.bigInteger('revoked_at').nullable();
    t.boolean('existing').notNullable().defaultTo(false);
    t.index(['user']);
  });
  await knex.schema.createTable('certificates', (t) => {
    t.increments('id').primary();
    t.string('user', 32).notNullable();
    t.string('fingerprint', 128).notNullable().unique(); // as Node reports it: uppercase, colon-separated
    t.string('serial', 64).notNullable();
    t.bigInteger('not_after').notNullable();
    t.bigInteger('issued_at').notNullable();
    t.string('source', 16).notNullable(); // enroll | renew | chat-certs
    t.bigInteger('revoked_at').nullable();
    t.index(['user']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('certificates');
  await knex.schema.dropTable('invites');
}
