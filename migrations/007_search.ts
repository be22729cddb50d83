// Full-text search over messages (issue 15) and the indexes retention and purge need.
// SQLite: an FTS5 index over messages.text, external content (the text is stored once, in messages),
// kept current by triggers and built here for the rows already there. MySQL/MariaDB: a FULLTEXT index,
// which InnoDB builds for existing rows and keeps current itself.
// `ts` alone: retention deletes by age across every room; `sender_id`: export and purge by user
// (MySQL has that one already: InnoDB indexes every foreign key).
import type { Knex } from 'knex';

const isMysql = (knex: Knex) => /mysql/.test(String(knex.client.config.client));

const SQLITE_UP = [
  "create virtual table messages_fts using fts5(text, content='messages', content_rowid='seq', tokenize='unicode61 remove_diacritics 2')",
  `create trigger messages_fts_insert after insert on messages begin
     insert into messages_fts(rowid, text) values (new.seq, new.text); end`,
  `create trigger messages_fts_delete after delete on messages begin
     insert into messages_fts(messages_fts, rowid, text) values ('delete', old.seq, old.text); end`,
  `create trigger messages_fts_update after update of text on messages begin
     insert into messages_fts(messages_fts, rowid, text) values ('delete', old.seq, old.text);
     insert into messages_fts(rowid, text) values (new.seq, new.text); end`,
  "insert into messages_fts(messages_fts) values ('rebuild')",
];

const SQLITE_DOWN = [
  'drop trigger if exists messages_fts_update', 'drop trigger if exists messages_fts_delete',
  'drop trigger if exists messages_fts_insert', 'drop table if exists messages_fts',
];

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('messages', (t) => { t.index(['ts'], 'messages_ts_index'); });
  if (isMysql(knex)) {
    await knex.raw('alter table messages add fulltext index messages_text_fulltext (text)');
  } else {
    await knex.schema.alterTable('messages', (t) => { t.index(['sender_id'], 'messages_sender_index'); });
    for (const sql of SQLITE_UP) await knex.raw(sql);
  }
}

export async function down(knex: Knex): Promise<void> {
  if (isMysql(knex)) {
    await knex.raw('alter table messages drop index messages_text_fulltext');
  } else {
    for (const sql of SQLITE_DOWN) await knex.raw(sql);
    await knex.schema.alterTable('messages', (t) => { t.dropIndex(['sender_id'], 'messages_sender_index'); });
  }
  await knex.schema.alterTable('messages', (t) => { t.dropIndex(['ts'], 'messages_ts_index'); });
}
