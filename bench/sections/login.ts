// The login section: argon2id logins per second (against what the cores allow), and chat latency
// in a busy room with and without a login storm (the ceiling gets the same rate of new connections).
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_PASSWORD_PARAMS, hashPassword, passwordPool } from '../../lib/auth/password.js';
import type { TargetKind } from '../lib/gen-api.js';
import { cpuMeter, monoUs } from '../lib/proc.js';
import { stormFigures, type Phase, type RunContext, type Server, type Storm } from '../lib/run-context.js';
import { percentile } from '../lib/stats.js';
import { PASSWORD } from '../lib/world.js';

export type LoginFigures = {
  chatMembers: number;
  /** chatd: logins alone (the chat members connected but silent); null for the ceiling. */
  logins: Storm | null;
  idle: Phase; duringStorm: Phase;
  /** The storm that ran under the chat of `duringStorm`: logins (chatd) or new TLS connections (ceiling). */
  storm: Storm; stormKind: 'logins' | 'handshakes'; stormRateCap: number | null;
};

const STORM_CONCURRENCY = 8;

async function runStorm(ctx: RunContext, server: Server, kind: TargetKind, paceTo: number | null, during?: () => Promise<Phase>): Promise<{ storm: Storm; phase?: Phase }> {
  const p = ctx.plan;
  const from = monoUs();
  const cpu = cpuMeter([server.child.pid, ...ctx.allGens().map((g) => g.pid)]);
  const stormP = ctx.stormGen!.call('storm', {
    durationMs: p.stormMs, concurrency: STORM_CONCURRENCY, resume: false, login: kind === 'chatd', users: ctx.w.stormUsers, password: PASSWORD,
    warmupMs: 1000, // steady state: the first logins wait for a free hash worker
    ...(paceTo ? { ratePerSec: paceTo } : {}),
  });
  let phase: Phase | undefined;
  if (during) {
    await sleep(1000); // let the storm reach its steady state
    phase = await during();
  }
  const r = await stormP;
  const used = cpu();
  ctx.markPhase(server, `${kind === 'chatd' ? 'login' : 'connection'} storm${during ? ' under chat' : ''}`, from);
  return { storm: stormFigures(r, used), phase };
}

export async function loginStorm(ctx: RunContext, kind: TargetKind, paceTo: number | null): Promise<LoginFigures> {
  const p = ctx.plan;
  return ctx.withServer(kind, 'login', async (server) => {
    const o = await ctx.openAcross(p.chatMembers, { part: false });
    if (o.failed) throw new Error(`login section ${kind}: ${o.failed} chat members failed ${JSON.stringify(o.errors)}`);
    await ctx.quiet(server, 5000);
    const chat = { senders: 5, ratePerSender: 20, drainMs: 1000 }; // 100 msg/s into a room of 50: 5,000 deliveries/s
    const idlePhase = await ctx.leastDisturbed(`chat ${kind} without storm`, (r) => r.cpu.othersPct, () =>
      ctx.sendPhase(server, 'chat without storm', p.chatMembers, { ...chat, durationMs: p.phaseMs }));
    // Logins/s on their own first: the hash workers then have the machine to themselves (bar the
    // generator), which is what "cores / single-hash time" assumes.
    const logins = kind === 'chatd'
      ? (await ctx.leastDisturbed(`logins ${kind}`, (r) => r.othersPct, async () => (await runStorm(ctx, server, kind, null)).storm))
      : null;
    if (logins) await ctx.quiet(server, 5000);
    const under = await runStorm(ctx, server, kind, paceTo, () =>
      ctx.sendPhase(server, 'chat during storm', p.chatMembers, { ...chat, durationMs: p.stormMs - 2000 }));
    const duringStorm = under.phase!;
    ctx.log(`login ${kind}: ${logins ? `${logins.perSec.toFixed(2)} logins/s alone, ` : ''}${under.storm.perSec.toFixed(2)} ${kind === 'chatd' ? 'logins' : 'handshakes'}/s under chat; ` +
      `chat p99 ${idlePhase.p99Ms.toFixed(2)} ms without storm, ${duringStorm.p99Ms.toFixed(2)} ms during`);
    return { chatMembers: p.chatMembers, logins, idle: idlePhase, duringStorm, storm: under.storm, stormKind: kind === 'chatd' ? 'logins' : 'handshakes', stormRateCap: paceTo };
  });
}

/**
 * One argon2id hash at DEFAULT_PASSWORD_PARAMS, nothing else running: the median of 5 sequential
 * hashes on one worker (the target's "single-hash time"), and the hashes/s of a pool with one
 * worker per core, which shows what two memory-hard hashes at once cost each other on this CPU.
 */
export async function hashFigures(cores: number): Promise<{ hashMs: number; parallelPerSec: number }> {
  passwordPool.limit = cores;
  await Promise.all(Array.from({ length: cores }, () => hashPassword(PASSWORD, DEFAULT_PASSWORD_PARAMS))); // workers started, JIT warm
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    await hashPassword(PASSWORD, DEFAULT_PASSWORD_PARAMS);
    times.push(performance.now() - t0);
  }
  const n = 4 * cores;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: n }, () => hashPassword(PASSWORD, DEFAULT_PASSWORD_PARAMS)));
  return { hashMs: percentile(times, 0.5), parallelPerSec: (n * 1000) / (performance.now() - t0) };
}
