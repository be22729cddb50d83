// Password-hash benchmark: which memory-hard KDF, at OWASP parameters, does this machine afford?
// Run: npx tsc -p tsconfig.json && node dist/bench/hash.bench.js
//
// For every candidate it prints
//   - ms per hash: median of SAMPLES sequential hashes (the latency one login adds),
//   - throughput of PARALLEL concurrent hashes (a login storm), hashes/s,
//   - the event loop's worst gap between 5 ms ticks during that parallel run (what every other
//     connection of the daemon would feel).
// scrypt runs through node:crypto's async API, i.e. on the libuv threadpool (4 threads unless
// UV_THREADPOOL_SIZE says otherwise). argon2id runs the way chatd runs it: in a worker_threads pool,
// one worker per core, both chatd's own (lib/auth/argon2.ts: native blake2b, G in WebAssembly) and
// @noble/hashes' pure-JS one it replaced (same bytes). One extra row runs noble's argon2idAsync on
// the main thread to show what the event loop feels without workers.
import { randomBytes, scrypt, type ScryptOptions } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Worker, isMainThread, parentPort } from 'node:worker_threads';
import { argon2id as nobleArgon2id, argon2idAsync } from '@noble/hashes/argon2.js';
import { argon2id as chatdArgon2id } from '../lib/auth/argon2.js';

const SAMPLES = 5;
const PARALLEL = 10;
const TICK_MS = 5;
const KEY_LENGTH = 32;
const PASSWORD = 'correct horse battery staple';

type HashFn = () => Promise<unknown>;
type Candidate = { name: string; params: string; where: string; hash: HashFn };
type Result = { msPerHash: number; hashesPerSec: number; maxLagMs: number };

// ---- scrypt on the libuv threadpool ----

function scryptHash(N: number, r: number, p: number): HashFn {
  // OpenSSL needs 128·r·(N + p + 2) bytes; maxmem is only a ceiling, so double it for headroom.
  const opts: ScryptOptions = { N, r, p, maxmem: 2 * 128 * r * (N + p + 2) };
  return () =>
    new Promise<Buffer>((resolve, reject) =>
      scrypt(PASSWORD, randomBytes(16), KEY_LENGTH, opts, (err, key) => (err ? reject(err) : resolve(key))),
    );
}

// ---- argon2id in a worker_threads pool (this same file is the worker's entry point) ----

type Impl = 'chatd' | 'noble';
type ArgonJob = { id: number; impl: Impl; opts: { m: number; t: number; p: number } };

function runArgonWorker(): void {
  parentPort!.on('message', ({ id, impl, opts }: ArgonJob) => {
    if (impl === 'chatd') chatdArgon2id(PASSWORD, randomBytes(16), { ...opts, dkLen: KEY_LENGTH });
    else nobleArgon2id(PASSWORD, randomBytes(16), { ...opts, dkLen: KEY_LENGTH });
    parentPort!.postMessage(id);
  });
}

/** A fixed set of workers fed from one FIFO queue; resolves each job when its worker answers. */
class ArgonPool {
  private readonly idle: Worker[] = [];
  private readonly queue: { job: ArgonJob; done: () => void }[] = [];
  private readonly pending = new Map<number, () => void>();
  private nextId = 0;

  constructor(size: number) {
    for (let i = 0; i < size; i++) {
      const w = new Worker(new URL(import.meta.url));
      w.on('message', (id: number) => this.finished(w, id));
      this.idle.push(w);
    }
  }

  hash(impl: Impl, opts: ArgonJob['opts']): Promise<void> {
    return new Promise((done) => {
      this.queue.push({ job: { id: this.nextId++, impl, opts }, done });
      this.dispatch();
    });
  }

  close(): Promise<number[]> {
    return Promise.all(this.idle.map((w) => w.terminate()));
  }

  private finished(w: Worker, id: number): void {
    this.pending.get(id)!();
    this.pending.delete(id);
    this.idle.push(w);
    this.dispatch();
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const { job, done } = this.queue.shift()!;
      this.pending.set(job.id, done);
      this.idle.pop()!.postMessage(job);
    }
  }
}

// ---- measuring ----

/** Starts a 5 ms interval and returns a function that stops it and gives the worst tick gap. */
function watchEventLoop(): () => number {
  let last = performance.now();
  let maxGap = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
  }, TICK_MS);
  return () => {
    clearInterval(timer);
    return Math.max(maxGap, performance.now() - last);
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function msPerHash(hash: HashFn): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const t0 = performance.now();
    await hash();
    times.push(performance.now() - t0);
  }
  return median(times);
}

async function parallelRun(hash: HashFn): Promise<{ hashesPerSec: number; maxLagMs: number }> {
  const stop = watchEventLoop();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: PARALLEL }, hash));
  const elapsed = performance.now() - t0;
  return { hashesPerSec: (PARALLEL * 1000) / elapsed, maxLagMs: stop() };
}

async function measure(c: Candidate): Promise<Result> {
  await c.hash(); // warm-up: first allocation, worker start-up, JIT
  const ms = await msPerHash(c.hash);
  return { msPerHash: ms, ...(await parallelRun(c.hash)) };
}

function row(c: Candidate, r: Result): string {
  const cells = [c.name, c.params, c.where, r.msPerHash.toFixed(0), r.hashesPerSec.toFixed(1), r.maxLagMs.toFixed(0)];
  return `| ${cells.join(' | ')} |`;
}

async function main(): Promise<void> {
  const cores = availableParallelism();
  const pool = new ArgonPool(cores);
  const argonOwasp1 = { m: 19456, t: 2, p: 1 };
  const argonOwasp2 = { m: 47104, t: 1, p: 1 };
  const workers = `${cores} worker threads`;
  const threadpool = `libuv threadpool (${process.env.UV_THREADPOOL_SIZE ?? 4} threads)`;
  const candidates: Candidate[] = [
    { name: 'scrypt', params: 'N=2^17 r=8 p=1', where: threadpool, hash: scryptHash(2 ** 17, 8, 1) },
    { name: 'scrypt', params: 'N=2^16 r=8 p=2', where: threadpool, hash: scryptHash(2 ** 16, 8, 2) },
    { name: 'argon2id (chatd)', params: 'm=19456 t=2 p=1', where: workers, hash: () => pool.hash('chatd', argonOwasp1) },
    { name: 'argon2id (chatd)', params: 'm=47104 t=1 p=1', where: workers, hash: () => pool.hash('chatd', argonOwasp2) },
    { name: 'argon2id (noble)', params: 'm=19456 t=2 p=1', where: workers, hash: () => pool.hash('noble', argonOwasp1) },
    { name: 'argon2id (noble)', params: 'm=47104 t=1 p=1', where: workers, hash: () => pool.hash('noble', argonOwasp2) },
    {
      name: 'argon2id (noble)',
      params: 'm=19456 t=2 p=1',
      where: 'main thread (argon2idAsync)',
      hash: () => argon2idAsync(PASSWORD, randomBytes(16), { ...argonOwasp1, dkLen: KEY_LENGTH }),
    },
  ];
  console.log(`node ${process.version}, ${cores} cores; ${SAMPLES} samples, ${PARALLEL} parallel, ${TICK_MS} ms ticks\n`);
  console.log('| algorithm | parameters | runs on | ms/hash (median) | 10 parallel, hashes/s | max loop lag, ms |');
  console.log('|---|---|---|---:|---:|---:|');
  for (const c of candidates) console.log(row(c, await measure(c)));
  await pool.close();
}

if (isMainThread) await main();
else runArgonWorker();
