// Resume-token logins against password logins: chatd's CPU per login, read from /proc for the
// chatd process (every thread: the event loop and the hash workers), in a child process of its own
// as `npm run bench` runs it (the bench world: one shared client certificate, --cert-binding none).
// Run: npm run build && node dist/bench/resume-token.bench.js [n]     (n logins per row, default 200)
//
// Rows, each n connections, 8 at a time, each closed after its answer:
//   connect only   TLS handshake, welcome, close: what every row below pays too
//   password       + a login with the password (argon2id at the users' cost), lobby join, history
//   token          + the same login with the resume token the password login brought
// at the bench's cheap hash (m=64, t=1: what the bench's members use) and at DEFAULT_PASSWORD_PARAMS
// (what a real deployment stores). "login" = row minus "connect only".
import fs from 'node:fs';
import tls from 'node:tls';
import { performance } from 'node:perf_hooks';
import { DEFAULT_PASSWORD_PARAMS } from '../lib/auth/password.js';
import { LineDecoder } from '../lib/protocol/jsonl.js';
import { CHATD_JS } from './lib/plan.js';
import { Child, cpuMeter, killAll } from './lib/proc.js';
import { CHEAP, makeWorld, PASSWORD, removeWorld, type World } from './lib/world.js';

const CONCURRENCY = 8;
/** A history frame of the lobby fits many times over. */
const MAX_LINE = 1 << 20;
type Creds = { tls: tls.ConnectionOptions; port: number };
type Outcome = { token: string | null };

/** One connection: welcome, then (unless `login` is null) one login and its answer; then closed. */
function once(c: Creds, login: Record<string, string> | null): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ ...c.tls, port: c.port });
    const done = (o: Outcome | Error) => {
      s.destroy();
      if (o instanceof Error) reject(o); else resolve(o);
    };
    const lines = new LineDecoder(MAX_LINE, (line) => {
      if (s.destroyed) return;
      const f = JSON.parse(line);
      if (f.type === 'welcome') {
        if (!login) return done({ token: null });
        s.write(JSON.stringify({ type: 'login', ...login, id: 'L' }) + '\n');
      } else if (f.id === 'L') {
        if (f.type !== 'login_ok') return done(new Error(`login refused: ${JSON.stringify(f)}`));
        done({ token: typeof f.resume === 'string' ? f.resume : null });
      }
    }, () => done(new Error(`a line over ${MAX_LINE} bytes`)));
    s.on('error', done);
    s.on('data', (d: Buffer) => lines.push(d));
  });
}

/** Runs `n` connections, CONCURRENCY at a time; returns chatd's CPU per connection (µs), the wall time, the outcomes. */
async function row(chatd: Child, n: number, make: (i: number) => Promise<Outcome>): Promise<{ cpuUs: number; wallMs: number; out: Outcome[] }> {
  const out: Outcome[] = new Array(n);
  let next = 0;
  const meter = cpuMeter([chatd.pid]);
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < n) {
      const i = next++;
      out[i] = await make(i);
    }
  }));
  const used = meter();
  return { cpuUs: (used.ms[0]! * 1000) / n, wallMs: performance.now() - t0, out };
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 200);
  let world: World | null = null;
  let chatd: Child | null = null;
  try {
    world = await makeWorld({ users: n, stormUsers: n, log: (s) => console.error(s) });
    chatd = new Child('chatd', [CHATD_JS, '--cert', world.server.cert, '--key', world.server.key, '--ca', world.server.ca, '--db', world.db,
      '--host', '127.0.0.1', '--port', '0', '--config', world.configFile, '--cert-binding', 'none', '--log-level', 'warn']);
    const port = Number((await chatd.waitForLine(/listening on [\d.]+:(\d+)\s*$/, 30_000))[1]);
    const c: Creds = {
      port,
      tls: {
        host: '127.0.0.1', servername: 'localhost', ALPNProtocols: ['chatd/1'], ca: fs.readFileSync(world.client.ca),
        cert: fs.readFileSync(world.client.cert), key: fs.readFileSync(world.client.key),
      },
    };
    // Warm-up: the hash workers start, the JIT settles, the statements are prepared.
    await row(chatd, 50, (i) => once(c, { user: world!.users[i % world!.users.length]!, password: PASSWORD }));
    const base = await row(chatd, n, () => once(c, null));
    const fmt = (x: number) => x.toFixed(0).padStart(8);
    console.log(`chatd CPU per connection, µs (n=${n}, ${CONCURRENCY} at a time); login = row − connect only`);
    console.log(`${'cost'.padEnd(26)}${'row'.padEnd(10)}${'µs/conn'.padStart(8)}${'login µs'.padStart(10)}${'wall ms'.padStart(9)}${'logins/s'.padStart(10)}`);
    console.log(`${'-'.padEnd(26)}${'connect'.padEnd(10)}${fmt(base.cpuUs)}${''.padStart(10)}${fmt(base.wallMs).padStart(9)}${''.padStart(10)}`);
    const costs: Array<[string, string[]]> = [
      [`cheap m=${CHEAP.m},t=${CHEAP.t}`, world.users],
      [`default m=${DEFAULT_PASSWORD_PARAMS.m},t=${DEFAULT_PASSWORD_PARAMS.t}`, world.stormUsers],
    ];
    for (const [label, users] of costs) {
      const pw = await row(chatd, n, (i) => once(c, { user: users[i]!, password: PASSWORD }));
      const tokens = pw.out.map((o) => o.token);
      if (tokens.some((t) => !t)) throw new Error('a password login brought no resume token');
      const tk = await row(chatd, n, (i) => once(c, { user: users[i]!, resume: tokens[i]! }));
      for (const [name, r] of [['password', pw], ['token', tk]] as const) {
        console.log(`${label.padEnd(26)}${name.padEnd(10)}${fmt(r.cpuUs)}${fmt(r.cpuUs - base.cpuUs).padStart(10)}${fmt(r.wallMs).padStart(9)}${fmt((n * 1000) / r.wallMs).padStart(10)}`);
      }
    }
  } finally {
    await chatd?.stop();
    removeWorld(world);
  }
}

main().catch((e) => {
  console.error(e);
  killAll();
  process.exitCode = 1;
});
