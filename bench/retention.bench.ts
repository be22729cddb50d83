// Retention benchmark (issue 15): chat latency while limits.retentionDays prunes a large backlog.
// Run: npm run build && node dist/bench/retention.bench.js [--rows 1000000] [--db mysql://…/test]
//
// Loads `rows` messages 30 days old (with their search index entries, as a real deployment has
// them), starts the chatd binary with retentionDays 7, logs two users in and sends 50 messages/s,
// timing each from the say frame to its acknowledgement. Prints chat p50/p99/max while the backlog
// is being deleted and for 5 s after, and how long the deletion took.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import knexFactory from 'knex';
import { initCertDir, issueClientCert } from '../lib/auth/certs.js';
import { hashPassword } from '../lib/auth/password.js';
import { openStore, type MessageRow } from '../lib/store/index.js';
import { percentile } from './lib/stats.js';
import { CHEAP, PASSWORD } from './lib/world.js';

const CHATD = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', 'cli', 'chatd.js');
const DAY = 86_400_000;
const RATE = 50; // messages per second, one at a time
const AFTER_MS = 5000;
const MAX_MS = 600_000;

const { values: v } = parseArgs({ options: { rows: { type: 'string', default: '1000000' }, db: { type: 'string' } } });
const rows = Number(v.rows);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatd-bench-retention-'));
const log = (s: string) => process.stderr.write(`[retention ${new Date().toISOString().slice(11, 19)}] ${s}\n`);

async function database(): Promise<{ url: string; drop(): Promise<void> }> {
  if (!v.db) return { url: `sqlite:${path.join(dir, 'chatd.sqlite')}`, drop: async () => {} };
  const name = `chatd_bench_retention_${process.pid}`;
  const admin = knexFactory({ client: 'mysql2', connection: v.db });
  await admin.raw(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`);
  const u = new URL(v.db);
  u.pathname = `/${name}`;
  return { url: u.toString(), drop: async () => { await admin.raw(`DROP DATABASE IF EXISTS \`${name}\``); await admin.destroy(); } };
}

type Client = { sock: tls.TLSSocket; lines: AsyncIterator<any>; send(f: object): void; next(pred: (f: any) => boolean): Promise<any> };

function connect(port: number, certs: string, user: string): Promise<Client> {
  return new Promise((resolve, reject) => {
    const sock = tls.connect({
      host: '127.0.0.1', port, servername: 'localhost', ALPNProtocols: ['chatd/1'], ca: fs.readFileSync(`${certs}/ca.crt`),
      cert: fs.readFileSync(`${certs}/clients/${user}.crt`), key: fs.readFileSync(`${certs}/clients/${user}.key`),
    }, () => {
      sock.setNoDelay(true);
      let buf = '';
      const waiters: Array<{ pred: (f: any) => boolean; resolve: (f: any) => void }> = [];
      sock.setEncoding('utf8');
      sock.on('data', (d: string) => {
        buf += d;
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          const f = JSON.parse(buf.slice(0, i));
          buf = buf.slice(i + 1);
          if (f.type === 'ping') sock.write('{"type":"pong"}\n');
          const w = waiters.findIndex((x) => x.pred(f));
          if (w >= 0) waiters.splice(w, 1)[0]!.resolve(f);
        }
      });
      resolve({
        sock, lines: null as never,
        send: (f) => sock.write(JSON.stringify(f) + '\n'),
        next: (pred) => new Promise((res) => waiters.push({ pred, resolve: res })),
      });
    });
    sock.once('error', reject);
  });
}

async function main(): Promise<void> {
  const certs = path.join(dir, 'certs');
  await initCertDir(certs, ['localhost', '127.0.0.1'], {});
  for (const u of ['alice', 'bob']) await issueClientCert(certs, u, {});
  const db = await database();
  const store = await openStore(db.url);
  await store.migrateLatest();
  const hash = await hashPassword(PASSWORD, CHEAP);
  for (const u of ['alice', 'bob']) await store.createUser({ username: u, passwordHash: hash, role: 'user' });
  const from = { name: 'alice', role: 'user', color: 'cyan' };
  const old = Date.now() - 30 * DAY;
  const l0 = performance.now();
  for (let i = 0; i < rows; i += 5000) {
    const batch: MessageRow[] = [];
    for (let j = i; j < Math.min(rows, i + 5000); j++) {
      batch.push({ senderId: null, frame: { type: 'message', id: `o${j.toString(36)}`, ts: new Date(old - j).toISOString(), room: `room${j % 10}`, from, text: `old message number ${j} about nothing in particular`, kind: 'say' } });
    }
    await store.insertMessages(batch);
  }
  await store.close();
  log(`${rows} old messages loaded in ${((performance.now() - l0) / 1000).toFixed(1)} s (${db.url.replace(/\/\/.*@/, '//…@')})`);

  const config = path.join(dir, 'chatd.json');
  fs.writeFileSync(config, JSON.stringify({ password: CHEAP, limits: { retentionDays: 7, floodBurst: 1e6, floodRate: 1e6 } }));
  const child = spawn(process.execPath, [CHATD, '--config', config, '--db', db.url, '--port', '0', '--cert', `${certs}/server.crt`, '--key', `${certs}/server.key`, '--ca', `${certs}/ca.crt`], { stdio: ['ignore', 'pipe', 'pipe'] });
  const started = performance.now();
  let pruneEnd: number | null = null;
  let deleted = 0;
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    const m = /retention: old messages deleted.*?deleted[=":]+(\d+)/.exec(d);
    if (m && pruneEnd === null) { pruneEnd = performance.now(); deleted = Number(m[1]); }
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => { out += d; const m = /listening on [^\s]+:(\d+)/.exec(out); if (m) resolve(Number(m[1])); });
    child.once('exit', (c) => reject(new Error(`chatd exited ${c}`)));
  });
  try {
    const alice = await connect(port, certs, 'alice');
    const bob = await connect(port, certs, 'bob');
    for (const [c, u] of [[alice, 'alice'], [bob, 'bob']] as const) {
      c.send({ type: 'login', user: u, password: PASSWORD });
      const r = await c.next((f) => f.type === 'login_ok' || f.type === 'error');
      if (r.type !== 'login_ok') throw new Error(`login ${u}: ${JSON.stringify(r)}`);
    }
    log(`chat running ${((performance.now() - started) / 1000).toFixed(1)} s after chatd started`);
    const during: number[] = [];
    const after: number[] = [];
    let seq = 0;
    let pruneDoneAt: number | null = null;
    while (performance.now() - started < MAX_MS) {
      if (pruneEnd !== null && pruneDoneAt === null) pruneDoneAt = performance.now();
      if (pruneDoneAt !== null && performance.now() - pruneDoneAt > AFTER_MS) break;
      const id = `b${++seq}`;
      const t0 = performance.now();
      const ack = alice.next((f) => f.type === 'message' && f.ack === id);
      alice.send({ type: 'say', text: `live message ${seq}`, id });
      await ack;
      (pruneEnd === null ? during : after).push(performance.now() - t0);
      await sleep(Math.max(0, 1000 / RATE - (performance.now() - t0)));
    }
    const f = (xs: number[]) => `p50 ${percentile(xs, 0.5).toFixed(2)} ms, p99 ${percentile(xs, 0.99).toFixed(2)} ms, max ${Math.max(...xs).toFixed(2)} ms (${xs.length} messages)`;
    const pruneS = pruneEnd === null ? null : (pruneEnd - started) / 1000;
    console.log(JSON.stringify({
      engine: db.url.startsWith('sqlite') ? 'sqlite' : 'mariadb', rows, deleted, pruneSeconds: pruneS,
      during: { p50: percentile(during, 0.5), p99: percentile(during, 0.99), max: Math.max(...during), n: during.length },
      after: { p50: percentile(after, 0.5), p99: percentile(after, 0.99), max: Math.max(...after), n: after.length },
    }));
    log(`deleted ${deleted} rows in ${pruneS?.toFixed(1)} s; chat while pruning: ${f(during)}; after: ${f(after)}`);
    alice.sock.destroy();
    bob.sock.destroy();
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await db.drop().catch(() => {});
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => { process.stderr.write(`retention bench: ${(e as Error).stack}\n`); process.exit(1); });
