// The Store's accounts: roles, users, their name colors, and login locks (by login name). Its own
// module because every login and every role check goes through it.
import { withAudit } from './audit.js';
import { StoreCore } from './core.js';
import { toUser, type AuditEntry, type RoleRecord, type UserRecord } from './records.js';
import { SQL } from './sql.js';

/** Ids per query of usersByIds. */
export const USERS_BY_ID_CHUNK = 500;

export abstract class AccountStore extends StoreCore {
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

  /** Changes a role's level or color; `audit` is stored with it, in one transaction (see withAudit), when the role exists. */
  async updateRole(name: string, patch: Partial<Omit<RoleRecord, 'name'>>, audit?: AuditEntry): Promise<boolean> {
    return (await withAudit(this.knex, audit, (trx) => trx('roles').where({ name }).update(patch), (n) => n > 0)) > 0;
  }

  // ---- users --------------------------------------------------------------------------------
  async getUser(username: string): Promise<UserRecord | null> {
    const [r] = await this.direct.all(SQL.userByName, [username]);
    return r ? toUser(r) : null;
  }

  /**
   * The users with these ids (unknown ids are left out), in one query per USERS_BY_ID_CHUNK ids: a
   * shutdown reads every connected user at once (resume tokens in the byes), and one IN list per
   * chunk stays below SQLite's bound-parameter limit (999 in older builds) and MySQL's packet size.
   */
  async usersByIds(ids: readonly number[]): Promise<UserRecord[]> {
    const unique = [...new Set(ids)];
    const out: UserRecord[] = [];
    for (let i = 0; i < unique.length; i += USERS_BY_ID_CHUNK) {
      const rows = await this.knex('users').join('roles', 'users.role', 'roles.name').leftJoin('cert_cutoffs', 'cert_cutoffs.name', 'users.username')
        .whereIn('users.id', unique.slice(i, i + USERS_BY_ID_CHUNK)).select('users.*', 'roles.level', 'roles.color', 'cert_cutoffs.not_before as certs_not_before');
      for (const r of rows) out.push(toUser(r));
    }
    return out;
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

  // A role change and a disabled account are followed by every node through their audit rows
  // (pollers.ts): the row and the change are one transaction (withAudit), so a node that reads the
  // row finds the change stored, and no row tells of a change that failed.
  async setUserRole(id: number, role: string, audit?: AuditEntry): Promise<void> {
    await withAudit(this.knex, audit, (trx) => trx('users').where({ id }).update({ role }));
  }

  async setDisabled(id: number, disabled: boolean, audit?: AuditEntry): Promise<void> {
    await withAudit(this.knex, audit, (trx) => trx('users').where({ id }).update({ disabled }));
  }

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

  /** A user's own name color, or null for their role's. */
  async setNameColor(id: number, color: string | null): Promise<void> {
    await this.knex('users').where({ id }).update({ name_color: color });
  }
}
