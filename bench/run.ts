// `npm run bench`: chatd's measured speed and scale next to a raw Node TLS broadcast server (the
// ceiling, bench/ceiling.ts) under the same load, in the same run. Prints one table and writes the
// same figures to bench/results/latest.json. BENCHMARKS.md explains every figure.
//
//   node dist/bench/run.js [--quick] [--only idle,fanout,handshake,login,reconnect,history] [--profile] …
//   (--help lists every flag; bench/lib/plan.ts)
//
// Processes: this orchestrator; the server under test (dist/cli/chatd.js, or dist/bench/ceiling.js)
// as its own child; the load generators (dist/bench/loadgen.js) as children of their own. All
// traffic is on 127.0.0.1. Every child is killed when the run ends, fails, is interrupted or
// overruns its deadline. Each section is a module of bench/sections/ working on the run's context
// (bench/lib/run-context.ts); the table and latest.json come from bench/lib/results.ts.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_PASSWORD_PARAMS, passwordPool } from '../lib/auth/password.js';
import { Generator, type TargetKind } from './lib/gen-api.js';
import { CEILING_JS, CHATD_JS, KINDS, plan, usage } from './lib/plan.js';
import { cpuMeter, fdHardLimit, killAll, machine } from './lib/proc.js';
import { table } from './lib/report.js';
import { outsideLoad, rows, type Results } from './lib/results.js';
import { DISTURBED, RunContext } from './lib/run-context.js';
import { percentile } from './lib/stats.js';
import { makeWorld, removeWorld } from './lib/world.js';
import { fanout, type FanoutFigures } from './sections/fanout.js';
import { handshakes, type HandshakeFigures } from './sections/handshake.js';
import { history } from './sections/history.js';
import { idle, type IdleFigures } from './sections/idle.js';
import { hashFigures, loginStorm } from './sections/login.js';
import { reconnect } from './sections/reconnect.js';

async function main(ctx: RunContext): Promise<void> {
  const p = ctx.plan;
  const log = (s: string) => ctx.log(s);
  const m = machine();
  const t0 = Date.now();
  const res: Results = {
    machine: m, command: `node dist/bench/run.js ${process.argv.slice(2).join(' ')}`.trim(), startedAt: new Date().toISOString(),
    durationS: 0, quick: p.quick, notes: [], sections: {}, rows: [],
  };
  const note = (s: string) => { res.notes.push(s); log(`note: ${s}`); };

  for (const f of [p.chatd, CEILING_JS]) if (!fs.existsSync(f)) usage(`${f} is missing: build first (npm run build)`);
  if (p.chatd !== CHATD_JS) note(`chatd under test: ${p.chatd}`);
  if (Object.keys(p.limits).length) note(`chatd limits set for this run: ${JSON.stringify(p.limits)}`);
  for (const [k, v] of Object.entries(p.serverEnv)) note(`servers run with ${k}=${v}`);
  if (p.arrivals === 'poisson') note('fixed-rate senders send at random gaps (--arrivals poisson), not staggered evenly');
  const fdMax = fdHardLimit();
  if (p.sections.has('idle') && p.sessions + 512 > fdMax) {
    const was = p.sessions;
    p.sessions = Math.max(100, Math.floor((fdMax - 512) / 100) * 100);
    note(`open-file hard limit is ${fdMax}: idle sessions lowered from ${was} to ${p.sessions}`);
  }
  note(`${m.nproc} cores shared by the server under test and the load generator(s): ` +
    'every figure is for a server that gets at most what the generator leaves it (CPU shares are in latest.json)');

  // Deadline: a hung phase must not hang the run (nor leave servers behind).
  const deadline = setTimeout(() => {
    log(`deadline of ${p.deadlineMs / 60_000} min passed; killing every child`);
    process.exit(1); // the 'exit' handler kills them
  }, p.deadlineMs);
  deadline.unref();
  ctx.retryBudgetUntil = t0 + (p.quick ? 100_000 : 210_000); // repeats of disturbed phases stop here, keeping the run near its target length

  try {
    const needsServers = [...p.sections].some((s) => s !== 'history');
    type HashTiming = { hashMs: number; parallelPerSec: number; othersPct: number; attempts?: number };
    let hash: HashTiming = { hashMs: NaN, parallelPerSec: NaN, othersPct: NaN };
    if (p.sections.has('login')) {
      // Before any server runs: quiet-machine figures, measured again if other processes got in the way.
      hash = await ctx.leastDisturbed<HashTiming>('argon2id timing', (h) => h.othersPct, async () => {
        const cpu = cpuMeter([process.pid]);
        const h = await hashFigures(m.nproc);
        const used = cpu();
        return { ...h, othersPct: (100 * used.othersMs) / used.wallMs };
      });
      log(`argon2id m=${DEFAULT_PASSWORD_PARAMS.m} t=${DEFAULT_PASSWORD_PARAMS.t} p=${DEFAULT_PASSWORD_PARAMS.p}: ${hash.hashMs.toFixed(0)} ms per hash, ` +
        `${hash.parallelPerSec.toFixed(2)} hashes/s on ${m.nproc} workers`);
    }
    if (needsServers) {
      ctx.world = await makeWorld({ users: 1000, stormUsers: 16, log, limits: p.limits });
      ctx.gens = Array.from({ length: p.gens }, (_, i) => new Generator(i, p.verbose));
      if (p.sections.has('login') || p.sections.has('handshake')) ctx.stormGen = new Generator(p.gens, p.verbose);
    }
    await passwordPool.close(); // the orchestrator's own hash workers must not compete with the servers

    if (p.sections.has('idle')) {
      if (p.idlePart) note('idle chatd sessions leave the lobby right after login (--idle-part)');
      const s: Partial<Record<TargetKind, IdleFigures>> = (res.sections.idle = {});
      for (const k of KINDS) s[k] = await idle(ctx, k);
    }
    if (p.sections.has('fanout')) {
      res.sections.fanout = [];
      for (const n of p.members) {
        const entry: { members: number } & Partial<Record<TargetKind, FanoutFigures>> = { members: n };
        for (const k of KINDS) entry[k] = await fanout(ctx, k, n);
        // The same room read by IRC clients (issue 17), compared with the JSON figures above.
        entry.irc = await fanout(ctx, 'irc', n);
        res.sections.fanout.push(entry);
      }
    }
    if (p.sections.has('handshake')) {
      const s: Partial<Record<TargetKind, HandshakeFigures>> = (res.sections.handshake = {});
      for (const k of KINDS) s[k] = await handshakes(ctx, k);
    }
    if (p.sections.has('login')) {
      const params = { ...DEFAULT_PASSWORD_PARAMS };
      const s: NonNullable<Results['sections']['login']> = (res.sections.login = {
        hashMs: hash.hashMs, params, theoreticalPerSec: (m.nproc * 1000) / hash.hashMs, parallelHashesPerSec: hash.parallelPerSec,
        hashOthersPct: hash.othersPct,
      });
      s.chatd = await loginStorm(ctx, 'chatd', null);
      // The ceiling has no login: it gets the same arrival of new (full-handshake) connections,
      // paced to the login rate chatd just reached, so "chat p99 during the storm" compares alike.
      s.ceiling = await loginStorm(ctx, 'ceiling', Math.max(1, s.chatd.storm.perSec));
    }
    if (p.sections.has('reconnect')) {
      const clients = p.reconnectClients, costlyClients = Math.min(p.reconnectCostly, clients);
      res.sections.reconnect = { clients, costlyClients };
      res.sections.reconnect.chatd = await reconnect(ctx, 'chatd');
      res.sections.reconnect.ceiling = await reconnect(ctx, 'ceiling');
    }
    if (p.sections.has('history')) res.sections.history = await history(ctx, note);
  } finally {
    await Promise.all(ctx.allGens().map((g) => g.stop().catch(() => {})));
    killAll();
    removeWorld(ctx.world);
    ctx.world = null;
  }

  const disturbed = outsideLoad(res);
  if (disturbed.length) {
    const worst = disturbed.reduce((a, b) => (b.pct > a.pct ? b : a));
    const med = percentile(disturbed.map((d) => d.pct), 0.5);
    note(`processes outside the bench took a median ${med.toFixed(0)} % of a core during the measured phases, ` +
      `at most ${worst.pct.toFixed(0)} % (${worst.what})${worst.pct > DISTURBED ? '; figures of disturbed phases are less reliable' : ''}`);
  }
  res.durationS = Math.round((Date.now() - t0) / 1000);
  res.machine.loadavgAtEnd = os.loadavg().map((l) => Math.round(l * 100) / 100);
  if (p.profile) res.profiles = ctx.profileWindows;
  res.rows = rows(res, p);
  fs.mkdirSync(path.dirname(p.out), { recursive: true });
  fs.writeFileSync(p.out, JSON.stringify(res, null, 2) + '\n');
  process.stdout.write(`\nchatd benchmarks — ${m.cpu}, ${m.nproc} cores, node ${m.node}${p.quick ? ' (--quick)' : ''}; ${res.durationS} s\n\n`);
  process.stdout.write(table(res.rows) + '\n\n');
  for (const n of res.notes) process.stdout.write(`note: ${n}\n`);
  for (const w of ctx.profileWindows) {
    process.stdout.write(`profile, ${w.phase}: node dist/bench/profile.js ${path.relative(process.cwd(), w.dir)} --from ${w.fromUs} --to ${w.toUs}\n`);
  }
  process.stdout.write(`figures: ${path.relative(process.cwd(), p.out) || p.out}\n`);
}

const ctx = new RunContext(plan(process.argv.slice(2)));
// Every way out goes through process.exit, so this one handler stops every child (and removes the
// world if the run is cut short).
process.on('exit', () => {
  killAll();
  removeWorld(ctx.world);
});
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    ctx.log(`${sig}: stopping every child`);
    process.exit(130);
  });
}

main(ctx).catch((e) => {
  process.stderr.write(`bench failed: ${(e as Error)?.stack ?? e}\n`);
  process.exit(1);
});
