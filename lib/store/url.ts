// Parses the --db URL of DESIGN.md into a knex configuration: `sqlite:PATH` (better-sqlite3)
// or `mysql://user:pass@host:3306/db` (mysql2). A bad URL is one clear SetupError line.
import fs from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';
import { SetupError } from '../errors.js';
import { watchStatements } from './watchdog.js';

export const DEFAULT_DB = 'sqlite:./data/chatd.sqlite';

export type DbTarget =
  | { kind: 'sqlite'; filename: string }
  | { kind: 'mysql'; host: string; port: number; user: string; password: string; database: string };

export function parseDbUrl(url: string): DbTarget {
  if (url.startsWith('sqlite:')) {
    const filename = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (!filename) throw new SetupError(`bad --db URL "${url}": expected sqlite:PATH`);
    return { kind: 'sqlite', filename };
  }
  if (/^(mysql|mariadb):\/\//.test(url)) {
    let u: URL;
    try { u = new URL(url); } catch { throw new SetupError(`bad --db URL "${redact(url)}": not a valid URL`); }
    // A % that starts no escape (a password "50%off") made decodeURIComponent throw "URI malformed".
    const decode = (part: string, what: string) => {
      try { return decodeURIComponent(part); } catch { throw new SetupError(`bad --db URL "${redact(url)}": a % in the ${what} that is no %-escape (write % as %25)`); }
    };
    const database = decode(u.pathname.replace(/^\//, ''), 'database name');
    if (!database) throw new SetupError(`bad --db URL "${redact(url)}": no database name (mysql://user:pass@host:3306/db)`);
    return {
      kind: 'mysql', host: u.hostname || '127.0.0.1', port: Number(u.port || 3306),
      user: decode(u.username || 'root', 'user'), password: decode(u.password, 'password'), database,
    };
  }
  throw new SetupError(`bad --db URL "${redact(url)}": use sqlite:PATH or mysql://user:pass@host:3306/db`);
}

/** The URL with any password replaced, for messages and logs. */
export function redact(url: string): string {
  return url.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@');
}

// knex prints pool errors itself; the caller reports them once, in its own words.
const quietLog = { warn() {}, error() {}, deprecate() {}, debug() {} };
// knex puts the failed statement with its values into the error message by default: a password
// hash of an UPDATE would reach the log with it. The message says what failed, not with what.
const noValuesInErrors = { compileSqlOnError: false } as const;

/**
 * A database chatd creates is private: it holds password hashes, the server secrets and every DM.
 * SQLite would create it under the umask (0644 with the usual 022), and gives its -wal and -shm files
 * the database file's mode, so an empty file made 0600 first covers all three (SQLite takes an
 * empty file for a new database). A folder made for it is 0700. What exists already keeps the mode
 * its operator gave it.
 */
function createPrivate(filename: string): void {
  fs.mkdirSync(path.dirname(path.resolve(filename)), { recursive: true, mode: 0o700 });
  try {
    fs.writeFileSync(filename, '', { mode: 0o600, flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw e;
  }
  fs.chmodSync(filename, 0o600); // exactly: a umask like 0277 would leave chatd a file it cannot write
}

export type StoreOptions = {
  connectTimeoutMs?: number;
  /** MySQL: a statement unanswered this long drops its connection (watchdog.ts); off when absent or ≤ 0. */
  statementTimeoutMs?: () => number;
  /** MySQL: told of every connection the pool opens. */
  opened?: (conn: any) => void;
};

export function knexConfig(target: DbTarget, opts: StoreOptions = {}): Knex.Config {
  const timeout = opts.connectTimeoutMs ?? 5000;
  if (target.kind === 'sqlite') {
    if (target.filename !== ':memory:') createPrivate(target.filename);
    return {
      client: 'better-sqlite3',
      connection: { filename: target.filename },
      useNullAsDefault: true,
      log: quietLog,
      ...noValuesInErrors,
      pool: {
        min: 1, max: 1,
        // Foreign keys are off by default in SQLite; WAL lets readers (history) run beside the writer.
        afterCreate: (conn: any, done: (err: Error | null, conn: unknown) => void) => {
          try {
            conn.pragma('foreign_keys = ON');
            if (target.filename !== ':memory:') conn.pragma('journal_mode = WAL');
            // In WAL mode NORMAL still survives a process crash (only an OS crash can lose the last
            // commits) and spares the event loop an fsync per commit (0.30 → 0.02 ms here).
            conn.pragma('synchronous = NORMAL');
            // What is deleted (purge, retention) is overwritten, not left in free pages for anyone with
            // the file, or a backup of it, to read (SECURITY.md "Erasure"); deletes are rare here.
            conn.pragma('secure_delete = ON');
            conn.pragma('busy_timeout = 5000');
            done(null, conn);
          } catch (e) { done(e as Error, conn); }
        },
      },
      acquireConnectionTimeout: timeout,
    };
  }
  return {
    client: 'mysql2',
    connection: {
      host: target.host, port: target.port, user: target.user, password: target.password, database: target.database,
      connectTimeout: timeout, charset: 'utf8mb4', supportBigNumbers: true, bigNumberStrings: false,
    },
    pool: {
      min: 0, max: 10,
      afterCreate: (conn: unknown, done: (err: Error | null, conn: unknown) => void) => {
        if (opts.statementTimeoutMs) watchStatements(conn, opts.statementTimeoutMs);
        opts.opened?.(conn);
        done(null, conn);
      },
    },
    log: quietLog,
    ...noValuesInErrors,
    acquireConnectionTimeout: timeout,
  };
}
