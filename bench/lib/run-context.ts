// What every bench section shares during one run: the plan, the world (certificates, database,
// users), the load generators, the servers under test and their profile windows, and the measuring
// steps (a send phase, a quiet server, a phase repeated when other processes got in the way).
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Generator, type OpenResult, type PhaseResult, type StormResult, type TargetKind } from './gen-api.js';
import { CEILING_JS, RESULTS, type Plan } from './plan.js';
import { Child, cpuMeter, cpuMs, monoUs, writeCalls, type CpuUse } from './proc.js';
import { Histogram } from './stats.js';
import { PASSWORD, type World } from './world.js';

export type Server = { kind: TargetKind; child: Child; port: number; profileDir: string | null };

/** With --profile: which stretch of which server's profile is which phase (profile.js --from/--to). */
export type ProfileWindow = { dir: string; phase: string; fromUs: number; toUs: number };

export type Phase = {
  attempts?: number;
  delivered: number; inWindow: number; perSec: number; p50Ms: number; p99Ms: number; maxMs: number; sent: number;
  /** Sent messages whose sender's own copy (its ack) had not come back when the phase's drain ended. */
  outstanding: number;
  expected: number; closed: number; byes: Record<string, number>; errors: Record<string, number>; windowMs: number; bytesPerDelivery: number;
  /** The server's write syscalls per delivery (1 when every frame is a write of its own; a log line is one too). */
  writesPerDelivery: number;
  /** % of one core; `othersPct` is what processes outside the bench took meanwhile. */
  cpu: { serverPct: number; generatorsPct: number; othersPct: number; serverUsPerDelivery: number };
};

export type Storm = {
  attempts?: number;
  perSec: number; completed: number; resumedFraction: number; failed: number; errors: Record<string, number>;
  /** Time to a usable connection (TLS up, or login_ok), per connection. */
  p50Ms: number; p99Ms: number;
  /** % of one core: the server (all its threads), and processes outside the bench. */
  serverPct: number; othersPct: number; serverCpuMsEach: number;
};

export type SendPhaseArgs = { senders: number; durationMs: number; ratePerSender?: number; poisson?: boolean; window?: number; drainMs: number };

/**
 * Other processes on the box (this is a shared 2-core machine) can take a core in the middle of a
 * phase and make one side of a ratio look twice as slow. A phase during which processes outside
 * the bench used more than DISTURBED % of a core is run once more, while the run's time budget
 * allows, and the less disturbed attempt is kept. `othersPct` stays in latest.json either way.
 */
export const DISTURBED = 25;

export const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const rotate = <T>(xs: T[], k: number): T[] => (xs.length ? [...xs.slice(k % xs.length), ...xs.slice(0, k % xs.length)] : xs);

export function stormFigures(r: StormResult, used: CpuUse): Storm {
  const h = Histogram.from(r.hist);
  const serverMs = used.ms[0]!;
  return {
    perSec: (r.completed * 1000) / r.windowMs, completed: r.completed, resumedFraction: r.completed ? r.resumed / r.completed : 0,
    failed: r.failed, errors: r.errors, p50Ms: h.quantile(0.5) / 1000, p99Ms: h.quantile(0.99) / 1000,
    serverPct: (100 * serverMs) / used.wallMs, othersPct: (100 * used.othersMs) / used.wallMs, serverCpuMsEach: r.completed ? serverMs / r.completed : NaN,
  };
}

export class RunContext {
  /** Set once the sections that need servers are about to run; removed when the run ends. */
  world: World | null = null;
  /** The generators holding connections (and counting deliveries). */
  gens: Generator[] = [];
  /** The generator of login and handshake storms, apart from the ones holding connections. */
  stormGen: Generator | null = null;
  readonly profileWindows: ProfileWindow[] = [];
  /** Repeats of disturbed phases stop here, keeping the run near its target length. */
  retryBudgetUntil = Infinity;
  private serverSeq = 0;
  private phaseSeq = 0;

  constructor(readonly plan: Plan) {}

  log(s: string): void {
    process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${s}\n`);
  }

  /** The world; only sections that run servers ask for it. */
  get w(): World {
    if (!this.world) throw new Error('bench: no world yet');
    return this.world;
  }

  allGens(): Generator[] { return [...this.gens, ...(this.stormGen ? [this.stormGen] : [])]; }

  /** A fresh number for a generator phase. */
  nextPhase(): number { return ++this.phaseSeq; }

  markPhase(server: Server, phase: string, fromUs: number): void {
    if (server.profileDir) this.profileWindows.push({ dir: server.profileDir, phase, fromUs: Math.round(fromUs), toUs: Math.round(monoUs()) });
  }

  // ---- servers ------------------------------------------------------------------------------

  /** `port` 0: any free port; a restart asks for the port its predecessor had. */
  async startServer(kind: TargetKind, tag: string, port = 0): Promise<Server> {
    const p = this.plan;
    const world = this.w;
    // One directory per server: every thread (the main one is tid 0 in the name, the password
    // workers are the others) writes its own CPU.<date>.<time>.<pid>.<tid>.<seq>.cpuprofile.
    const profileDir = p.profile ? path.join(RESULTS, 'profiles', `${kind}-${tag}-${++this.serverSeq}`) : null;
    const prof = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
    const tlsArgs = ['--cert', world.server.cert, '--key', world.server.key, '--ca', world.server.ca];
    const args = kind !== 'ceiling'
      ? [...prof, p.chatd, ...tlsArgs, '--db', world.db, '--host', '127.0.0.1', '--port', String(port), '--config', world.configFile,
        '--cert-binding', 'none', '--log-level', 'warn', ...(kind === 'irc' ? ['--irc-port', '0'] : [])]
      : [...prof, CEILING_JS, ...tlsArgs, '--host', '127.0.0.1', '--port', String(port)];
    const child = new Child(`${kind}(${tag})`, args, { echo: p.verbose, env: p.serverEnv });
    // chatd prints its chat port first, then (with --irc-port) the IRC one; IRC clients use the latter.
    const m = await child.waitForLine(kind === 'irc' ? /irc listening on [\d.]+:(\d+)\s*$/ : /listening on [\d.]+:(\d+)\s*$/, 30_000);
    return { kind, child, port: Number(m[1]), profileDir };
  }

  /**
   * After a section the server goes first, so that its clients' disconnects cost nothing: chatd
   * sends a `quit` event to every remaining member of a room (up to limits.presenceEventsMaxRoom
   * members) per closed session, O(N²) writes when a whole room leaves at once (BENCHMARKS.md,
   * finding 2). Under --profile it gets SIGTERM (a graceful stop is what makes --cpu-prof write its
   * profile); otherwise SIGKILL, as nothing is measured any more.
   */
  async stopServer(s: Server): Promise<void> {
    if (this.plan.profile) await s.child.stop(15_000);
    else {
      s.child.kill();
      await s.child.exited;
    }
  }

  /**
   * Restarts a server as an operator does: SIGTERM (chatd says bye SHUTDOWN to every session and
   * exits), then the same binary with the same arguments on the same port. `server` then stands for
   * the new process. Resolves with CLOCK_MONOTONIC µs (monoUs) of the moment the old one had exited
   * and of the moment the new one said it listens, the start of the load generators' reconnect timings.
   */
  async restartServer(server: Server, tag: string): Promise<{ exitedUs: number; listeningUs: number }> {
    await server.child.stop(30_000);
    const exitedUs = monoUs();
    const next = await this.startServer(server.kind, tag, server.port);
    const listeningUs = monoUs();
    server.child = next.child;
    server.profileDir = next.profileDir;
    return { exitedUs, listeningUs };
  }

  /** A section's server: started, every generator pointed at it, stopped (and connections closed) after. */
  async withServer<T>(kind: TargetKind, tag: string, fn: (s: Server) => Promise<T>): Promise<T> {
    const server = await this.startServer(kind, tag);
    try {
      await Promise.all(this.allGens().map((g) => g.call('setup', { gen: g.index, host: '127.0.0.1', port: server.port, kind: server.kind, tls: this.w.client })));
      const result = await fn(server);
      if (!server.child.alive) throw new Error(`${kind} exited during the ${tag} section (code ${server.child.exitCode})\n${server.child.stderr()}`);
      return result;
    } finally {
      await this.stopServer(server);
      await this.closeAll().catch(() => {});
    }
  }

  // ---- load generators ----------------------------------------------------------------------

  /** Opens n connections spread over the generators; chatd ones are logged in (and part the lobby if asked). */
  async openAcross(n: number, opts: { part: boolean; concurrency?: number; users?: string[] }): Promise<OpenResult> {
    const gens = this.gens;
    const users = opts.users ?? this.w.users;
    const per = gens.map((_, i) => Math.floor(n / gens.length) + (i < n % gens.length ? 1 : 0));
    const res = await Promise.all(gens.map((g, i) => per[i]! > 0
      ? g.call('open', {
        n: per[i]!, users: rotate(users, i * per[0]!), password: PASSWORD, part: opts.part, timeoutMs: 60_000,
        concurrency: Math.max(1, Math.ceil((opts.concurrency ?? 32) / gens.length)),
      }, 900_000)
      : Promise.resolve<OpenResult>({ opened: 0, failed: 0, errors: {}, ms: 0, held: 0 })));
    const errors: Record<string, number> = {};
    for (const r of res) for (const [k, c] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + c;
    return {
      opened: sum(res.map((r) => r.opened)), failed: sum(res.map((r) => r.failed)), errors,
      ms: Math.max(...res.map((r) => r.ms)), held: sum(res.map((r) => r.held)),
    };
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.gens.map((g) => g.call('closeAll', {}, 30_000)));
  }

  /** One send phase: every generator counts markers; generator 0's last `senders` connections send. */
  async sendPhase(server: Server, label: string, members: number, a: SendPhaseArgs): Promise<Phase> {
    const gens = this.gens;
    const phase = this.nextPhase();
    const from = monoUs();
    await Promise.all(gens.map((g) => g.call('measureStart', { phase, windowMs: a.durationMs })));
    const cpu = cpuMeter([server.child.pid, ...this.allGens().map((g) => g.pid)]); // generators: gens, then the storm one
    const writes0 = writeCalls(server.child.pid);
    const sent = await gens[0]!.call('send', { phase, textBytes: 64, ...a });
    const used = cpu();
    const writes = writeCalls(server.child.pid) - writes0;
    this.markPhase(server, label, from);
    const parts: PhaseResult[] = await Promise.all(gens.map((g) => g.call('measureStop', {})));
    const hist = new Histogram();
    const byes: Record<string, number> = {};
    const errors: Record<string, number> = {};
    for (const r of parts) {
      hist.merge(r.hist);
      for (const [k, c] of Object.entries(r.byes)) byes[k] = (byes[k] ?? 0) + c;
      for (const [k, c] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + c;
    }
    const delivered = sum(parts.map((r) => r.delivered));
    const inWindow = sum(parts.map((r) => r.inWindow));
    const windowS = sent.windowMs / 1000;
    const cpuWindowMs = used.wallMs;
    return {
      delivered, inWindow, perSec: inWindow / windowS, p50Ms: hist.quantile(0.5) / 1000, p99Ms: hist.quantile(0.99) / 1000, maxMs: hist.max / 1000,
      sent: sent.sent, outstanding: sent.outstanding, expected: sent.sent * members, closed: sum(parts.map((r) => r.closed)), byes, errors, windowMs: sent.windowMs,
      bytesPerDelivery: delivered ? sum(parts.map((r) => r.bytes)) / delivered : NaN,
      writesPerDelivery: delivered ? writes / delivered : NaN,
      cpu: {
        serverPct: (100 * used.ms[0]!) / cpuWindowMs,
        generatorsPct: (100 * sum(used.ms.slice(1))) / cpuWindowMs,
        othersPct: (100 * used.othersMs) / cpuWindowMs,
        serverUsPerDelivery: delivered ? (used.ms[0]! * 1000) / delivered : NaN,
      },
    };
  }

  // ---- measuring ----------------------------------------------------------------------------

  /** Runs a measurement, and once more if other processes disturbed it (see DISTURBED); keeps the less disturbed. */
  async leastDisturbed<T extends { attempts?: number }>(label: string, othersPct: (t: T) => number, run: () => Promise<T>): Promise<T> {
    let best = await run();
    let attempts = 1;
    if (othersPct(best) > DISTURBED && Date.now() < this.retryBudgetUntil) {
      this.log(`${label}: other processes took ${othersPct(best).toFixed(0)} % of a core; measuring again`);
      const again = await run();
      attempts++;
      if (othersPct(again) < othersPct(best)) best = again;
    }
    best.attempts = attempts;
    return best;
  }

  /** Waits until the server has been (nearly) idle for one 300 ms poll, at most maxMs. */
  async quiet(server: Server, maxMs: number): Promise<number> {
    const t0 = Date.now();
    let last = cpuMs(server.child.pid);
    while (Date.now() - t0 < maxMs) {
      await sleep(300);
      const now = cpuMs(server.child.pid);
      if (now - last < 30) break; // < 10 % of one core
      last = now;
    }
    return Date.now() - t0;
  }
}
