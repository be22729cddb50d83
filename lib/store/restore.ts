// `chat-admin restore <file>`: puts a backup (chat-admin backup) in place of the SQLite database,
// with chatd stopped. Copying the file by hand is not enough after a crash, the usual reason to
// restore: chatd's -wal file is left beside the database, and SQLite replays it into whatever file
// then bears the name, so the "restored" database came back as it was at the crash, or as a mix of
// old and new pages. Here the live database is first closed out of WAL mode (which SQLite refuses
// while any other connection, a running chatd, has it open, and which folds a crash's WAL into it),
// set aside under a new name, and only then replaced.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SetupError } from '../errors.js';
import { MIGRATIONS } from './migrations.js';
import { parseDbUrl, redact } from './url.js';

export type RestoreReport = { database: string; previous: string | null; messages: number };

export function restoreDatabase(url: string, backup: string, now = new Date()): RestoreReport {
  const target = parseDbUrl(url);
  if (target.kind !== 'sqlite') {
    throw new SetupError(`restore puts SQLite backups in place; for ${redact(url)} load the dump with mysql (mysql chatd < chatd.sql)`, 2);
  }
  if (target.filename === ':memory:') throw new SetupError('restore needs a database file, not sqlite::memory:', 2);
  const db = target.filename;
  checkBackup(backup);
  // A restore puts back a database that was somewhere: a missing folder is a typo in --db.
  const folder = path.dirname(path.resolve(db));
  if (!fs.existsSync(folder)) throw new SetupError(`no folder ${folder} for the database ${db} (a typo in --db?); nothing changed`);
  const tmp = `${db}.restoring-${process.pid}`;
  fs.rmSync(tmp, { force: true });
  fs.writeFileSync(tmp, '', { mode: 0o600, flag: 'wx' }); // it holds password hashes from its first byte
  let messages: number;
  try {
    // Through SQLite, not a file copy: a copy taken with its -wal beside it (a snapshot of a live
    // database) is what SQLite reads from the two files, which checkBackup checked; copying the main
    // file alone dropped the log's pages and restored an older database, with "0 messages".
    const src = new Database(backup, { readonly: true, fileMustExist: true });
    try { src.prepare('vacuum into ?').run(tmp); } finally { src.close(); }
    fs.chmodSync(tmp, 0o600);
    const copy = new Database(tmp, { fileMustExist: true });
    try {
      copy.pragma('journal_mode = DELETE'); // one self-contained file; chatd turns WAL on when it opens it
      messages = Number(copy.prepare('select count(*) from messages').pluck().get());
    } finally { copy.close(); }
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw new SetupError(`cannot copy ${backup}: ${(e as Error).message}`);
  }
  let previous: string | null = null;
  try {
    if (fs.existsSync(db)) {
      quiesce(db);
      previous = `${db}.replaced-${now.toISOString().replace(/[:.]/g, '-')}`;
      fs.renameSync(db, previous);
    }
    fs.renameSync(tmp, db);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  return { database: db, previous, messages };
}

/** A backup of chatd's database, whole, and of a schema this build knows. */
function checkBackup(file: string): void {
  if (!fs.existsSync(file)) throw new SetupError(`no backup at ${file}`);
  let problem: string | null = null;
  try {
    const b = new Database(file, { readonly: true, fileMustExist: true });
    try {
      const check = b.pragma('integrity_check', { simple: true });
      if (check !== 'ok') problem = `integrity_check says: ${String(check)}`;
      else if (!b.prepare("select 1 from sqlite_master where type = 'table' and name = 'knex_migrations'").get()) problem = 'it holds no chatd schema';
      else {
        const known = new Set(MIGRATIONS.map(([n]) => n));
        const unknown = (b.prepare('select name from knex_migrations').pluck().all() as string[]).filter((n) => !known.has(n));
        if (unknown.length) problem = `it has migrations this chatd does not know (${unknown.join(', ')}); restore it with the chatd that wrote it`;
      }
    } finally { b.close(); }
  } catch (e) {
    problem = (e as Error).message;
  }
  // One line, as every failure of the tools: integrity_check reports over several.
  if (problem) throw new SetupError(`${file} is not a chatd backup to restore: ${problem.replace(/\s*\n\s*/g, '; ')}; nothing changed`);
}

/**
 * Takes the live database out of WAL mode: SQLite folds a crash's -wal into it and removes -wal and
 * -shm, and refuses (SQLITE_BUSY, at once) while another connection has it open.
 */
function quiesce(db: string): void {
  const inUse = () => new SetupError(`${db} is in use (is chatd running?); stop chatd, then restore; nothing changed`);
  let live: Database.Database;
  try { live = new Database(db, { fileMustExist: true, timeout: 0 }); } catch (e) { throw new SetupError(`cannot open ${db}: ${(e as Error).message}`); }
  try {
    live.pragma('journal_mode = DELETE');
    // Not in WAL mode: an exclusive lock is free only when nobody reads or writes it.
    live.exec('BEGIN EXCLUSIVE; ROLLBACK');
  } catch (e) {
    if (/SQLITE_BUSY|locked/i.test(`${(e as { code?: string }).code} ${(e as Error).message}`)) throw inUse();
    throw new SetupError(`cannot close ${db} for the restore: ${(e as Error).message}`);
  } finally {
    live.close();
  }
  if (fs.existsSync(`${db}-wal`)) throw inUse();
}
