// The Store: every database access of chatd, over knex, identical on SQLite and MySQL/MariaDB.
// Handlers and tools call these methods; nothing else builds SQL.
import { setTimeout as sleep } from 'node:timers/promises';
import knexFactory, { type Knex } from 'knex';
import { SetupError } from '../errors.js';
import type { DmFrame, MessageFrame } from '../protocol/frames.js';
import { directSql, type DirectSql } from './direct.js';
import { MIGRATIONS, migrationSource } from './migrations.js';
import { knexConfig, parseDbUrl, redact, type DbTarget } from './url.js';
import { booleanMatch, fts5Match, hasAllWords, innodbWords } from '../search-query.js';

export type RoleRecord = { name: string; level: number; color: string };
export type UserRecord = {
  id: number; username: string; passwordHash: string; role: string; level: number; color: string;
  disabled: boolean; createdAt: number; lastLogin: number | null;
  /** The user's own name color (`color`, migration 008), already in `color`; null: their role's. */
  nameColor?: string | null;
  roleColor?: string;
};
export type BanRecord = {
  id: number; userId: number | null; username: string | null; ip: string | null; certFingerprint: string | null;
  reason: string; by: string; createdAt: number; expiresAt: number | null; liftedAt: number | null;
  /** The level of `by` when the ban was set; null for chat-admin and rows older than migration 004. */
  byLevel: number | null;
};
export type NewBan = Omit<BanRecord, 'id' | 'createdAt' | 'liftedAt' | 'byLevel'> & { createdAt?: number; byLevel?: number | null };
export type AuditEntry = { actor: string; action: string; target?: string | null; detail?: string | null; ts?: number };
export type RoomRecord = { name: string; topic: string; createdAt: number };
export type InviteRecord = {
  id: number; user: string; role: string; tokenHash: string; createdBy: string; createdAt: number; expiresAt: number;
  usedAt: number | null; revokedAt: number | null; existing: boolean;
};
export type NewInvite = Omit<InviteRecord, 'id' | 'usedAt' | 'revokedAt'>;
export type CertSource = 'enroll' | 'renew' | 'chat-certs';
export type CertificateRecord = {
  user: string; fingerprint: string; serial: string; notAfter: number; issuedAt: number; source: CertSource; revokedAt: number | null;
};
/** What an enrollment writes in one transaction, once its CSR, password and certificate are ready. */
export type Enrollment = {
  inviteId: number; user: string; role: string; existing: boolean; passwordHash: string;
  cert: Omit<CertificateRecord, 'revokedAt'>; now: number;
};
/** `until` null: muted until unmuted. */
export type MuteRecord = { userId: number; username: string; until: number | null; by: string; byLevel?: number | null };

export type ExportedDm = { id: string; ts: string | null; from: string; to: string; text: string; delivered: boolean };

/** What `chat-admin export --user` writes (README "Export"). Times are ISO 8601. */
export type UserExport = {
  account: { id: number; username: string; role: string; disabled: boolean; createdAt: string | null; lastLogin: string | null };
  messages: Array<{ id: string; ts: string | null; room: string; kind: string; text: string }>;
  /** Direct messages, stored since migration 008_dms: those the user sent and received, oldest first. */
  dms: { stored: true; sent: ExportedDm[]; received: ExportedDm[] };
  bans: Array<{ id: number; reason: string; by: string; createdAt: string | null; expiresAt: string | null; liftedAt: string | null }>;
  mutes: Array<{ until: string | null; by: string; createdAt: string | null }>;
  audit: Array<{ id: number; ts: string | null; actor: string; action: string; target: string | null; detail: string | null }>;
};

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** MySQL search: the newest rows checked, window after window, before the FULLTEXT index is asked. */
const RECENT_WINDOWS = [2_000, 20_000];

/** Audit details longer than this are cut, deliberately and marked, rather than refused by the column. */
export const AUDIT_DETAIL_MAX = 4000;

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

function toUser(r: any): UserRecord {
  return {
    id: Number(r.id), username: r.username, passwordHash: r.password_hash, role: r.role, level: Number(r.level),
    // A user's own color (migration 008, `color`) over their role's.
    color: r.name_color || r.color, disabled: !!r.disabled, createdAt: Number(r.created_at), lastLogin: num(r.last_login),
    nameColor: r.name_color ?? null, roleColor: r.color,
  };
}

function toBan(r: any): BanRecord {
  return {
    id: Number(r.id), userId: num(r.user_id), username: r.username, ip: r.ip, certFingerprint: r.cert_fingerprint,
    reason: r.reason, by: r.by, createdAt: Number(r.created_at), expiresAt: num(r.expires_at), liftedAt: num(r.lifted_at),
    byLevel: num(r.by_level),
  };
}

function toInvite(r: any): InviteRecord {
  return {
    id: Number(r.id), user: r.user, role: r.role, tokenHash: r.token_hash, createdBy: r.created_by, createdAt: Number(r.created_at),
    expiresAt: Number(r.expires_at), usedAt: num(r.used_at), revokedAt: num(r.revoked_at), existing: !!r.existing,
  };
}

function toCertificate(r: any): CertificateRecord {
  return {
    user: r.user, fingerprint: r.fingerprint, serial: r.serial, notAfter: Number(r.not_after), issuedAt: Number(r.issued_at),
    source: r.source, revokedAt: num(r.revoked_at),
  };
}

const certRow = (c: Omit<CertificateRecord, 'revokedAt'>) => ({
  user: c.user, fingerprint: c.fingerprint, serial: c.serial, not_after: c.notAfter, issued_at: c.issuedAt, source: c.source,
});

function toMessage(r: any): MessageFrame {
  return {
    type: 'message', id: r.id, ts: new Date(Number(r.ts)).toISOString(), room: r.room,
    from: { name: r.sender_name, role: r.sender_role, color: r.sender_color }, text: r.text, kind: r.kind === 'me' ? 'me' : 'say',
  };
}

function toDm(r: any): DmFrame {
  return {
    type: 'dm', id: r.id, ts: new Date(Number(r.ts)).toISOString(), from: { name: r.sender, role: r.sender_role, color: r.sender_color },
    to: r.recipient, text: r.text,
  };
}

/** A message as the store keeps it: the frame plus who sent it. */
export type MessageRow = { frame: MessageFrame; senderId: number | null };

// The hot queries as fixed SQL, valid on both engines (see direct.ts for why they skip knex).
// Exported for the spec that checks their SQLite query plans.
const USERS = 'select users.*, roles.level, roles.color from users join roles on users.role = roles.name';
const ACTIVE_BAN = 'lifted_at is null and (expires_at is null or expires_at > ?)'; // binds: now
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
  liftBans: `update bans set lifted_at = ?, lifted_by = ? where ${ACTIVE_BAN} and user_id = ?`,
  recordLogin: 'update users set last_login = ? where id = ?',
  loginLock: 'select locked_until from login_locks where name = ? and locked_until > ?',
  room: 'select name, topic, created_at from rooms where name = ?',
  history: 'select * from messages where room = ? order by ts desc, seq desc limit ?',
  historyAfter: 'select * from messages where room = ? and ts > ? order by ts desc, seq desc limit ?',
  // SQLite only (MySQL inserts a batch as one multi-row statement through knex).
  insertRoom: "insert into rooms (name, topic, created_at) values (?, '', ?) on conflict (name) do nothing",
  insertMessage: 'insert into messages (id, room, sender_id, sender_name, sender_role, sender_color, kind, text, ts)'
    + ' values (?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict (id) do nothing',
} as const;

export class Store {
  readonly knex: Knex;
  readonly target: DbTarget;
  readonly url: string;
  private readonly direct: DirectSql;

  constructor(url: string, opts: { connectTimeoutMs?: number } = {}) {
    this.url = url;
    this.target = parseDbUrl(url);
    this.knex = knexFactory(knexConfig(this.target, opts));
    this.direct = directSql(this.knex, this.target.kind);
  }

  get description(): string { return redact(this.url); }

  // ---- schema -------------------------------------------------------------------------------
  private get migrator() { return this.knex.migrate; }
  private migrateConfig() { return { migrationSource }; }

  /** Applies pending migrations; refuses a schema newer than this build knows. Returns names applied. */
  async migrateLatest(): Promise<string[]> {
    await this.assertKnownSchema();
    // Several nodes starting at once on a fresh database: one migrates, the others wait for its lock.
    for (let waited = 0; ; waited += 250) {
      try {
        const [, names] = await this.migrator.latest(this.migrateConfig());
        return names as string[];
      } catch (e) {
        if (!/already locked/i.test((e as Error).message) || waited >= 30_000) throw e;
        await sleep(250);
      }
    }
  }

  /** Rolls back every applied batch, leaving an empty schema (knex's own bookkeeping tables aside). */
  async migrateRollback(): Promise<string[]> {
    await this.assertKnownSchema();
    const [, names] = await this.migrator.rollback(this.migrateConfig(), true);
    return names as string[];
  }

  async migrateStatus(): Promise<{ applied: string[]; pending: string[] }> {
    await this.assertKnownSchema();
    const [done, pending] = await this.migrator.list(this.migrateConfig());
    return {
      applied: (done as Array<{ name: string }>).map((m) => m.name),
      pending: (pending as Array<[string, unknown]>).map(([name]) => name),
    };
  }

  private async assertKnownSchema(): Promise<void> {
    if (!(await this.knex.schema.hasTable('knex_migrations'))) return;
    const rows: Array<{ name: string }> = await this.knex('knex_migrations').select('name');
    const known = new Set(MIGRATIONS.map(([n]) => n));
    const unknown = rows.map((r) => r.name).filter((n) => !known.has(n));
    if (unknown.length) {
      throw new SetupError(`incompatible schema: the database has migrations this chatd does not know (${unknown.join(', ')}); upgrade chatd`);
    }
  }

  /** Throws unless every migration is applied (for --no-migrate). */
  async assertMigrated(): Promise<void> {
    const { pending } = await this.migrateStatus();
    if (pending.length) throw new SetupError(`database schema is not up to date (pending: ${pending.join(', ')}); run chat-migrate latest`);
  }

  async ping(): Promise<void> { await this.knex.raw('select 1'); }

  async close(): Promise<void> { await this.knex.destroy(); }

  // ---- roles --------------------------------------------------------------------------------
  async listRoles(): Promise<RoleRecord[]> {
    const rows = await this.knex('roles').select('name', 'level', 'color').orderBy('level', 'asc');
    return rows.map((r: any) => ({ name: r.name, level: Number(r.level), color: r.color }));
  }

  async getRole(name: string): Promise<RoleRecord | null> {
    const r = await this.knex('roles').where({ name }).first();
    return r ? { name: r.name, level: Number(r.level), color: r.color } : null;
  }

  async addRole(role: RoleRecord): Promise<void> { await this.knex('roles').insert(role); }

  async updateRole(name: string, patch: Partial<Omit<RoleRecord, 'name'>>): Promise<boolean> {
    return (await this.knex('roles').where({ name }).update(patch)) > 0;
  }

  // ---- users --------------------------------------------------------------------------------
  async getUser(username: string): Promise<UserRecord | null> {
    const [r] = await this.direct.all(SQL.userByName, [username]);
    return r ? toUser(r) : null;
  }

  async listUsers(): Promise<UserRecord[]> {
    return (await this.direct.all(SQL.users, [])).map(toUser);
  }

  async createUser(u: { username: string; passwordHash: string; role: string }): Promise<number> {
    const [id] = await this.knex('users').insert({
      username: u.username, password_hash: u.passwordHash, role: u.role, created_at: Date.now(),
    });
    return Number(id);
  }

  async setPasswordHash(id: number, hash: string): Promise<void> {
    await this.knex('users').where({ id }).update({ password_hash: hash });
  }

  async setUserRole(id: number, role: string): Promise<void> { await this.knex('users').where({ id }).update({ role }); }

  async setDisabled(id: number, disabled: boolean): Promise<void> { await this.knex('users').where({ id }).update({ disabled }); }

  async recordLogin(id: number, at = Date.now()): Promise<void> {
    await this.direct.run(SQL.recordLogin, [at, id]);
  }

  /** When the lock on a login name ends (a name, not an account: it may not exist), or 0. */
  async loginLock(name: string, now = Date.now()): Promise<number> {
    const rows = await this.direct.all(SQL.loginLock, [name, now]);
    return rows.length ? Number(rows[0].locked_until) : 0;
  }

  /** Keeps a login name's lock across restarts; ended locks are pruned on the way, so the table stays small. */
  async setLoginLock(name: string, until: number, now = Date.now()): Promise<void> {
    await this.knex('login_locks').where('locked_until', '<=', now).del();
    await this.knex('login_locks').insert({ name, locked_until: until }).onConflict('name').merge();
  }

  async clearLoginLock(name: string): Promise<void> { await this.knex('login_locks').where({ name }).del(); }

  /** The login names locked now, with when each lock ends (for chat-admin user list). */
  async activeLoginLocks(now = Date.now()): Promise<Map<string, number>> {
    const rows = await this.knex('login_locks').where('locked_until', '>', now).select('name', 'locked_until');
    return new Map(rows.map((r: any) => [r.name, Number(r.locked_until)]));
  }

  // ---- bans ---------------------------------------------------------------------------------
  /**
   * Adds a ban. A new ban on a user replaces that user's earlier ones (lifted by the same actor), so
   * banning again changes the duration or reason instead of stacking rows in `banned-users`.
   */
  async addBan(b: NewBan): Promise<number> {
    const now = b.createdAt ?? Date.now();
    return this.knex.transaction(async (trx) => {
      if (b.userId != null) await trx('bans').where({ user_id: b.userId }).whereNull('lifted_at').update({ lifted_at: now, lifted_by: b.by });
      const [id] = await trx('bans').insert({
        user_id: b.userId, username: b.username, ip: b.ip, cert_fingerprint: b.certFingerprint, reason: b.reason,
        by: b.by, created_at: now, expires_at: b.expiresAt, by_level: b.byLevel ?? null,
      });
      return Number(id);
    });
  }

  /** The active ban that applies to any of these identities, newest first. */
  async findActiveBan(who: { userId?: number | null; ip?: string | null; fingerprint?: string | null }, now = Date.now()): Promise<BanRecord | null> {
    const rows = await this.direct.all(SQL.matchingBans, [now, who.userId ?? null, who.ip || null, who.fingerprint || null]);
    if (!rows.length) return null;
    return toBan(rows.reduce((newest, r) => (Number(r.id) > Number(newest.id) ? r : newest)));
  }

  async listActiveBans(now = Date.now()): Promise<BanRecord[]> {
    return (await this.direct.all(SQL.activeBans, [now])).map(toBan);
  }

  /** Lifts every active ban on a user; returns how many. */
  async liftBans(userId: number, by: string, now = Date.now()): Promise<number> {
    return this.direct.run(SQL.liftBans, [now, by, now, userId]);
  }

  // ---- mutes -------------------------------------------------------------------------------
  /** Mutes a user, replacing any mute already on them. */
  async setMute(m: MuteRecord): Promise<void> {
    await this.knex('mutes').insert({ user_id: m.userId, username: m.username, until: m.until, by: m.by, by_level: m.byLevel ?? null, created_at: Date.now() })
      .onConflict('user_id').merge();
  }

  async liftMute(userId: number): Promise<void> { await this.knex('mutes').where({ user_id: userId }).del(); }

  /** Mutes not yet expired. */
  async activeMutes(now = Date.now()): Promise<MuteRecord[]> {
    const rows = await this.knex('mutes').whereNull('until').orWhere('until', '>', now);
    return rows.map((r: any) => ({ userId: Number(r.user_id), username: r.username, until: num(r.until), by: r.by, byLevel: num(r.by_level) }));
  }

  // ---- certificates -------------------------------------------------------------------------
  async revokeCert(fingerprint: string, by: string, reason = ''): Promise<boolean> {
    const exists = await this.knex('revoked_certs').where({ fingerprint }).first();
    if (exists) return false;
    await this.knex('revoked_certs').insert({ fingerprint, by, reason, created_at: Date.now() });
    await this.knex('certificates').where({ fingerprint }).whereNull('revoked_at').update({ revoked_at: Date.now() });
    return true;
  }

  async isRevoked(fingerprint: string): Promise<boolean> {
    return (await this.direct.all(SQL.revoked, [fingerprint])).length > 0;
  }

  async listRevoked(): Promise<string[]> {
    return (await this.knex('revoked_certs').select('fingerprint')).map((r: any) => r.fingerprint);
  }

  // ---- rooms --------------------------------------------------------------------------------
  async ensureRoom(name: string): Promise<RoomRecord> {
    const [r] = await this.direct.all(SQL.room, [name]);
    if (r) return { name: r.name, topic: r.topic, createdAt: Number(r.created_at) };
    const room = { name, topic: '', createdAt: Date.now() };
    await this.knex('rooms').insert({ name, topic: '', created_at: room.createdAt }).onConflict('name').ignore();
    return room;
  }

  async setTopic(name: string, topic: string): Promise<void> {
    await this.ensureRoom(name);
    await this.knex('rooms').where({ name }).update({ topic });
  }

  async roomExists(name: string): Promise<boolean> {
    return (await this.direct.all(SQL.room, [name])).length > 0;
  }

  async countRooms(): Promise<number> {
    const r = await this.knex('rooms').count({ n: '*' }).first();
    return Number(r?.n ?? 0);
  }

  async listRooms(): Promise<RoomRecord[]> {
    return (await this.knex('rooms').orderBy('name')).map((r: any) => ({ name: r.name, topic: r.topic, createdAt: Number(r.created_at) }));
  }

  // ---- messages -----------------------------------------------------------------------------
  /** Inserts a batch of messages (rooms are created as needed); duplicates by id are ignored. */
  async insertMessages(rows: MessageRow[]): Promise<void> {
    if (!rows.length) return;
    const rooms = [...new Set(rows.map((r) => r.frame.room))];
    if (this.direct.sqlite) {
      const now = Date.now();
      await this.direct.sqlite((prepare) => {
        const room = prepare(SQL.insertRoom);
        for (const name of rooms) room.run(name, now);
        const message = prepare(SQL.insertMessage);
        for (const { frame, senderId } of rows) {
          message.run(frame.id, frame.room, senderId, frame.from.name, frame.from.role, frame.from.color, frame.kind, frame.text, Date.parse(frame.ts));
        }
      });
      return;
    }
    await this.knex.transaction(async (trx) => {
      await trx('rooms').insert(rooms.map((name) => ({ name, topic: '', created_at: Date.now() }))).onConflict('name').ignore();
      await trx('messages').insert(rows.map(({ frame, senderId }) => ({
        id: frame.id, room: frame.room, sender_id: senderId, sender_name: frame.from.name, sender_role: frame.from.role,
        sender_color: frame.from.color, kind: frame.kind, text: frame.text, ts: Date.parse(frame.ts),
      }))).onConflict('id').ignore();
    });
  }

  /** The last `limit` messages of a room, oldest first; with `afterTs`, only newer ones. */
  async history(room: string, limit: number, afterTs?: number): Promise<MessageFrame[]> {
    const rows = afterTs === undefined
      ? await this.direct.all(SQL.history, [room, limit])
      : await this.direct.all(SQL.historyAfter, [room, afterTs, limit]);
    return rows.reverse().map(toMessage);
  }

  /**
   * The messages of a room after the one with id `afterId`, oldest first: the newest `limit` of them,
   * and whether there were more. `found` false: that message is not (or not yet) in the database.
   */
  async historySince(room: string, afterId: string, limit: number): Promise<{ found: boolean; messages: MessageFrame[]; more: boolean }> {
    const at = await this.knex('messages').where({ id: afterId, room }).first('seq', 'ts');
    if (!at) return { found: false, messages: [], more: false };
    // seq is the order of insertion, which is the order of delivery on a single node.
    // With several nodes, each writes its own messages: one said after `afterId` on another node can
    // have the lower seq. Its later timestamp brings it in too.
    const rows = await this.knex('messages').where({ room }).andWhere((q) => q.where('seq', '>', at.seq).orWhere('ts', '>', at.ts))
      .orderBy('seq', 'desc').limit(limit + 1);
    const more = rows.length > limit;
    return { found: true, messages: rows.slice(0, limit).reverse().map(toMessage), more };
  }

  // ---- direct messages (migration 008) ------------------------------------------------------
  /** Stores a DM; `delivered` false puts it in the recipient's mailbox. */
  async addDm(frame: DmFrame, delivered: boolean): Promise<void> {
    await this.knex('dms').insert({
      id: frame.id, sender: frame.from.name, sender_role: frame.from.role, sender_color: frame.from.color, recipient: frame.to,
      text: frame.text, ts: Date.parse(frame.ts), delivered_at: delivered ? Date.now() : null,
    }).onConflict('id').ignore();
  }

  /** How many DMs wait for a user. */
  async mailboxSize(user: string): Promise<number> {
    const r = await this.knex('dms').where({ recipient: user }).whereNull('delivered_at').count({ n: '*' }).first();
    return Number(r?.n ?? 0);
  }

  /** The DMs waiting for a user, oldest first (up to `limit`). */
  async mailbox(user: string, limit: number): Promise<DmFrame[]> {
    const rows = await this.knex('dms').where({ recipient: user }).whereNull('delivered_at').orderBy('seq', 'asc').limit(limit);
    return rows.map(toDm);
  }

  /** Marks DMs delivered (they leave the mailbox). */
  async markDelivered(ids: string[], at = Date.now()): Promise<void> {
    for (let i = 0; i < ids.length; i += 500) await this.knex('dms').whereIn('id', ids.slice(i, i + 500)).update({ delivered_at: at });
  }

  /** The last `limit` DMs between two users, either way, oldest first. */
  async dmHistory(a: string, b: string, limit: number): Promise<DmFrame[]> {
    const rows = await this.knex('dms')
      .where((q) => q.where({ sender: a, recipient: b }).orWhere({ sender: b, recipient: a }))
      .orderBy('seq', 'desc').limit(limit);
    return rows.reverse().map(toDm);
  }

  /** A user's own name color, or null for their role's. */
  async setNameColor(id: number, color: string | null): Promise<void> {
    await this.knex('users').where({ id }).update({ name_color: color });
  }

  // ---- enrollment ---------------------------------------------------------------------------
  async addInvite(i: NewInvite): Promise<number> {
    const [id] = await this.knex('invites').insert({
      user: i.user, role: i.role, token_hash: i.tokenHash, created_by: i.createdBy, created_at: i.createdAt,
      expires_at: i.expiresAt, existing: i.existing,
    });
    return Number(id);
  }

  async listInvites(): Promise<InviteRecord[]> {
    return (await this.knex('invites').orderBy('id', 'asc')).map(toInvite);
  }

  /** The invite of a token (by its hash), whatever its state. */
  async inviteByTokenHash(tokenHash: string): Promise<InviteRecord | null> {
    const r = await this.knex('invites').where({ token_hash: tokenHash }).first();
    return r ? toInvite(r) : null;
  }

  /** Revokes a user's invites that are still open; returns how many. */
  async revokeInvites(user: string, now = Date.now()): Promise<number> {
    return this.knex('invites').where({ user }).whereNull('used_at').whereNull('revoked_at').update({ revoked_at: now });
  }

  /**
   * Claims the invite and writes what it grants, all or nothing. The claim is one conditional UPDATE,
   * so of two enrollments racing with one token exactly one sees a row changed; the other gets false
   * and nothing of it is written. A new user's name taken meanwhile also rolls everything back.
   */
  async completeEnrollment(e: Enrollment): Promise<boolean> {
    try {
      return await this.knex.transaction(async (trx) => {
        const claimed = await trx('invites').where({ id: e.inviteId }).whereNull('used_at').whereNull('revoked_at')
          .andWhere('expires_at', '>', e.now).update({ used_at: e.now });
        if (claimed !== 1) throw new NotClaimed();
        if (e.existing) {
          const u = await trx('users').where({ username: e.user }).first();
          if (!u) throw new NotClaimed();
          await trx('users').where({ id: u.id }).update({ password_hash: e.passwordHash, failed_logins: 0, locked_until: null });
          await this.revokeEarlier(trx, e.user, e.cert.fingerprint, e.now, 'enroll');
        } else {
          if (await trx('users').where({ username: e.user }).first()) throw new NotClaimed();
          await trx('users').insert({ username: e.user, password_hash: e.passwordHash, role: e.role, created_at: e.now });
        }
        await trx('certificates').insert(certRow(e.cert));
        return true;
      });
    } catch (err) {
      if (err instanceof NotClaimed) return false;
      throw err;
    }
  }

  /** Marks a user's other certificates revoked, and lists their fingerprints where logins look (revoked_certs). */
  private async revokeEarlier(trx: Knex.Transaction, user: string, keep: string, now: number, by: string): Promise<void> {
    const rows: Array<{ fingerprint: string }> = await trx('certificates').where({ user }).whereNull('revoked_at').whereNot({ fingerprint: keep }).select('fingerprint');
    if (!rows.length) return;
    await trx('certificates').whereIn('fingerprint', rows.map((r) => r.fingerprint)).update({ revoked_at: now });
    await trx('revoked_certs').insert(rows.map((r) => ({ fingerprint: r.fingerprint, by, reason: 're-enrolled', created_at: now })))
      .onConflict('fingerprint').ignore();
  }

  /** Records a client certificate; one already known is left as it is. */
  async recordCertificate(c: Omit<CertificateRecord, 'revokedAt'>): Promise<void> {
    await this.knex('certificates').insert(certRow(c)).onConflict('fingerprint').ignore();
  }

  async certificate(fingerprint: string): Promise<CertificateRecord | null> {
    const r = await this.knex('certificates').where({ fingerprint }).first();
    return r ? toCertificate(r) : null;
  }

  async listCertificates(user?: string): Promise<CertificateRecord[]> {
    const q = this.knex('certificates').orderBy('id', 'asc');
    if (user) q.where({ user });
    return (await q).map(toCertificate);
  }

  // ---- data lifecycle (issue 15) -------------------------------------------------------------
  /**
   * Matches of all `words` in `rooms`, newest first (by arrival in the database). FTS5 hands its
   * rowids (= seq) out in descending order and stops at the limit, where ordering by ts would sort
   * every match of a common word first.
   */
  async searchMessages(q: { words: string[]; rooms: string[]; from?: string | null; limit: number }): Promise<MessageFrame[]> {
    if (!q.rooms.length || !q.words.length) return [];
    const against = this.target.kind === 'mysql' ? booleanMatch(q.words) : '';
    if (this.target.kind === 'mysql' && !against) return [];
    const inRooms = q.rooms.map(() => '?').join(', ');
    const from = q.from ? ' and m.sender_name = ?' : '';
    const params: unknown[] = [...q.rooms, ...(q.from ? [q.from] : []), q.limit];
    if (this.target.kind === 'sqlite') {
      const rows = await this.direct.all(`select m.* from messages_fts join messages m on m.seq = messages_fts.rowid where messages_fts match ?`
        + ` and m.room in (${inRooms})${from} order by messages_fts.rowid desc limit ?`, [fts5Match(q.words), ...params]);
      return rows.map(toMessage);
    }
    // InnoDB's FULLTEXT hands out every match of a word before anything is ordered or limited, at
    // ~33 µs a match: a word in 2 % of 1,000,000 messages cost 0.7 s, one in a third of them 3 s
    // (BENCHMARKS.md). Such words are found among the newest messages, so those are tried first:
    // the newest rows by primary key, in growing windows, checked here word by word. Enough matches
    // in a window are the newest matches overall (every row outside it is older); otherwise the
    // index answers, for words rare enough that their matches are few.
    const words = innodbWords(q.words);
    for (const window of RECENT_WINDOWS) {
      const recent = await this.direct.all(`select m.* from messages m where m.seq > (select coalesce(max(seq), 0) - ${window} from messages)`
        + ` and m.room in (${inRooms})${from} order by m.seq desc`, params.slice(0, -1));
      const hits = recent.filter((r) => hasAllWords(r.text, words));
      if (hits.length >= q.limit) return hits.slice(0, q.limit).map(toMessage);
    }
    const rows = await this.direct.all(`select m.* from messages m where match(m.text) against (? in boolean mode)`
      + ` and m.room in (${inRooms})${from} order by m.seq desc limit ?`, [against, ...params]);
    return rows.map(toMessage);
  }

  /**
   * Deletes up to `batch` messages older than `before` (ms); returns how many. One short statement:
   * the caller loops, yielding between batches, so no lock is held long enough to stall chat.
   */
  async pruneMessages(before: number, batch: number): Promise<number> {
    return this.target.kind === 'sqlite'
      ? this.direct.run('delete from messages where seq in (select seq from messages where ts < ? limit ?)', [before, batch])
      // Ordered, so that the rows a batch takes are defined (statement-based replication), and by the ts index.
      : this.direct.run('delete from messages where ts < ? order by ts, seq limit ?', [before, batch]);
  }

  async countMessages(): Promise<number> {
    const r = await this.knex('messages').count({ n: '*' }).first();
    return Number(r?.n ?? 0);
  }

  /** Everything stored about one account (chat-admin export); the password hash never leaves. */
  async exportUser(u: UserRecord): Promise<UserExport> {
    const mine = (q: Knex.QueryBuilder) => q.where('sender_id', u.id).orWhere((w) => w.whereNull('sender_id').andWhere('sender_name', u.username));
    const messages = await mine(this.knex('messages').select('id', 'ts', 'room', 'kind', 'text')).orderBy('seq', 'asc');
    const bans = await this.knex('bans').where('user_id', u.id).orWhere('username', u.username).orderBy('id', 'asc');
    const mutes = await this.knex('mutes').where('user_id', u.id);
    const audit = await this.knex('audit_log').where('target', u.username).orWhere('actor', u.username).orderBy('id', 'asc');
    const dms: ExportedDm[] = (await this.knex('dms').where('sender', u.username).orWhere('recipient', u.username).orderBy('seq', 'asc'))
      .map((r: any) => ({ id: r.id, ts: iso(Number(r.ts)), from: r.sender, to: r.recipient, text: r.text, delivered: r.delivered_at !== null }));
    return {
      account: { id: u.id, username: u.username, role: u.role, disabled: u.disabled, createdAt: iso(u.createdAt), lastLogin: iso(u.lastLogin) },
      messages: messages.map((r: any) => ({ id: r.id, ts: iso(Number(r.ts)), room: r.room, kind: r.kind, text: r.text })),
      dms: { stored: true, sent: dms.filter((d) => d.from === u.username), received: dms.filter((d) => d.to === u.username) },
      bans: bans.map((r: any) => {
        const b = toBan(r);
        return { id: b.id, reason: b.reason, by: b.by, createdAt: iso(b.createdAt), expiresAt: iso(b.expiresAt), liftedAt: iso(b.liftedAt) };
      }),
      mutes: mutes.map((r: any) => ({ until: iso(num(r.until)), by: r.by, createdAt: iso(Number(r.created_at)) })),
      audit: audit.map((r: any) => ({ id: Number(r.id), ts: iso(Number(r.ts)), actor: r.actor, action: r.action, target: r.target, detail: r.detail })),
    };
  }

  /**
   * Erases an account in one transaction: its messages are deleted; its name becomes
   * `deleted-<id>` wherever it is stored (the account row, audit_log, bans, mutes, revocations), so
   * the log keeps what happened without saying to whom; the row stays (disabled, no password) for
   * the ids that point at it. Returns the new name and how many messages went.
   */
  async purgeUser(u: UserRecord, actor: string): Promise<{ anonymous: string; messages: number; dms: number }> {
    const anon = `deleted-${u.id}`;
    const name = u.username;
    return this.knex.transaction(async (trx) => {
      const messages = await trx('messages').where('sender_id', u.id).orWhere((w) => w.whereNull('sender_id').andWhere('sender_name', name)).del();
      // DMs both ways: a conversation is about both people, and erasing means neither side keeps it here.
      const dms = await trx('dms').where('sender', name).orWhere('recipient', name).del();
      await trx('audit_log').where('actor', name).update({ actor: anon });
      await trx('audit_log').where('target', name).update({ target: anon });
      await trx('bans').where('user_id', u.id).orWhere('username', name).update({ username: anon });
      await trx('bans').where('by', name).update({ by: anon });
      await trx('bans').where('lifted_by', name).update({ lifted_by: anon });
      await trx('mutes').where('user_id', u.id).update({ username: anon });
      await trx('mutes').where('by', name).update({ by: anon });
      await trx('revoked_certs').where('by', name).update({ by: anon });
      await trx('login_locks').where('name', name).del();
      // Enrollment keeps the name too: certificates issued to it, invites for it or made by it.
      await trx('certificates').where('user', name).update({ user: anon });
      await trx('invites').where('user', name).update({ user: anon });
      await trx('invites').where('created_by', name).update({ created_by: anon });
      await trx('users').where('id', u.id).update({
        username: anon, password_hash: '!purged', disabled: true, failed_logins: 0, locked_until: null, last_login: null,
      });
      await trx('audit_log').insert({ actor, action: 'user.purge', target: anon, detail: `${messages} messages and ${dms} DMs deleted`, ts: Date.now() });
      return { anonymous: anon, messages, dms };
    });
  }

  // ---- audit --------------------------------------------------------------------------------
  async audit(e: AuditEntry): Promise<void> {
    await this.knex('audit_log').insert({ actor: e.actor, action: e.action, target: e.target ?? null, detail: auditDetail(e.detail), ts: e.ts ?? Date.now() });
  }

  /** The id of the newest audit entry, 0 when there is none. */
  async lastAuditId(): Promise<number> {
    const r = await this.knex('audit_log').max({ id: 'id' }).first();
    return Number(r?.id ?? 0);
  }

  /** One actor's audit entries after `afterId`, oldest first (up to 1,000). */
  async auditAfter(afterId: number, actor: string): Promise<Array<Required<AuditEntry> & { id: number }>> {
    const rows = await this.knex('audit_log').where('id', '>', afterId).andWhere({ actor }).orderBy('id', 'asc').limit(1000);
    return rows.map((r: any) => ({ id: Number(r.id), actor: r.actor, action: r.action, target: r.target, detail: r.detail, ts: Number(r.ts) }));
  }}

/** Thrown inside completeEnrollment's transaction to roll it back. */
class NotClaimed extends Error {}

function auditDetail(d: string | null | undefined): string | null {
  if (d === null || d === undefined) return null;
  const cps = [...d];
  return cps.length <= AUDIT_DETAIL_MAX ? d : cps.slice(0, AUDIT_DETAIL_MAX - 1).join('') + '…';
}

/** Opens a store and checks it answers; connection problems become one clear SetupError line. */
export async function openStore(url: string, opts: { connectTimeoutMs?: number } = {}): Promise<Store> {
  const store = new Store(url, opts);
  try {
    await store.ping();
  } catch (e) {
    await store.close().catch(() => {});
    throw new SetupError(`database ${store.description} unreachable: ${(e as Error).message}`);
  }
  return store;
}
