// Checking a login, in a fixed order that leaks nothing: throttle by IP, certificate binding,
// lockout by name (known or not), password (a dummy hash for unknown names, so both cost the same),
// then account state (disabled, banned) only once the password is proven.
import { ChatdError } from '../errors.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { KeyedBuckets } from '../ratelimit.js';
import { normalizeUsername } from '../sanitize.js';
import type { Store, UserRecord } from '../store/index.js';
import { dummyVerify, hashPassword, needsRehash, verifyPassword } from './password.js';
import { banMessage } from '../duration.js';

export type LoginRequest = { user: string; password: string; ip: string; certUser: string | null; fingerprint: string | null; hasCert: boolean };

type Failures = { times: number[]; lockedUntil: number };

/** Rejects when `p` has not settled within `ms` (a database that hangs must not hang logins). */
export function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<T>((_, reject) => { t = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms); }),
  ]);
}

export class LoginService {
  private readonly ipFailures: KeyedBuckets;
  // Failures per login name, whether or not the account exists, so a lock reveals nothing.
  private readonly byName = new Map<string, Failures>();

  constructor(private readonly store: Store, private readonly config: Config, private readonly log: Logger) {
    this.ipFailures = new KeyedBuckets(config.limits.loginIpBurst, config.limits.loginIpRate);
  }

  async check(req: LoginRequest): Promise<UserRecord> {
    const lim = this.config.limits;
    if (!this.ipFailures.get(req.ip).peek()) throw new ChatdError('RATE_LIMITED', 'too many failed logins from your address; wait a little');
    const name = normalizeUsername(req.user);
    if (name && this.config.certBinding === 'cn' && req.hasCert && req.certUser !== name) {
      throw new ChatdError('CERT_MISMATCH', `this certificate is for "${req.certUser ?? '?'}", not "${name}"`);
    }
    const lockedUntil = name ? this.lockedUntil(name) : 0;
    if (lockedUntil > Date.now()) throw this.lockedError(lockedUntil);

    let user: UserRecord | null = null;
    if (name) {
      try {
        user = await within(this.store.getUser(name), lim.dbTimeoutMs);
        if (user?.lockedUntil && user.lockedUntil > Date.now()) throw this.lockedError(user.lockedUntil);
        if (req.fingerprint && await within(this.store.isRevoked(req.fingerprint), lim.dbTimeoutMs)) {
          throw new ChatdError('CERT_REVOKED');
        }
      } catch (e) {
        if (e instanceof ChatdError) throw e;
        this.log.warn('login: database unavailable', { err: (e as Error).message });
        throw new ChatdError('SERVICE_UNAVAILABLE');
      }
    }
    const ok = user ? await verifyPassword(req.password, user.passwordHash) : await dummyVerify(req.password, this.config.password);
    if (!ok || !user) {
      await this.fail(name, user, req.ip);
      throw new ChatdError('AUTH_FAILED');
    }
    this.byName.delete(user.username);
    if (user.disabled) throw new ChatdError('FORBIDDEN', 'this account is disabled');
    let ban;
    try {
      ban = await within(this.store.findActiveBan({ userId: user.id, ip: req.ip, fingerprint: req.fingerprint }), lim.dbTimeoutMs);
    } catch (e) {
      throw new ChatdError('SERVICE_UNAVAILABLE');
    }
    if (ban) throw new ChatdError('BANNED', banMessage(ban));
    this.afterSuccess(user, req.password);
    return user;
  }

  private lockedError(until: number): ChatdError {
    return new ChatdError('AUTH_LOCKED', `too many failed logins; locked until ${new Date(until).toISOString()}`);
  }

  private lockedUntil(name: string): number {
    const f = this.byName.get(name);
    return f ? f.lockedUntil : 0;
  }

  private async fail(name: string | null, user: UserRecord | null, ip: string): Promise<void> {
    const lim = this.config.limits;
    this.ipFailures.get(ip).take();
    if (!name) return;
    const now = Date.now();
    let f = this.byName.get(name);
    if (!f) {
      if (this.byName.size > 100_000) this.sweep(now);
      f = { times: [], lockedUntil: 0 };
      this.byName.set(name, f);
    }
    f.times = f.times.filter((t) => t > now - lim.loginFailWindowMs);
    f.times.push(now);
    if (f.times.length >= lim.loginFailLimit) {
      f.lockedUntil = now + lim.loginLockMs;
      f.times = [];
      this.log.warn('login name locked', { user: name, until: new Date(f.lockedUntil).toISOString() });
    }
    // Persist for real accounts so a restart keeps the lock; best effort (the in-memory lock rules).
    if (user) this.store.recordFailedLogin(user.id, f.times.length, f.lockedUntil || null).catch(() => {});
  }

  private sweep(now: number): void {
    const window = this.config.limits.loginFailWindowMs;
    for (const [k, f] of this.byName) if (f.lockedUntil < now && f.times.every((t) => t <= now - window)) this.byName.delete(k);
  }

  /** Records the login and upgrades an old hash; neither delays the answer. */
  private afterSuccess(user: UserRecord, password: string): void {
    this.store.recordLogin(user.id).catch((e) => this.log.warn('could not record login', { user: user.username, err: (e as Error).message }));
    if (needsRehash(user.passwordHash, this.config.password)) {
      hashPassword(password, this.config.password)
        .then((h) => this.store.setPasswordHash(user.id, h))
        .then(() => this.log.info('password rehashed with current parameters', { user: user.username }))
        .catch((e) => this.log.warn('rehash failed', { user: user.username, err: (e as Error).message }));
    }
  }
}
