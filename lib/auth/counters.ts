// The counters behind login limits: the per-IP login throttle, attempts and locks per login name,
// and session slots per user. Every check reserves before the work it guards (a hash, an attach),
// so concurrent requests cannot all pass a check that only one of them should pass.
//
// MemoryCounters serve one node. RedisCounters make the same limits cluster-wide with one atomic
// Lua script per check, keys under the bus prefix, every key with a TTL. While Redis is unreachable
// (or slower than REDIS_TIMEOUT_MS) each check falls back to this node's memory counters: logins go
// on, limited per node as before clustering, rather than all failing or all passing unchecked.
// What was counted in memory meanwhile is not carried over when Redis is back (both sides expire).
import type { Redis } from 'ioredis';
import crypto from 'node:crypto';
import { addressKey } from '../address-key.js';
import type { Bus } from '../bus/types.js';
import type { Config, Limits } from '../config.js';
import { evictOldest, KeyedBuckets } from '../ratelimit.js';
import { withTimeout } from '../timeout.js';

/**
 * The outcome of reserving an attempt against a name: go ahead (refused null), or refuse without
 * checking the password because the name is locked, or because failures so far plus attempts in
 * flight already reach loginFailLimit ('busy': n logins sent at once get at most the limit checked).
 */
export type Attempt = { refused: null | 'locked' | 'busy'; lockedUntil: number };

export interface LoginCounters {
  /** Takes one login token of `ip` (counted by its addressKey); false when it has none left (RATE_LIMITED). */
  takeIp(ip: string): Promise<boolean>;
  /** Gives back a token taken by takeIp: the password was right, or the failure was ours. */
  returnIp(ip: string): Promise<void>;
  /** The limits object changed in place (a config reload): take up its new values. */
  reconfigure?(): void;
  /** Reserves an attempt against `name` (in flight until failed, unattempt or clear). */
  attempt(name: string): Promise<Attempt>;
  /** The attempt's password was wrong: a failure; returns when the name is locked now, or 0. */
  failed(name: string): Promise<number>;
  /** Drops an attempt that never checked the password (database down, hash pool full). */
  unattempt(name: string): Promise<void>;
  /** The password was right: the name's failures and lock are gone. */
  clear(name: string): Promise<void>;
  /** Reserves one of `limit` session slots of `user` for `session`; false when all are taken. */
  reserveSession(user: string, session: string, limit: number): Promise<boolean>;
  releaseSession(user: string, session: string): void;
  close(): void;
}

/**
 * `failures`: when each failure within the last loginFailWindowMs happened, oldest first. A sliding
 * window, as DESIGN's "5 failures within 15 min" reads: with a fixed window from the first failure,
 * four failures at its end and four at the start of the next (eight in a few seconds) locked nothing.
 */
type NameState = { failures: number[]; inflight: number; lockedUntil: number };

/** One node's counters; also what RedisCounters fall back to. */
export class MemoryCounters implements LoginCounters {
  private readonly ips: KeyedBuckets;
  private readonly names = new Map<string, NameState>();

  constructor(private readonly limits: Limits, private readonly maxNames = 100_000) {
    this.ips = new KeyedBuckets(limits.loginIpBurst, limits.loginIpRate);
  }

  reconfigure(): void { this.ips.configure(this.limits.loginIpBurst, this.limits.loginIpRate); }

  async takeIp(ip: string): Promise<boolean> { return this.ips.get(addressKey(ip, this.limits.ipv6PrefixLength)).take(); }
  async returnIp(ip: string): Promise<void> { this.ips.get(addressKey(ip, this.limits.ipv6PrefixLength)).give(); }

  async attempt(name: string, now = Date.now()): Promise<Attempt> {
    const s = this.state(name, now);
    if (s.lockedUntil > now) return { refused: 'locked', lockedUntil: s.lockedUntil };
    if (s.failures.length + s.inflight >= this.limits.loginFailLimit) return { refused: 'busy', lockedUntil: 0 };
    s.inflight++;
    return { refused: null, lockedUntil: 0 };
  }

  async failed(name: string, now = Date.now()): Promise<number> {
    const s = this.state(name, now);
    s.inflight = Math.max(0, s.inflight - 1);
    s.failures.push(now);
    if (s.failures.length < this.limits.loginFailLimit) return 0;
    s.failures = [];
    s.lockedUntil = now + this.limits.loginLockMs;
    return s.lockedUntil;
  }

  async unattempt(name: string): Promise<void> {
    const s = this.names.get(name);
    if (s) s.inflight = Math.max(0, s.inflight - 1);
  }

  /** The name's state, each failure forgotten once loginFailWindowMs has passed since it. */
  private state(name: string, now: number): NameState {
    let s = this.names.get(name);
    if (!s) {
      if (this.names.size >= this.maxNames) this.sweep(now);
      s = { failures: [], inflight: 0, lockedUntil: 0 };
      this.names.set(name, s);
    }
    const since = now - this.limits.loginFailWindowMs;
    let old = 0;
    while (old < s.failures.length && s.failures[old]! <= since) old++;
    if (old) s.failures.splice(0, old);
    return s;
  }

  async clear(name: string): Promise<void> { this.names.delete(name); }

  // One node: the node's own synchronous count (ChatNode.login) is the whole check.
  async reserveSession(): Promise<boolean> { return true; }
  releaseSession(): void {}
  close(): void {}

  /**
   * Forgets the names with nothing left to count; when more names than maxNames failed within the
   * window (a spray of guesses on a fast machine), the oldest too, as KeyedBuckets does with
   * addresses: otherwise every new name walked the whole map and it grew without bound. A lock
   * forgotten here still holds: locks are stored, and read at every login (AccountStore.loginLock).
   */
  private sweep(now: number): void {
    const since = now - this.limits.loginFailWindowMs;
    for (const [k, s] of this.names) if (s.lockedUntil <= now && s.inflight === 0 && (s.failures.at(-1) ?? 0) <= since) this.names.delete(k);
    evictOldest(this.names, Math.floor(this.maxNames * 0.9));
  }
}

// Redis gives the time (TIME) so that nodes with different clocks share one bucket correctly.
const TAKE_IP = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local burst, rate = tonumber(ARGV[1]), tonumber(ARGV[2])
local b = redis.call('HMGET', KEYS[1], 'tok', 'ts')
local tok, ts = tonumber(b[1]), tonumber(b[2])
if not tok then tok = burst; ts = now end
tok = math.min(burst, tok + math.max(0, now - ts) / 1000 * rate)
local ok = 0
if tok >= 1 then tok = tok - 1; ok = 1 end
redis.call('HSET', KEYS[1], 'tok', tostring(tok), 'ts', now)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return ok`;

const RETURN_IP = `
local tok = tonumber(redis.call('HGET', KEYS[1], 'tok'))
if tok then redis.call('HSET', KEYS[1], 'tok', tostring(math.min(tonumber(ARGV[1]), tok + 1))) end
return 0`;

// Per name: KEYS[1] the lock (PX = lock time); KEYS[2] a hash of the attempts in flight (i) that
// expires one failure window after it was made, taking any count a dead node left behind with it;
// KEYS[3] the failures, a sorted set scored by when each happened (Redis's clock), trimmed to the
// last loginFailWindowMs: a sliding window, as in MemoryCounters. ATTEMPT returns {0 go | 1 locked |
// 2 busy, ms left of the lock}.
const ATTEMPT = `
local left = redis.call('PTTL', KEYS[1])
if left > 0 then return {1, left} end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - tonumber(ARGV[2]))
local f = redis.call('ZCARD', KEYS[3])
if f + (tonumber(redis.call('HGET', KEYS[2], 'i')) or 0) >= tonumber(ARGV[1]) then return {2, 0} end
redis.call('HINCRBY', KEYS[2], 'i', 1)
if redis.call('PTTL', KEYS[2]) < 0 then redis.call('PEXPIRE', KEYS[2], ARGV[2]) end
return {0, 0}`;

// ARGV[4] names this failure in the set (unique per call). Returns the lock time in ms when this
// failure locks the name, else 0.
const FAILED = `
if (tonumber(redis.call('HGET', KEYS[2], 'i')) or 0) > 0 then redis.call('HINCRBY', KEYS[2], 'i', -1) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - tonumber(ARGV[2]))
redis.call('ZADD', KEYS[3], now, ARGV[4])
redis.call('PEXPIRE', KEYS[3], ARGV[2])
if redis.call('ZCARD', KEYS[3]) < tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], '1', 'PX', ARGV[3])
redis.call('DEL', KEYS[3])
return tonumber(ARGV[3])`;

const UNATTEMPT = `
if (tonumber(redis.call('HGET', KEYS[1], 'i')) or 0) > 0 then redis.call('HINCRBY', KEYS[1], 'i', -1) end
return 0`;

// A sorted set per user: member = one session, score = when it expires unless refreshed (a node
// that dies stops refreshing, and its sessions free their slots within the TTL).
const RESERVE_SESSION = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
redis.call('PEXPIRE', KEYS[1], ttl * 2)
return 1`;

const REFRESH_SESSIONS = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[1])
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], now + ttl, ARGV[i]) end
redis.call('PEXPIRE', KEYS[1], ttl * 2)
return 0`;

/** A login name's keys: its lock, its attempts in flight, its failures (ATTEMPT, FAILED). */
function nameKeys(name: string): string[] {
  return [`login:lock:${name}`, `login:name:${name}`, `login:fails:${name}`];
}

/** Longer than this, a Redis answer is not waited for: the check falls back to memory. */
const REDIS_TIMEOUT_MS = 500;

/** Where RedisCounters get their connection: null while Redis is down. */
export type RedisSource = () => { redis: Redis; prefix: string } | null;

export class RedisCounters implements LoginCounters {
  private readonly local: MemoryCounters;
  private timer!: NodeJS.Timeout;
  private closed = false;

  /**
   * `sessions` lists this node's sessions per user (reserved or attached); they are refreshed in
   * Redis every third of `limits.presenceTtlMs`, re-added after a Redis restart included.
   */
  constructor(
    private readonly limits: Limits, private readonly source: RedisSource, private readonly instance: string,
    private readonly sessions: () => Map<string, string[]>,
  ) {
    this.local = new MemoryCounters(limits);
    this.arm();
  }

  /** The refresh every third of the current presenceTtlMs (which each refresh also sets as the slots' lifetime). */
  private arm(): void {
    this.timer = setInterval(() => void this.refresh(), Math.max(200, Math.floor(this.limits.presenceTtlMs / 3)));
    this.timer.unref();
  }

  /** Runs `script` in Redis, or returns null (Redis down, slow or failing: use memory). */
  private async run(script: string, keys: string[], args: Array<string | number>): Promise<unknown> {
    const src = this.source();
    if (!src) return null;
    const full = keys.map((k) => src.prefix + k);
    // withTimeout gives up only after the loop has read what arrived meanwhile (expireAfter).
    try {
      return await withTimeout(src.redis.eval(script, full.length, ...full, ...args.map(String)), REDIS_TIMEOUT_MS);
    } catch {
      return null;
    }
  }

  /** A reload changes the limits object in place: the memory fallback's buckets take the new values. */
  reconfigure(): void {
    this.local.reconfigure();
    // A lowered presenceTtlMs shortens the slots at the next refresh; refreshed at the start's interval
    // still, they would lapse between refreshes and other nodes would admit the user beyond the limit.
    clearInterval(this.timer);
    if (!this.closed) this.arm();
  }

  /** How long an IP's bucket is kept: until it would be full again, read from the limits as they are now. */
  private ipTtlMs(): number {
    const lim = this.limits;
    const refill = lim.loginIpRate > 0 ? Math.ceil((lim.loginIpBurst / lim.loginIpRate) * 1000) : lim.loginFailWindowMs;
    return Math.max(1000, refill + 1000);
  }

  async takeIp(ip: string): Promise<boolean> {
    const r = await this.run(TAKE_IP, [`login:ip:${addressKey(ip, this.limits.ipv6PrefixLength)}`], [this.limits.loginIpBurst, this.limits.loginIpRate, this.ipTtlMs()]);
    return r === null ? this.local.takeIp(ip) : r === 1;
  }

  async returnIp(ip: string): Promise<void> {
    if ((await this.run(RETURN_IP, [`login:ip:${addressKey(ip, this.limits.ipv6PrefixLength)}`], [this.limits.loginIpBurst])) === null) await this.local.returnIp(ip);
  }

  async attempt(name: string): Promise<Attempt> {
    const lim = this.limits;
    const r = await this.run(ATTEMPT, nameKeys(name), [lim.loginFailLimit, lim.loginFailWindowMs]);
    if (!Array.isArray(r)) return this.local.attempt(name);
    const [refused, left] = r.map(Number) as [number, number];
    return { refused: refused === 1 ? 'locked' : refused === 2 ? 'busy' : null, lockedUntil: left > 0 ? Date.now() + left : 0 };
  }

  async failed(name: string): Promise<number> {
    const lim = this.limits;
    const r = await this.run(FAILED, nameKeys(name), [lim.loginFailLimit, lim.loginFailWindowMs, lim.loginLockMs, crypto.randomBytes(8).toString('hex')]);
    if (r === null) return this.local.failed(name);
    return Number(r) > 0 ? Date.now() + Number(r) : 0;
  }

  async unattempt(name: string): Promise<void> {
    if ((await this.run(UNATTEMPT, [`login:name:${name}`], [])) === null) await this.local.unattempt(name);
  }

  async clear(name: string): Promise<void> {
    await this.local.clear(name);
    await this.run("redis.call('DEL', KEYS[1], KEYS[2], KEYS[3]) return 0", nameKeys(name), []);
  }

  async reserveSession(user: string, session: string, limit: number): Promise<boolean> {
    const r = await this.run(RESERVE_SESSION, [`sessions:${user}`], [this.member(session), limit, this.limits.presenceTtlMs]);
    return r === null ? true : r === 1; // Redis away: the node's own count still holds
  }

  releaseSession(user: string, session: string): void {
    void this.run("redis.call('ZREM', KEYS[1], ARGV[1]) return 0", [`sessions:${user}`], [this.member(session)]);
  }

  private member(session: string): string { return `${this.instance}/${session}`; }

  private async refresh(): Promise<void> {
    for (const [user, ids] of this.sessions()) {
      if (ids.length) await this.run(REFRESH_SESSIONS, [`sessions:${user}`], [this.limits.presenceTtlMs, ...ids.map((id) => this.member(id))]);
    }
  }

  close(): void { this.closed = true; clearInterval(this.timer); }
}

/** Cluster-wide counters when the bus is Redis, this node's own otherwise. */
export function loginCounters(config: Config, bus: Bus, sessions: () => Map<string, string[]>): LoginCounters {
  const source = bus.sharedRedis?.bind(bus);
  if (!source) return new MemoryCounters(config.limits);
  return new RedisCounters(config.limits, source, crypto.randomBytes(6).toString('hex'), sessions);
}
