// The store's hot queries as fixed SQL, valid on both engines and run through direct.ts (which says
// why they skip knex). Its own module because several concerns (accounts, moderation, certificates,
// messages) use them, and a spec checks their SQLite query plans.
// cert_cutoffs (migration 011): certificates of the name issued before its not_before are refused.
const USERS = 'select users.*, roles.level, roles.color, cert_cutoffs.not_before as certs_not_before from users join roles on users.role = roles.name '
  + 'left join cert_cutoffs on cert_cutoffs.name = users.username';
const ACTIVE_BAN = 'lifted_at is null and (expires_at is null or expires_at > ?)'; // binds: now

/**
 * `limit N` written into the SQL, not bound. SQLite (3.53, better-sqlite3) marks a statement whose
 * LIMIT is a parameter to be prepared again whenever that parameter is bound, and better-sqlite3
 * binds every parameter on every call: the history and mailbox reads of every login were parsed
 * and planned anew, 13–14 µs a call instead of 3 (BENCHMARKS.md, Performance II, finding 18). Each
 * limit gets its own prepared statement; the limits are config values and //history's n (at most
 * limits.historyMax), so they stay few.
 */
function limit(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`limit ${n} is not a whole number ≥ 0`);
  return `limit ${n}`;
}

export const SQL = {
  userByName: `${USERS} where users.username = ?`,
  users: `${USERS} order by users.username`,
  revoked: 'select 1 from revoked_certs where fingerprint = ?',
  // A null identity compares unknown, never true: one statement serves every combination. No
  // ORDER BY: SQLite would sort through a temporary B-tree on every login, and that alone raised
  // the server's RSS per idle session from 62 to 87 KiB (native heap, glibc and jemalloc alike).
  // The newest of the few matches is picked in JS.
  matchingBans: `select * from bans where ${ACTIVE_BAN} and (user_id = ? or ip = ? or cert_fingerprint = ?)`,
  activeBans: `select * from bans where ${ACTIVE_BAN} order by id asc`,
  userBans: `select * from bans where user_id = ? and ${ACTIVE_BAN} order by id asc`, // binds: user, now
  recordLogin: 'update users set last_login = ? where id = ?',
  loginLock: 'select locked_until from login_locks where name = ? and locked_until > ?',
  room: 'select name, topic, created_at from rooms where name = ?',
  history: (n: number) => `select * from messages where room = ? order by ts desc, seq desc ${limit(n)}`,
  historyAfter: (n: number) => `select * from messages where room = ? and ts > ? order by ts desc, seq desc ${limit(n)}`,
  // Every login asks (issue 16): through knex it cost ~100 µs of a login's ~1.8 ms (issue 18).
  mailbox: (n: number) => `select * from dms where recipient = ? and delivered_at is null order by seq asc ${limit(n)}`,
  // Retention of DMs, oldest first along dms(ts) (migration 010); SQLite only (MySQL deletes with its own LIMIT).
  pruneDms: (n: number) => `delete from dms where seq in (select seq from dms where ts < ? order by ts ${limit(n)})`,
  // SQLite only (MySQL inserts a batch as one multi-row statement through knex).
  insertRoom: "insert into rooms (name, topic, created_at) values (?, '', ?) on conflict (name) do nothing",
  insertMessage: 'insert into messages (id, room, sender_id, sender_name, sender_role, sender_color, kind, text, ts)'
    + ' values (?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict (id) do nothing',
} as const;
