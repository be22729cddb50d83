// audit_log.detail held 1,000 characters while topics and announcements hold 2,000: on MariaDB in
// strict mode the audit insert of a long topic failed after the topic was broadcast. The column
// becomes TEXT; Store.audit cuts a detail at AUDIT_DETAIL_MAX deliberately. SQLite does not
// enforce VARCHAR lengths, so only MySQL/MariaDB needs the change.
import type { Knex } from 'knex';

const isMysql = (knex: Knex) => /mysql/.test(String(knex.client.config.client));

export async function up(knex: Knex): Promise<void> {
  if (!isMysql(knex)) return;
  await knex.schema.alterTable('audit_log', (t) => { t.text('detail').nullable().alter(); });
}

export async function down(knex: Knex): Promise<void> {
  if (!isMysql(knex)) return;
  await knex('audit_log').update({ detail: knex.raw('left(detail, 1000)') });
  await knex.schema.alterTable('audit_log', (t) => { t.string('detail', 1000).nullable().alter(); });
}
