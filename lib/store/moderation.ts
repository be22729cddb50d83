// The Store's moderation records: bans (checked at every login) and mutes. Its own module: what a
// moderator sets and the login path reads, apart from the accounts they apply to.
import type { Knex } from 'knex';
import { withAudit } from './audit.js';
import { StoreCore } from './core.js';
import { num, toBan, type AuditEntry, type BanRecord, type MuteRecord, type NewBan } from './records.js';
import { SQL } from './sql.js';

export abstract class ModerationStore extends StoreCore {
  // Each write here takes the audit entry of the action it serves: written in its transaction
  // (withAudit), so a ban, unban, mute or unmute and its audit row are stored together or not at all.

  // ---- bans ---------------------------------------------------------------------------------
  /**
   * Adds a ban. A new ban on a user replaces that user's earlier ones (lifted by the same actor), so
   * banning again changes the duration or reason instead of stacking rows in `banned-users`.
   */
  async addBan(b: NewBan, audit?: AuditEntry, guard?: BanGuard): Promise<number> {
    const now = b.createdAt ?? Date.now();
    return withAudit(this.knex, audit, async (trx) => {
      if (b.userId != null && guard) guard(await activeBansIn(trx, b.userId, now));
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

  /** The active bans on one user, oldest first (from the user_id index, not the whole ban list). */
  async activeBansOf(userId: number, now = Date.now()): Promise<BanRecord[]> {
    return (await this.direct.all(SQL.userBans, [userId, now])).map(toBan);
  }

  /** Lifts every active ban on a user; returns how many (audited only when there was one). */
  async liftBans(userId: number, by: string, audit?: AuditEntry, now = Date.now(), guard?: BanGuard): Promise<number> {
    return withAudit(this.knex, audit, async (trx) => {
      if (guard) guard(await activeBansIn(trx, userId, now));
      return trx('bans').where({ user_id: userId }).whereNull('lifted_at')
        .andWhere((q) => q.whereNull('expires_at').orWhere('expires_at', '>', now))
        .update({ lifted_at: now, lifted_by: by });
    }, (n) => n > 0);
  }

  // ---- mutes -------------------------------------------------------------------------------
  /** Mutes a user, replacing any mute already on them. */
  async setMute(m: MuteRecord, audit?: AuditEntry, guard?: MuteGuard): Promise<void> {
    await withAudit(this.knex, audit, async (trx) => {
      if (guard) guard(await activeMuteIn(trx, m.userId));
      await trx('mutes')
        .insert({ user_id: m.userId, username: m.username, until: m.until, by: m.by, by_level: m.byLevel ?? null, created_at: Date.now() })
        .onConflict('user_id').merge();
    });
  }

  async liftMute(userId: number, audit?: AuditEntry, guard?: MuteGuard): Promise<void> {
    await withAudit(this.knex, audit, async (trx) => {
      if (guard) guard(await activeMuteIn(trx, userId));
      await trx('mutes').where({ user_id: userId }).del();
    });
  }

  /** Mutes not yet expired. */
  async activeMutes(now = Date.now()): Promise<MuteRecord[]> {
    const rows = await this.knex('mutes').whereNull('until').orWhere('until', '>', now);
    return rows.map(toMute);
  }

  /** One user's mute when not yet expired (by the primary key), else null. */
  async activeMuteOf(userId: number, now = Date.now()): Promise<MuteRecord | null> {
    const r = await this.knex('mutes').where({ user_id: userId }).andWhere((q) => q.whereNull('until').orWhere('until', '>', now)).first();
    return r ? toMute(r) : null;
  }
}

/**
 * Checks the active bans on a user in the transaction that replaces or lifts them, and throws to refuse:
 * a check made before it (//ban's rule that a higher level's ban stays) missed a ban written in between.
 */
export type BanGuard = (active: BanRecord[]) => void;

/** A user's active bans, read in `trx` and locked on MySQL/MariaDB (SQLite runs one transaction at a time). */
async function activeBansIn(trx: Knex.Transaction, userId: number, now: number): Promise<BanRecord[]> {
  const rows = await trx('bans').where({ user_id: userId }).whereNull('lifted_at')
    .andWhere((q) => q.whereNull('expires_at').orWhere('expires_at', '>', now)).forUpdate();
  return rows.map(toBan);
}

/** As BanGuard, for the mute on a user (null when none is active). */
export type MuteGuard = (active: MuteRecord | null) => void;

/** A user's active mute, read in `trx` and locked on MySQL/MariaDB. */
async function activeMuteIn(trx: Knex.Transaction, userId: number, now = Date.now()): Promise<MuteRecord | null> {
  const r = await trx('mutes').where({ user_id: userId }).andWhere((q) => q.whereNull('until').orWhere('until', '>', now)).forUpdate().first();
  return r ? toMute(r) : null;
}

const toMute = (r: any): MuteRecord => ({ userId: Number(r.user_id), username: r.username, until: num(r.until), by: r.by, byLevel: num(r.by_level) });
