// The fan-out section: one room of N members, a fixed offered load (deliveries/s and latency), then
// saturated (the most deliveries/s the server reaches).
import type { TargetKind } from '../lib/gen-api.js';
import { cpuMeter, monoUs } from '../lib/proc.js';
import { medianBy } from '../lib/stats.js';
import type { Phase, RunContext, Server } from '../lib/run-context.js';

/** One room fill: logins/s, and server and generator CPU per login. */
export type Fill = { opened: number; held: number; ms: number; perSec: number; serverCpuMs: number; genCpuMs: number };

export type FanoutFigures = {
  members: number; held: number; senders: number; roomRate: number; rate: Phase; saturated: Phase;
  /** The median of FILL_SAMPLES fills after `plan.fillWarmLogins` logins, or the cold fill when that is 0. */
  fill: Fill;
  /** The process's first n logins after the 20 of the warm-up (what the fill measured before finding 25). */
  coldFill: Fill;
};

/** Offered load of the fixed-rate phase: 20,000 deliveries/s, i.e. 200 msg/s in a room of 100, 20 in a room of 1,000. */
export const FIXED_DELIVERIES_PER_SEC = 20_000;
const SENDERS = 10;
const WINDOW = 8;
/** Warm fills measured; the row is the median one. */
const FILL_SAMPLES = 3;

export async function fanout(ctx: RunContext, kind: TargetKind, n: number): Promise<FanoutFigures> {
  const p = ctx.plan;
  return ctx.withServer(kind, `fanout${n}`, async (server) => {
    // Warm-up, as in the idle section: password workers up, TLS tables allocated, so that even the
    // cold fill measures logins into a room and not a process's first seconds (the reconnect
    // section measures a cold start on purpose).
    await ctx.openAcross(20, { part: false });
    await emptyRoom(ctx, server);
    const coldFill = await measureFill(ctx, server, kind, n, 'cold');
    // Then the same fill again until the login path has run often enough for V8 to optimize it, so
    // that the measured fill is a running server's join path and not its JIT warming up: on a cold
    // process the first ~1,000 logins cost chatd 40 % more CPU each, the ceiling nothing more, and
    // with V8's optimizing tiers off no fill gets cheaper (BENCHMARKS.md, finding 25).
    let fill = coldFill;
    let inRoom = coldFill; // the last fill: its sessions are the room for the phases below
    if (p.fillWarmLogins > 0) {
      let logins = coldFill.opened;
      while (logins < p.fillWarmLogins) {
        await emptyRoom(ctx, server);
        const o = await ctx.openAcross(n, { part: false });
        if (o.failed) throw new Error(`fan-out ${kind} N=${n}, fill warm-up: ${o.failed} connections failed ${JSON.stringify(o.errors)}`);
        logins += o.opened;
      }
      // One fill's rate moves by a fifth from fill to fill on a shared 2-core machine, the ceiling's
      // as much as chatd's: the median of FILL_SAMPLES, with that fill's CPU figures.
      const samples: Fill[] = [];
      while (samples.length < FILL_SAMPLES) {
        await emptyRoom(ctx, server);
        samples.push((inRoom = await measureFill(ctx, server, kind, n, `warm ${samples.length + 1}/${FILL_SAMPLES}`)));
      }
      fill = medianBy(samples, (f) => f.perSec);
    }
    await ctx.quiet(server, 20_000); // join events of the fill have been written
    const senders = Math.min(SENDERS, n);
    const roomRate = FIXED_DELIVERIES_PER_SEC / n;
    if (p.warmupMs > 0) {
      // The message path once at the same rate, unmeasured: the fixed rate is then a running
      // server's, not its first thousand messages, which ran partly in V8's interpreter and baseline
      // code (the fill's warm-up above covers logins only). Both servers get it (finding 23).
      await ctx.sendPhase(server, `fanout ${n} warm-up`, n, { senders, durationMs: p.warmupMs, ratePerSender: roomRate / senders, poisson: p.arrivals === 'poisson', drainMs: 1000 });
    }
    const rate = await ctx.leastDisturbed(`fanout ${kind} N=${n} fixed rate`, (r) => r.cpu.othersPct, async () => {
      await ctx.quiet(server, 5000);
      return ctx.sendPhase(server, `fanout ${n} fixed rate`, n, { senders, durationMs: p.phaseMs, ratePerSender: roomRate / senders, poisson: p.arrivals === 'poisson', drainMs: 1000 });
    });
    const saturated = await ctx.leastDisturbed(`fanout ${kind} N=${n} saturated`, (r) => r.cpu.othersPct, async () => {
      await ctx.quiet(server, 5000);
      return ctx.sendPhase(server, `fanout ${n} saturated`, n, { senders, durationMs: p.satMs, window: WINDOW, drainMs: 3000 });
    });
    ctx.log(`fanout ${kind} N=${n}: fixed ${Math.round(rate.perSec)}/s p99 ${rate.p99Ms.toFixed(2)} ms; max ${Math.round(saturated.perSec)}/s ` +
      `(CPU: server ${saturated.cpu.serverPct.toFixed(0)} %, generators ${saturated.cpu.generatorsPct.toFixed(0)} %, other processes ${saturated.cpu.othersPct.toFixed(0)} %)`);
    return { members: n, held: inRoom.held, senders, roomRate, rate, saturated, fill, coldFill };
  });
}

/** Closes every session and waits until the server is quiet. */
async function emptyRoom(ctx: RunContext, server: Server): Promise<void> {
  await ctx.closeAll();
  await ctx.quiet(server, 5000);
}

/** Logs n sessions into the room and measures it; the sessions stay. */
async function measureFill(ctx: RunContext, server: Server, kind: TargetKind, n: number, label: string): Promise<Fill> {
  const from = monoUs();
  // The generators too: on a small machine the two share the cores, and the ceiling's fill is
  // bounded by its generator's handshakes rather than by the server (BENCHMARKS.md, finding 18).
  const cpu = cpuMeter([server.child.pid, ...ctx.gens.map((g) => g.pid)]);
  const o = await ctx.openAcross(n, { part: false });
  const used = cpu();
  const genMs = used.ms.slice(1).reduce((a, b) => a + b, 0);
  ctx.markPhase(server, `fanout ${n} room fill, ${label}`, from);
  const pct = (ms: number) => `${Math.round((ms * 100) / used.wallMs)} %`;
  ctx.log(`fanout ${kind} N=${n}: room fill (${label}) ${o.opened} in ${o.ms} ms (CPU: server ${pct(used.ms[0]!)}, generators ${pct(genMs)}, other processes ${pct(used.othersMs)})`);
  if (o.failed) throw new Error(`fan-out ${kind} N=${n}: ${o.failed} connections failed ${JSON.stringify(o.errors)}`);
  const per = Math.max(1, o.opened);
  return { opened: o.opened, held: o.held, ms: o.ms, perSec: (o.opened * 1000) / o.ms, serverCpuMs: used.ms[0]! / per, genCpuMs: genMs / per };
}
