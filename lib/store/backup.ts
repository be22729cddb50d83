// `chat-admin backup <file>`: an online copy of chatd's SQLite database while chatd runs and writes,
// through SQLite's backup API (better-sqlite3). The copy is written beside the target and renamed into
// place only once it opens and passes `PRAGMA integrity_check`, so a failed backup never leaves a
// half-written file under the name asked for. MySQL/MariaDB have their own tool for this.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SetupError } from '../errors.js';
import { parseDbUrl, redact } from './url.js';

export type BackupReport = { file: string; bytes: number; messages: number };

export async function backupDatabase(url: string, dest: string, opts: { force?: boolean } = {}): Promise<BackupReport> {
  const target = parseDbUrl(url);
  if (target.kind !== 'sqlite') {
    throw new SetupError(`backup copies SQLite databases only; for ${redact(url)} use mysqldump --single-transaction (a consistent dump without locking chatd out)`, 2);
  }
  if (target.filename === ':memory:' || !fs.existsSync(target.filename)) throw new SetupError(`no database at ${target.filename} (a typo in --db?)`);
  if (isDatabaseFile(dest, target.filename)) {
    throw new SetupError(`${dest} is the database ${target.filename} (or one of its -wal, -shm, -journal files); write the backup elsewhere`, 2);
  }
  // --force replaces a file; a folder is a mistaken target (the copy was written beside it, then not renamed over it, and left behind).
  if (fs.statSync(dest, { throwIfNoEntry: false })?.isDirectory()) throw new SetupError(`${dest} is a folder; name the backup file (e.g. ${path.join(dest, 'chatd.sqlite')})`, 2);
  if (fs.existsSync(dest) && !opts.force) throw new SetupError(`${dest} exists; give --force to replace it`);
  const tmp = `${dest}.partial-${process.pid}`;
  const source = new Database(target.filename, { fileMustExist: true });
  try {
    // Created private before SQLite writes a page into it (it keeps an existing file's mode, and gives
    // its journals the same): the copy holds password hashes from its first byte, whatever the umask.
    fs.rmSync(tmp, { force: true });
    fs.writeFileSync(tmp, '', { mode: 0o600, flag: 'wx' });
    source.pragma('busy_timeout = 5000');
    // After a first step of 100 pages, all the rest in one step: one read transaction sees one
    // state of the database. In WAL mode it does not hold chatd's writer up; a write between the two
    // steps makes SQLite restart the copy, which then completes in one step.
    await source.backup(tmp, { progress: ({ totalPages }) => Math.max(totalPages, 100) });
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw new SetupError(`backup failed: ${(e as Error).message}`);
  } finally {
    source.close();
  }
  let messages: number;
  try {
    const copy = new Database(tmp, { fileMustExist: true });
    try {
      const check = copy.pragma('integrity_check', { simple: true });
      if (check !== 'ok') throw new Error(`integrity_check says: ${String(check)}`);
      messages = Number(copy.prepare('select count(*) as n from messages').pluck().get());
      // One self-contained file to keep (a WAL-mode copy would come with -wal and -shm files when
      // opened); chatd switches a restored copy back to WAL when it opens it.
      copy.pragma('journal_mode = DELETE');
    } finally {
      copy.close();
    }
  } catch (e) {
    for (const f of [tmp, `${tmp}-wal`, `${tmp}-shm`]) fs.rmSync(f, { force: true });
    throw new SetupError(`the copy failed its check and was removed: ${(e as Error).message}`);
  }
  for (const f of [`${tmp}-wal`, `${tmp}-shm`]) fs.rmSync(f, { force: true });
  fs.chmodSync(tmp, 0o600); // it holds password hashes, like the database
  fs.renameSync(tmp, dest);
  return { file: dest, bytes: fs.statSync(dest).size, messages };
}

/**
 * Whether `dest` names the database or one of SQLite's files beside it, under any spelling (relative,
 * `..`, a symlink, a hard link). With --force the copy would be renamed over it while chatd writes:
 * chatd would go on with the unlinked file and lose every later write at its next start, and a copy in
 * place of the -wal file corrupts the database.
 */
function isDatabaseFile(dest: string, db: string): boolean {
  const files = ['', '-wal', '-shm', '-journal'].map((s) => `${db}${s}`);
  const canonical = (f: string) => {
    try { return path.join(fs.realpathSync(path.dirname(path.resolve(f))), path.basename(f)); } catch { return path.resolve(f); }
  };
  const names = new Set(files.map(canonical));
  if (names.has(canonical(dest))) return true;
  let d: fs.Stats;
  try { d = fs.statSync(dest); } catch { return false; }
  return files.some((f) => {
    try { const s = fs.statSync(f); return s.dev === d.dev && s.ino === d.ino; } catch { return false; }
  });
}
