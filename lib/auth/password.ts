// Password hashing: argon2id (RFC 9106) at OWASP parameters, stored as a PHC string, computed in a
// small worker_threads pool so the event loop never runs a hash.
//
// Why argon2id rather than node:crypto scrypt: measured on the 2-core target (bench/hash.bench.ts,
// numbers in SECURITY.md) argon2id at OWASP m=19 MiB,t=2 costs chatd 78–91 ms and 19 MiB per hash
// through this pool, scrypt at the OWASP-equivalent N=2^17,r=8 ~480 ms and 128 MiB: the same attacker
// cost at a sixth of the defender's. Node 20 has no native argon2: ./argon2.ts computes G in
// WebAssembly on native 64-bit words and the 64-byte blake2b in node:crypto, byte-identical to
// @noble/hashes' JS argon2id (4-5x slower), which computed every hash stored before it.
// The PHC strings are the standard ones, so a later switch to a native implementation
// (crypto.argon2 in Node 24) needs no rehash either.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { availableParallelism, constants as osConstants, setPriority } from 'node:os';
import { Worker, isMainThread, parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { argon2id } from './argon2.js';

/** Argon2id cost: m = memory in KiB, t = passes over it, p = lanes. */
export type PasswordParams = { m: number; t: number; p: number };

/** OWASP Password Storage Cheat Sheet, first argon2id option (m=19 MiB, t=2, p=1). */
export const DEFAULT_PASSWORD_PARAMS: Readonly<PasswordParams> = Object.freeze({ m: 19456, t: 2, p: 1 });

/**
 * Hashes in flight at once. Each one holds m KiB (19 MiB by default) and a core for ~50 ms here,
 * so a login storm must queue in JS rather than fan out into unbounded memory and threads.
 * One worker per core (at least 2, so one slow hash never serialises every login).
 */
export const DEFAULT_HASH_CONCURRENCY = Math.max(2, availableParallelism());

const ALGORITHM = 'argon2id';
const VERSION = 0x13; // "v=19", the only version RFC 9106 specifies
const SALT_BYTES = 16;
const KEY_BYTES = 32;

// Ceilings for parameters read back from storage: a corrupted or planted row must not be able to
// make one login allocate gigabytes or pin a worker for minutes. 256 MiB; m·t ≤ 1 GiB-pass is
// about 27× the default, ~6 s here.
const MAX_PARAMS: Readonly<PasswordParams> = { m: 262144, t: 16, p: 16 };
const MAX_COST_KIB_PASSES = 1 << 20;
// Lengths accepted in a stored string; 8 lets the reference implementation's vectors verify.
const SALT_RANGE = [8, 64] as const;
const KEY_RANGE = [16, 64] as const;

type Phc = { params: PasswordParams; salt: Uint8Array; hash: Uint8Array };

/** Hashes `password` with a fresh 16-byte random salt; returns `$argon2id$v=19$m=…,t=…,p=…$salt$hash`. */
export async function hashPassword(password: string, params: PasswordParams = DEFAULT_PASSWORD_PARAMS): Promise<string> {
  assertParams(params);
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, params, KEY_BYTES);
  return encodePhc({ params, salt, hash });
}

/**
 * True when `password` matches the stored PHC string. A malformed string, another algorithm or
 * out-of-bounds parameters give false; only a failure of the hashing workers rejects (the login
 * should then answer an internal error, not "wrong password").
 */
export async function verifyPassword(password: string, phc: string): Promise<boolean> {
  const stored = parsePhc(phc);
  if (!stored) return false;
  const hash = await derive(password, stored.salt, stored.params, stored.hash.length);
  return timingSafeEqual(hash, stored.hash);
}

/**
 * True when a stored hash should be replaced (after a successful verify, while the plaintext is at
 * hand): unparsable, another algorithm, or any cost or the key length below today's.
 */
export function needsRehash(phc: string, params: PasswordParams = DEFAULT_PASSWORD_PARAMS): boolean {
  const stored = parsePhc(phc);
  if (!stored) return true;
  const s = stored.params;
  return s.m < params.m || s.t < params.t || s.p < params.p || stored.hash.length < KEY_BYTES;
}

/**
 * Costs what verifying a real user costs, then says no: call it for unknown login names so the
 * answer time does not reveal which names exist. The dummy is random salt and random "hash" at
 * `params` — deriving against it is the same work as a real verify, and it can never match, so
 * unlike a precomputed dummy hash there is nothing to cache and no slower first call.
 */
export async function dummyVerify(password: string, params: PasswordParams = DEFAULT_PASSWORD_PARAMS): Promise<false> {
  assertParams(params); // an invalid params object would otherwise return early, i.e. fast
  await verifyPassword(password, encodePhc({ params, salt: randomBytes(SALT_BYTES), hash: randomBytes(KEY_BYTES) }));
  return false;
}

// ---- PHC string format (https://github.com/P-H-C/phc-string-format) ----

function encodePhc({ params: { m, t, p }, salt, hash }: Phc): string {
  return `$${ALGORITHM}$v=${VERSION}$m=${m},t=${t},p=${p}$${b64encode(salt)}$${b64encode(hash)}`;
}

// Decimal without leading zeros, as the PHC format requires; ten digits bound the parse.
const DEC = '(0|[1-9]\\d{0,9})';
const PHC_RE = new RegExp(`^\\$${ALGORITHM}\\$v=${DEC}\\$m=${DEC},t=${DEC},p=${DEC}\\$([A-Za-z0-9+/]+)\\$([A-Za-z0-9+/]+)$`);

function parsePhc(phc: unknown): Phc | null {
  const match = typeof phc === 'string' ? PHC_RE.exec(phc) : null;
  if (!match || Number(match[1]) !== VERSION) return null;
  const params = { m: Number(match[2]), t: Number(match[3]), p: Number(match[4]) };
  const salt = b64decode(match[5]!);
  const hash = b64decode(match[6]!);
  const ok = paramsProblem(params) === null && inRange(salt, SALT_RANGE) && inRange(hash, KEY_RANGE);
  return ok ? { params, salt: salt!, hash: hash! } : null;
}

function inRange(bytes: Uint8Array | null, [min, max]: readonly [number, number]): boolean {
  return bytes !== null && bytes.length >= min && bytes.length <= max;
}

/** Standard base64 without padding, as PHC strings use. */
function b64encode(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64').replace(/=+$/, '');
}

/** Inverse of b64encode; null unless `s` is exactly what b64encode would produce (canonical). */
function b64decode(s: string): Uint8Array | null {
  const bytes = Buffer.from(s, 'base64');
  return b64encode(bytes) === s ? bytes : null;
}

// ---- parameters ----

// Exported for the config file's validation: parameters the hasher would refuse are refused when the
// file is read, not at the first //passwd after a reload.
export function paramsProblem({ m, t, p }: PasswordParams): string | null {
  if (![m, t, p].every(Number.isSafeInteger)) return 'm, t and p must be integers';
  if (t < 1 || t > MAX_PARAMS.t) return `t must be 1..${MAX_PARAMS.t}`;
  if (p < 1 || p > MAX_PARAMS.p) return `p must be 1..${MAX_PARAMS.p}`;
  if (m < 8 * p || m > MAX_PARAMS.m) return `m must be ${8 * p}..${MAX_PARAMS.m} KiB`; // RFC 9106: m ≥ 8p
  if (m * t > MAX_COST_KIB_PASSES) return `m·t must be ≤ ${MAX_COST_KIB_PASSES}`;
  return null;
}

function assertParams(params: PasswordParams): void {
  const problem = paramsProblem(params);
  if (problem) throw new RangeError(`bad password hash parameters: ${problem}`);
}

// ---- the worker pool ----

type DeriveRequest = { password: string; salt: Uint8Array; params: PasswordParams; dkLen: number };
type DeriveReply = { key: Uint8Array } | { error: string };
type Job = { request: DeriveRequest; resolve: (key: Uint8Array) => void; reject: (err: Error) => void };

/** The pool's queue is full: the hash was refused at once rather than left to wait without bound. */
export class PoolBusyError extends Error {
  constructor() {
    super('password hashing is busy');
    this.name = 'PoolBusyError';
  }
}

// workerData that tells this module it was loaded as a hash worker (and not merely imported by
// some other worker, which must not start serving hashes).
const WORKER_ROLE = 'chatd/password-worker';

/**
 * A hash worker's young generation, in MiB. What argon2id allocates per hash is either large (its
 * m KiB block array, outside the JS heap) or dies at once, so a small young generation costs it
 * nothing measurable (CPU per hash at the default parameters with noble's argon2id, three runs
 * each: 187–190 ms, one run 219, against 185–190 with V8's default), while the default one grows by ~5 MiB of resident
 * memory per worker over a few thousand logins and keeps it: 5 KiB per idle session at 3,000
 * sessions (BENCHMARKS.md, finding 8).
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 2 };

/**
 * Runs argon2id in up to `limit` worker threads; further hashes wait in a FIFO queue. Workers
 * start on first use (the daemon starts them at boot: warm()), stay for the next login, and are unref'd while idle so they never keep a
 * process (the daemon at shutdown, a CLI) alive. Lowering `limit` retires surplus workers as they
 * become idle; a worker that dies fails only its own hash and is replaced on the next one.
 */
export class PasswordWorkerPool {
  #limit = 1;
  readonly #workers = new Set<Worker>();
  readonly #idle: Worker[] = [];
  readonly #running = new Map<Worker, Job>();
  readonly #queue: Job[] = [];
  /**
   * Hashes that may wait for a worker; one more is refused with PoolBusyError. Unbounded unless
   * set: the daemon sets it from `limits.passwordQueueMax`, tools (chat-admin) wait their turn.
   */
  maxQueue = Infinity;

  constructor(limit: number = DEFAULT_HASH_CONCURRENCY) {
    this.limit = limit;
  }

  get limit(): number {
    return this.#limit;
  }

  set limit(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`hash concurrency must be a positive integer, got ${limit}`);
    this.#limit = limit;
    this.#retireSurplus();
    this.#pump();
  }

  /** Hashes computing right now. */
  get running(): number {
    return this.#running.size;
  }

  /** Hashes waiting for a worker. */
  get queued(): number {
    return this.#queue.length;
  }

  derive(request: DeriveRequest): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      const free = this.#idle.length > 0 || this.#workers.size < this.#limit;
      if (!free && this.#queue.length >= this.maxQueue) return reject(new PoolBusyError());
      this.#queue.push({ request, resolve, reject });
      this.#pump();
    });
  }

  /**
   * Starts the workers now (idle, unref'd), so that the first logins after a start, a restart's
   * whole reconnect storm, do not each wait for a thread to boot and load this module.
   */
  warm(): void {
    while (this.#workers.size < this.#limit) {
      const worker = this.#spawn();
      worker.unref();
      this.#idle.push(worker);
    }
  }

  /** Stops every worker and fails queued and running hashes (shutdown). Later calls respawn workers. */
  async close(): Promise<void> {
    for (const job of this.#queue.splice(0)) job.reject(new Error('password worker pool closed'));
    await Promise.all([...this.#workers].map((w) => w.terminate()));
  }

  #pump(): void {
    while (this.#queue.length > 0) {
      const worker = this.#idle.pop() ?? (this.#workers.size < this.#limit ? this.#spawn() : undefined);
      if (!worker) return;
      const job = this.#queue.shift()!;
      this.#running.set(worker, job);
      worker.ref(); // whoever awaits this hash (e.g. chat-admin) needs the process to stay up
      worker.postMessage(job.request);
    }
  }

  #spawn(): Worker {
    const worker = new Worker(new URL(import.meta.url), { workerData: WORKER_ROLE, resourceLimits: WORKER_LIMITS });
    worker.on('message', (reply: DeriveReply) => this.#finished(worker, reply));
    worker.on('error', (err) => this.#lost(worker, err));
    worker.on('exit', (code) => this.#lost(worker, new Error(`password worker exited with code ${code}`)));
    this.#workers.add(worker);
    return worker;
  }

  #finished(worker: Worker, reply: DeriveReply): void {
    const job = this.#running.get(worker)!;
    this.#running.delete(worker);
    if ('key' in reply) job.resolve(reply.key);
    else job.reject(new Error(reply.error));
    worker.unref();
    this.#idle.push(worker);
    this.#retireSurplus();
    this.#pump();
  }

  /** A worker crashed or was terminated ('error' is followed by 'exit'; the second call is a no-op). */
  #lost(worker: Worker, err: Error): void {
    if (!this.#workers.delete(worker)) return;
    this.#running.get(worker)?.reject(err);
    this.#running.delete(worker);
    const idleAt = this.#idle.indexOf(worker);
    if (idleAt >= 0) this.#idle.splice(idleAt, 1);
    this.#pump();
  }

  #retireSurplus(): void {
    while (this.#workers.size > this.#limit && this.#idle.length > 0) {
      const worker = this.#idle.pop()!;
      this.#workers.delete(worker); // forget it first, so its 'exit' is not mistaken for a crash
      void worker.terminate();
    }
  }
}

/** The pool every function of this module hashes on; set `passwordPool.limit` from the config. */
export const passwordPool = new PasswordWorkerPool();

function derive(password: string, salt: Uint8Array, params: PasswordParams, dkLen: number): Promise<Uint8Array> {
  // NFKC (NIST SP 800-63B §5.1.1.2): the same password typed on macOS (NFD) or with full-width
  // input must hash the same. Done here, the one place every hash and verify goes through.
  const { m, t, p } = params; // just the numbers: the request is structured-cloned to the worker
  // A salt decoded from base64 is a view into Node's shared 8 KiB Buffer pool, and cloning a view
  // clones its whole ArrayBuffer: 8 KiB of whatever else the pool holds would travel to the worker
  // with every login. Its own 16 bytes instead.
  return passwordPool.derive({ password: password.normalize('NFKC'), salt: new Uint8Array(salt), params: { m, t, p }, dkLen });
}

// ---- worker side ----

function serveDerivations(port: MessagePort): void {
  lowerThisThreadsPriority();
  port.on('message', ({ password, salt, params, dkLen }: DeriveRequest) => {
    let reply: DeriveReply;
    try {
      reply = { key: argon2id(password, salt, { ...params, dkLen }) }; // v=19 (VERSION), its only version
    } catch (err) {
      reply = { error: err instanceof Error ? err.message : String(err) };
    }
    port.postMessage(reply);
  });
}

/**
 * A login storm keeps every worker hashing; at normal priority the kernel then shares the cores
 * evenly between them and the event loop, and chat waits for its slice. Niced, the workers take
 * what the event loop leaves. Measured on 2 cores (BENCHMARKS.md): chat p99 during a storm 7–10 ms
 * → 5.3–5.5 ms (idle 3.5), logins/s unchanged within the run-to-run spread. Linux only: there the
 * nice value belongs to a thread; elsewhere setpriority(0) would lower the whole daemon.
 */
function lowerThisThreadsPriority(): void {
  if (process.platform !== 'linux') return;
  try { setPriority(osConstants.priority.PRIORITY_BELOW_NORMAL); } catch { /* not permitted: hash at normal priority */ }
}

if (!isMainThread && workerData === WORKER_ROLE) serveDerivations(parentPort!);
