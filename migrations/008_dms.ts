// Stored DMs (DESIGN.md "Conversations"): every DM is kept, so `history @user` can show a
// conversation; the ones sent to an offline user wait (delivered_at null) until their next login.
// And a user's own name color (`color`), which overrides their role's color.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('dms', (t) => {
    t.bigIncrements('seq').primary();
    t.string('id', 40).notNullable().unique(); // the wire id of the dm frame
    t.string('sender', 32).notNullable();
    t.string('sender_role', 32).notNullable();
    t.string('sender_color', 32).notNullable();
    t.string('recipient', 32).notNullable();
    t.text('text').notNullable(); // already sanitized
    t.bigInteger('ts').notNullable();
    t.bigInteger('delivered_at').nullable(); // null: waiting in the recipient's mailbox
    t.index(['recipient', 'delivered_at']);
    t.index(['sender', 'recipient']);
  });
  await knex.schema.alterTable('users', (t) => { t.string('name_color', 32).nullable(); });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => { t.dropColumn('name_color'); });
  await knex.schema.dropTable('dms');
}
