// The Store's enrollment: invites, and the one transaction that claims an invite and writes the user,
// password and certificate it grants. Its own module because that transaction must stay all or
// nothing against racing enrollments, and is easiest to review alone.
import type { Knex } from 'knex';
import { certCutoff } from '../auth/certs.js';
import { StoreCore } from './core.js';
import { certRow, toInvite, type CertificateRecord, type InviteRecord, type NewInvite } from './records.js';

/** What an enrollment writes in one transaction, once its CSR, password and certificate are ready. */
export type Enrollment = {
  inviteId: number; user: string; role: string; existing: boolean; passwordHash: string;
  cert: Omit<CertificateRecord, 'revokedAt'>; now: number;
};

export abstract class EnrollmentStore extends StoreCore {
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
          // An invite to recover the account ends the lock that failed logins put on its name.
          await trx('login_locks').where({ name: e.user }).del();
          await this.revokeEarlier(trx, e.user, e.cert.fingerprint, e.now, 'enroll');
          // And those it has no row of: made with chat-certs and never used to log in.
          await trx('cert_cutoffs').insert({ name: e.user, not_before: certCutoff(e.now) }).onConflict('name').merge();
        } else {
          if (await trx('users').where({ username: e.user }).first()) throw new NotClaimed();
          await trx('users').insert({ username: e.user, password_hash: e.passwordHash, role: e.role, created_at: e.now });
        }
        await trx('certificates').insert(certRow(e.cert));
        return true;
      });
    } catch (err) {
      // Two invites for one new name used at once: the loser's INSERT meets the unique name.
      if (err instanceof NotClaimed || isUniqueViolation(err)) return false;
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
}

/** Thrown inside completeEnrollment's transaction to roll it back. */
class NotClaimed extends Error {}

/** A duplicate key, on either engine. */
function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: string })?.code;
  return code === 'ER_DUP_ENTRY' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
