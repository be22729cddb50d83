// Checking a login, in a fixed order that leaks nothing: throttle by IP, certificate binding,
// lockout by name (known or not), password (a dummy hash for unknown names, so both cost the same),
// then account state (disabled, banned) only once the password is proven. A resume token (from an
// earlier login_ok, lib/auth/resume-token.ts) takes the password's place in that order and nothing
// else: a refused token is a wrong password (counted, locking, logged), a valid one meets every
// other check.
//
// Reserve before the work: the IP token is taken and the attempt counted against the name BEFORE
// the hash, so n logins sent at once cannot all pass a check that only looked; a right password
// gives the token back and clears the name. `passwd` checks the old password the same way.
import { ChatdError, type ErrorCode } from '../errors.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { normalizeUsername } from '../sanitize.js';
import type { Store, UserRecord } from '../store/index.js';
import { dummyVerify, hashPassword, needsRehash, passwordPool, PoolBusyError, verifyPassword } from './password.js';
import { banMessage } from '../duration.js';
import type { Attempt, LoginCounters } from './counters.js';
import { FailedLoginLog } from './faillog.js';
import { passwordProblem } from './policy.js';
import { withTimeout } from '../timeout.js';
import { ResumeTokens } from './resume-token.js';

/** What proves a login: the password, or a resume token from an earlier login_ok on the same certificate. */
export type LoginProof = { password: string } | { resume: string };
/** `certNotBefore`: the client certificate's notBefore (ms), null without one. */
export type LoginRequest = {
  user: string; proof: LoginProof; ip: string; certUser: string | null; fingerprint: string | null; hasCert: boolean; certNotBefore: number | null;
};

/**
 * A credential check: who, from where, what proves it (given the account, or null for a name
 * without one: that must cost the same and fail), and what to answer when the hash pool is full.
 */
type Verify = {
  name: string | null; ip: string; proof: (user: UserRecord | null) => Promise<boolean>; fingerprint: string | null; busy: ErrorCode; before?: () => void;
  certNotBefore?: number | null;
};

/**
 * A certificate of the account made before its cutoff (a re-enrollment of a lost key, or a purge of
 * the name's former account: cert_cutoffs), which no row of revoked_certs names when chatd never saw it.
 */
function beforeCutoff(user: UserRecord | null, certNotBefore: number | null | undefined): boolean {
  return !!user && user.certsNotBefore != null && certNotBefore != null && certNotBefore < user.certsNotBefore;
}

/** The server_secrets row that keys resume tokens. */
const RESUME_SECRET = 'resume-token';

export class LoginService {
  private readonly failures: FailedLoginLog;
  /** Made and checked with the cluster's shared key, loaded by start(). */
  private tokens: ResumeTokens | null = null;

  constructor(private readonly store: Store, private readonly config: Config, private readonly log: Logger, readonly counters: LoginCounters) {
    this.failures = new FailedLoginLog(log, () => config.limits.ipv6PrefixLength);
    passwordPool.maxQueue = config.limits.passwordQueueMax;
  }

  /** Loads (on a fresh database: makes) the resume-token key; before the node takes logins. */
  async start(): Promise<void> {
    this.tokens = new ResumeTokens(await this.store.serverSecret(RESUME_SECRET));
  }

  /**
   * A fresh resume token for a login of `user` on the certificate `fingerprint`, or null: tokens
   * off (limits.resumeTokenTtlMs 0), not started, or no certificate to bind it to.
   */
  issueToken(user: UserRecord, fingerprint: string | null): string | null {
    const ttl = this.config.limits.resumeTokenTtlMs;
    if (!this.tokens || !ttl || !fingerprint) return null;
    return this.tokens.issue(user, fingerprint, Date.now() + ttl);
  }

  async check(req: LoginRequest): Promise<UserRecord> {
    try {
      return await this.checkLogin(req);
    } catch (e) {
      if (e instanceof ChatdError) this.failures.record(req.ip, e.code, req.user);
      throw e;
    }
  }

  private async checkLogin(req: LoginRequest): Promise<UserRecord> {
    const name = normalizeUsername(req.user);
    const proof = req.proof;
    const user = await this.verify({
      name, ip: req.ip, proof: 'password' in proof ? this.passwordProof(proof.password) : this.tokenProof(proof.resume, req.fingerprint),
      fingerprint: req.fingerprint, certNotBefore: req.certNotBefore, busy: 'SERVICE_UNAVAILABLE',
      before: () => {
        if (name && this.config.certBinding === 'cn' && req.hasCert && req.certUser !== name) {
          throw new ChatdError('CERT_MISMATCH', `this certificate is for "${req.certUser ?? '?'}", not "${name}"`);
        }
      },
    });
    if (user.disabled) throw new ChatdError('FORBIDDEN', 'this account is disabled');
    let ban;
    try {
      ban = await withTimeout(this.store.findActiveBan({ userId: user.id, ip: req.ip, fingerprint: req.fingerprint }), this.config.limits.dbTimeoutMs);
    } catch (e) {
      throw new ChatdError('SERVICE_UNAVAILABLE');
    }
    if (ban) throw new ChatdError('BANNED', banMessage(ban));
    this.afterSuccess(user, 'password' in proof ? proof.password : null);
    return user;
  }

  /** The password against the account's hash; a name without an account costs one hash too (a dummy). */
  private passwordProof(password: string): Verify['proof'] {
    return (user) => (user ? verifyPassword(password, user.passwordHash) : dummyVerify(password, this.config.password));
  }

  /** A resume token for the account on this certificate (none: no token can match). */
  private tokenProof(token: string, fingerprint: string | null): Verify['proof'] {
    return async (user) => {
      if (!this.tokens || !fingerprint) return false;
      return this.tokens.verify(token, user, fingerprint, Date.now(), this.config.limits.resumeTokenTtlMs);
    };
  }

  /**
   * `passwd`: the old password is checked like a login of that name from that address (throttle,
   * lockout, a wrong one counts as a failure); a full hash pool answers RATE_LIMITED.
   */
  async changePassword(userName: string, ip: string, oldPassword: string, newPassword: string): Promise<void> {
    const problem = passwordProblem(newPassword);
    if (problem) throw new ChatdError('BAD_ARGS', problem);
    let user: UserRecord;
    try {
      user = await this.verify({ name: userName, ip, proof: this.passwordProof(oldPassword), fingerprint: null, busy: 'RATE_LIMITED' });
    } catch (e) {
      if (!(e instanceof ChatdError)) throw e;
      this.failures.record(ip, e.code, userName);
      throw e.code === 'AUTH_FAILED' ? new ChatdError('AUTH_FAILED', 'the old password is wrong') : e;
    }
    let hash: string;
    try {
      hash = await hashPassword(newPassword, this.config.password);
    } catch (e) {
      if (e instanceof PoolBusyError) throw new ChatdError('RATE_LIMITED', 'password hashing is busy; try again shortly');
      throw e;
    }
    await this.store.setPasswordHash(user.id, hash);
    await this.store.audit({ actor: userName, action: 'passwd', target: userName });
  }

  /** The credential check shared by logins and passwd; resolves to the user only for a right password (or token). */
  private async verify(v: Verify): Promise<UserRecord> {
    const lim = this.config.limits;
    if (!(await this.counters.takeIp(v.ip))) throw new ChatdError('RATE_LIMITED', 'too many failed logins from your address; wait a little');
    v.before?.();
    const attempt: Attempt | null = v.name ? await this.counters.attempt(v.name) : null;
    if (attempt?.refused === 'locked') throw this.lockedError(attempt.lockedUntil);
    if (attempt?.refused === 'busy') throw new ChatdError('RATE_LIMITED', 'too many logins for this name at once; try again shortly');

    // From here on the attempt is reserved: every way out settles it (a failure, a clear, or a
    // release), or loginFailLimit refusals of another kind would leave the name "busy" for good.
    let settled = false;
    try {
      let user: UserRecord | null = null;
      if (v.name) {
        try {
          // The lock is read for every name, existing or not, so a lock says nothing about which exist.
          const [u, lockedUntil] = await withTimeout(Promise.all([this.store.getUser(v.name), this.store.loginLock(v.name)]), lim.dbTimeoutMs);
          if (lockedUntil > Date.now()) throw this.lockedError(lockedUntil);
          user = u;
          if (v.fingerprint && await withTimeout(this.store.isRevoked(v.fingerprint), lim.dbTimeoutMs)) throw new ChatdError('CERT_REVOKED');
          if (beforeCutoff(u, v.certNotBefore)) throw new ChatdError('CERT_REVOKED', 'this certificate was made before the account\'s key was replaced; use the new one');
        } catch (e) {
          if (e instanceof ChatdError) throw e;
          this.log.warn('login: database unavailable', { err: (e as Error).message });
          await this.notCounted(v);
          settled = true;
          throw new ChatdError('SERVICE_UNAVAILABLE');
        }
      }
      let ok: boolean;
      try {
        ok = await v.proof(user);
      } catch (e) {
        if (!(e instanceof PoolBusyError)) throw e;
        await this.notCounted(v);
        settled = true;
        throw new ChatdError(v.busy, 'too many password checks at once; try again shortly');
      }
      if (!ok || !user) {
        settled = true;
        const lockedUntil = v.name ? await this.counters.failed(v.name) : 0;
        if (lockedUntil) this.persistLock(v.name!, lockedUntil);
        throw new ChatdError('AUTH_FAILED');
      }
      settled = true;
      await Promise.all([this.counters.clear(user.username), this.counters.returnIp(v.ip)]);
      return user;
    } finally {
      // Refused before the password was judged (a stored lock, a revoked certificate, a fault):
      // the IP token stays spent, the name's reservation is given back.
      if (!settled && v.name) await this.counters.unattempt(v.name);
    }
  }

  /** The attempt never reached the password (our failure, not the client's): give back what it took. */
  private async notCounted(v: Verify): Promise<void> {
    await Promise.all([v.name ? this.counters.unattempt(v.name) : undefined, this.counters.returnIp(v.ip)]);
  }

  /** This failure locked the name: kept in the database so a restart keeps it (best effort; the counters rule meanwhile). */
  private persistLock(name: string, until: number): void {
    this.log.warn('login name locked', { user: name, until: new Date(until).toISOString() });
    this.store.setLoginLock(name, until).catch((e) => this.log.warn('could not store a login lock', { user: name, err: (e as Error).message }));
  }

  private lockedError(until: number): ChatdError {
    return new ChatdError('AUTH_LOCKED', `too many failed logins; locked until ${new Date(until).toISOString()}`);
  }

  /**
   * SASL EXTERNAL on the IRC port (config ircCertLogin, only with --cert-binding cn): the verified
   * client certificate is the credential, its CN the account. Everything a password login checks
   * besides the password still applies: the IP throttle, the name's lock, a revoked certificate, a
   * disabled account, bans. It neither counts as a failure nor clears the name's failures (it proves
   * the key, not the password).
   */
  async checkCertificate(req: { certUser: string; ip: string; fingerprint: string; certNotBefore: number | null }): Promise<UserRecord> {
    try {
      return await this.certificateLogin(req);
    } catch (e) {
      if (e instanceof ChatdError) this.failures.record(req.ip, e.code, req.certUser);
      throw e;
    }
  }

  private async certificateLogin(req: { certUser: string; ip: string; fingerprint: string; certNotBefore: number | null }): Promise<UserRecord> {
    if (!this.config.ircCertLogin || this.config.certBinding !== 'cn') throw new ChatdError('FORBIDDEN', 'certificate-only login is not enabled');
    const name = normalizeUsername(req.certUser);
    if (!name) throw new ChatdError('AUTH_FAILED');
    if (!(await this.counters.takeIp(req.ip))) throw new ChatdError('RATE_LIMITED', 'too many failed logins from your address; wait a little');
    const attempt = await this.counters.attempt(name);
    try {
      if (attempt?.refused === 'locked') throw this.lockedError(attempt.lockedUntil);
      if (attempt?.refused === 'busy') throw new ChatdError('RATE_LIMITED', 'too many logins for this name at once; try again shortly');
      const lim = this.config.limits;
      let user: UserRecord | null, lockedUntil: number, revoked: boolean, ban;
      try {
        [user, lockedUntil, revoked] = await withTimeout(Promise.all([this.store.getUser(name), this.store.loginLock(name), this.store.isRevoked(req.fingerprint)]), lim.dbTimeoutMs);
        ban = user ? await withTimeout(this.store.findActiveBan({ userId: user.id, ip: req.ip, fingerprint: req.fingerprint }), lim.dbTimeoutMs) : null;
      } catch (e) {
        if (e instanceof ChatdError) throw e;
        throw new ChatdError('SERVICE_UNAVAILABLE');
      }
      if (lockedUntil > Date.now()) throw this.lockedError(lockedUntil);
      if (revoked || beforeCutoff(user, req.certNotBefore)) throw new ChatdError('CERT_REVOKED');
      if (!user) throw new ChatdError('AUTH_FAILED');
      if (user.disabled) throw new ChatdError('FORBIDDEN', 'this account is disabled');
      if (ban) throw new ChatdError('BANNED', banMessage(ban));
      await this.counters.returnIp(req.ip);
      this.store.recordLogin(user.id).catch((e) => this.log.warn('could not record login', { user: user!.username, err: (e as Error).message }));
      return user;
    } finally {
      if (attempt && !attempt.refused) await this.counters.unattempt(name);
    }
  }

  /** Records the login and upgrades an old hash (only a password login has the plaintext); neither delays the answer. */
  private afterSuccess(user: UserRecord, password: string | null): void {
    this.store.recordLogin(user.id).catch((e) => this.log.warn('could not record login', { user: user.username, err: (e as Error).message }));
    if (password !== null && needsRehash(user.passwordHash, this.config.password)) {
      hashPassword(password, this.config.password)
        .then((h) => this.store.setPasswordHash(user.id, h))
        .then(() => this.log.info('password rehashed with current parameters', { user: user.username }))
        .catch((e) => this.log.warn('rehash failed', { user: user.username, err: (e as Error).message }));
    }
  }
}
