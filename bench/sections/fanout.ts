// The fan-out section: one room of N members, a fixed offered load (deliveries/s and latency), then
// saturated (the most deliveries/s the server reaches).
import type { TargetKind } from '../lib/gen-api.js';
import { cpuMeter, monoUs } from '../lib/proc.js';
import type { Phase, RunContext } from '../lib/run-context.js';

export type FanoutFigures = { members: number; held: number; fillMs: number; fillPerSec: number; fillCpuMs: number; fillGenCpuMs: number; senders: number; roomRate: number; rate: Phase; saturated: Phase };

/** Offered load of the fixed-rate phase: 20,000 deliveries/s, i.e. 200 msg/s in a room of 100, 20 in a room of 1,000. */
export const FIXED_DELIVERIES_PER_SEC = 20_000;
const SENDERS = 10;
const WINDOW = 8;

export async function fanout(ctx: RunContext, kind: TargetKind, n: number): Promise<FanoutFigures> {
  const p = ctx.plan;
  return ctx.withServer(kind, `fanout${n}`, async (server) => {
    // Warm-up, as in the idle section: code compiled, password workers up, TLS tables allocated, so
    // the fill measures logins into a room and not a process's first seconds (the reconnect section
    // measures a cold start on purpose).
    await ctx.openAcross(20, { part: false });
    await ctx.closeAll();
    await ctx.quiet(server, 5000);
    const from = monoUs();
    // The generators too: on a small machine the two share the cores, and the ceiling's fill is
    // bounded by its generator's handshakes rather than by the server (BENCHMARKS.md, finding 18).
    const cpu = cpuMeter([server.child.pid, ...ctx.gens.map((g) => g.pid)]);
    const o = await ctx.openAcross(n, { part: false });
    const fillCpu = cpu();
    const fillCpuMs = fillCpu.ms[0]! / Math.max(1, o.opened);
    const genMs = fillCpu.ms.slice(1).reduce((a, b) => a + b, 0);
    const genCpuMs = genMs / Math.max(1, o.opened);
    ctx.markPhase(server, `fanout ${n} room fill`, from);
    const pct = (ms: number) => `${Math.round((ms * 100) / fillCpu.wallMs)} %`;
    ctx.log(`fanout ${kind} N=${n}: room fill ${o.opened} in ${o.ms} ms (CPU: server ${pct(fillCpu.ms[0]!)}, generators ${pct(genMs)}, other processes ${pct(fillCpu.othersMs)})`);
    if (o.failed) throw new Error(`fan-out ${kind} N=${n}: ${o.failed} connections failed ${JSON.stringify(o.errors)}`);
    await ctx.quiet(server, 20_000); // join events of the fill have been written
    const senders = Math.min(SENDERS, n);
    const roomRate = FIXED_DELIVERIES_PER_SEC / n;
    if (p.warmupMs > 0) {
      // The message path once at the same rate, unmeasured: the fixed rate is then a running
      // server's, not its first thousand messages, which ran partly in V8's interpreter and baseline
      // code (the fill's warm-up above covers logins only). Both servers get it (finding 23).
      await ctx.sendPhase(server, `fanout ${n} warm-up`, n, { senders, durationMs: p.warmupMs, ratePerSender: roomRate / senders, drainMs: 1000 });
    }
    const rate = await ctx.leastDisturbed(`fanout ${kind} N=${n} fixed rate`, (r) => r.cpu.othersPct, async () => {
      await ctx.quiet(server, 5000);
      return ctx.sendPhase(server, `fanout ${n} fixed rate`, n, { senders, durationMs: p.phaseMs, ratePerSender: roomRate / senders, drainMs: 1000 });
    });
    const saturated = await ctx.leastDisturbed(`fanout ${kind} N=${n} saturated`, (r) => r.cpu.othersPct, async () => {
      await ctx.quiet(server, 5000);
      return ctx.sendPhase(server, `fanout ${n} saturated`, n, { senders, durationMs: p.satMs, window: WINDOW, drainMs: 3000 });
    });
    ctx.log(`fanout ${kind} N=${n}: fixed ${Math.round(rate.perSec)}/s p99 ${rate.p99Ms.toFixed(2)} ms; max ${Math.round(saturated.perSec)}/s ` +
      `(CPU: server ${saturated.cpu.serverPct.toFixed(0)} %, generators ${saturated.cpu.generatorsPct.toFixed(0)} %, other processes ${saturated.cpu.othersPct.toFixed(0)} %)`);
    return { members: n, held: o.held, fillMs: o.ms, fillPerSec: (o.opened * 1000) / o.ms, fillCpuMs, fillGenCpuMs: genCpuMs, senders, roomRate, rate, saturated };
  });
}
