// Which sessions get a resume token, and when (PROTOCOL.md "Resume tokens"): in the login_ok of a
// login, and in the bye SHUTDOWN of a graceful stop. The second is for the reconnect storm after a
// restart (issue 18): a node that ran longer than limits.resumeTokenTtlMs has only expired tokens
// out there, so every client would come back with its password, an argon2id hash each (1,000
// clients ≈ 90 s of CPU). A token in the bye is fresh at the moment they all reconnect.
//
// Tokens are made over the user's record (its password hash); at login that record is at hand, at
// shutdown it is read for every session at once. No state per session is kept for this beyond the
// short wait between a login's check and its login_ok.
import type { Limits } from '../config.js';
import type { Logger } from '../log.js';
import type { Session } from '../session.js';
import type { Store, UserRecord } from '../store/index.js';
import { withTimeout } from '../timeout.js';
import type { LoginService } from './login.js';

export type LoginMethod = 'password' | 'resume' | 'certificate';
export type JustIn = { method: LoginMethod; resume: string | null };

export class ResumeIssuer {
  /** How a session logged in, and its token, from the login's check to its login_ok (attach). */
  private readonly justIn = new WeakMap<Session, JustIn>();

  constructor(
    private readonly logins: LoginService, private readonly store: Store, private readonly limits: () => Limits, private readonly log: Logger,
  ) {}

  /** A login passed. A token for JSON sessions only: text mode and IRC have no field to carry it, nor a client to keep it. */
  loggedIn(s: Session, user: UserRecord, method: LoginMethod): void {
    const resume = method !== 'certificate' && s.mode === 'json' ? this.logins.issueToken(user, s.fingerprint) : null;
    this.justIn.set(s, { method, resume });
  }

  /** What loggedIn kept for this session's login_ok; forgotten as it is taken. */
  take(s: Session): JustIn | undefined {
    const how = this.justIn.get(s);
    this.justIn.delete(s);
    return how;
  }

  /**
   * Fresh tokens for the byes of a shutdown: every logged-in JSON session with a client certificate.
   * The users are read in one query per 500 (Store.usersByIds), waited for at most `budgetMs` and
   * limits.dbTimeoutMs: a database that is down or slow costs the byes no more than that, and they
   * go without tokens, as before tokens. A user gone or disabled meanwhile gets none.
   */
  async forShutdown(sessions: Iterable<Session>, budgetMs: number): Promise<Map<Session, string>> {
    const out = new Map<Session, string>();
    if (!this.limits().resumeTokenTtlMs) return out; // tokens off: no need to ask the database
    const want = [...sessions].filter((s) => s.mode === 'json' && s.user && s.fingerprint && !s.closed);
    if (!want.length) return out;
    let users: UserRecord[];
    try {
      users = await withTimeout(this.store.usersByIds(want.map((s) => s.user!.id)), Math.max(0, Math.min(budgetMs, this.limits().dbTimeoutMs)));
    } catch (e) {
      this.log.warn('shutdown: byes without resume tokens, the database did not answer', { err: (e as Error).message, sessions: want.length });
      return out;
    }
    const byId = new Map(users.map((u) => [u.id, u]));
    for (const s of want) {
      const u = byId.get(s.user!.id);
      const token = u && !u.disabled ? this.logins.issueToken(u, s.fingerprint) : null;
      if (token) out.set(s, token);
    }
    return out;
  }
}
