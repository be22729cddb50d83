// The whole schema of DESIGN.md "Storage", identical on SQLite and MySQL/MariaDB.
// Timestamps are integer milliseconds since the epoch: exact on both engines, no timezone drift.
import type { Knex } from 'knex';

export const DEFAULT_ROLES = [
  { name: 'user', level: 1, color: 'cyan' },
  { name: 'moderator', level: 50, color: 'yellow' },
  { name: 'admin', level: 100, color: 'red' },
  { name: 'owner', level: 1000, color: 'magenta' },
];

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('roles', (t) => {
    t.string('name', 32).primary();
    t.integer('level').notNullable();
    t.string('color', 32).notNullable();
  });
  await knex('roles').insert(DEFAULT_ROLES);

  await knex.schema.createTable('users', (t) => {
    t.increments('id').primary();
    t.string('username', 32).notNullable().unique(); // always stored lowercase; exact match only
    t.string('password_hash', 255).notNullable(); // PHC string
    t.string('role', 32).notNullable().references('name').inTable('roles').onUpdate('CASCADE');
    t.boolean('disabled').notNullable().defaultTo(false);
    t.integer('failed_logins').notNullable().defaultTo(0);
    t.bigInteger('locked_until').nullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('last_login').nullable();
    t.index(['role']);
  });

  await knex.schema.createTable('bans', (t) => {
    t.increments('id').primary();
    t.integer('user_id').unsigned().nullable().references('id').inTable('users').onDelete('CASCADE');
    t.string('username', 32).nullable();
    t.string('ip', 64).nullable();
    t.string('cert_fingerprint', 128).nullable();
    t.string('reason', 500).notNullable().defaultTo('');
    t.string('by', 32).notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('expires_at').nullable(); // null = permanent
    t.bigInteger('lifted_at').nullable();
    t.string('lifted_by', 32).nullable();
    t.index(['user_id', 'lifted_at']);
    t.index(['ip']);
    t.index(['cert_fingerprint']);
  });

  await knex.schema.createTable('revoked_certs', (t) => {
    t.string('fingerprint', 128).primary(); // SHA-256, uppercase colon-separated like Node reports it
    t.string('reason', 500).notNullable().defaultTo('');
    t.string('by', 32).notNullable();
    t.bigInteger('created_at').notNullable();
  });

  await knex.schema.createTable('rooms', (t) => {
    t.string('name', 32).primary();
    t.string('topic', 2000).notNullable().defaultTo('');
    t.bigInteger('created_at').notNullable();
  });
  await knex('rooms').insert({ name: 'lobby', topic: '', created_at: Date.now() });

  await knex.schema.createTable('messages', (t) => {
    t.bigIncrements('seq').primary();
    t.string('id', 40).notNullable().unique(); // the wire id of the message frame
    t.string('room', 32).notNullable().references('name').inTable('rooms').onDelete('CASCADE');
    t.integer('sender_id').unsigned().nullable().references('id').inTable('users').onDelete('SET NULL');
    t.string('sender_name', 32).notNullable();
    t.string('sender_role', 32).notNullable();
    t.string('sender_color', 32).notNullable();
    t.string('kind', 8).notNullable().defaultTo('say');
    t.text('text').notNullable(); // already sanitized
    t.bigInteger('ts').notNullable();
    t.index(['room', 'ts']);
  });

  await knex.schema.createTable('audit_log', (t) => {
    t.bigIncrements('id').primary();
    t.string('actor', 32).notNullable();
    t.string('action', 32).notNullable();
    t.string('target', 128).nullable();
    t.string('detail', 1000).nullable();
    t.bigInteger('ts').notNullable();
    t.index(['ts']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['audit_log', 'messages', 'rooms', 'revoked_certs', 'bans', 'users', 'roles']) {
    await knex.schema.dropTableIfExists(table);
  }
}
