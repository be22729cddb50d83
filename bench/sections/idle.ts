// The idle section: how many mTLS sessions a server holds, at what RSS per session, and how fast
// they are set up.
import type { TargetKind } from '../lib/gen-api.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuMeter, monoUs } from '../lib/proc.js';
import { sum, type RunContext } from '../lib/run-context.js';

export type IdleFigures = {
  target: number; held: number; failed: number; errors: Record<string, number>; rampMs: number; sessionsPerSec: number;
  rssBeforeKiB: number; rssAfterKiB: number; rssPerSessionKiB: number; serverCpuMsPerSession: number;
};

export async function idle(ctx: RunContext, kind: TargetKind): Promise<IdleFigures> {
  const p = ctx.plan;
  return ctx.withServer(kind, 'idle', async (server) => {
    // Warm-up: code paths compiled, the password workers started, TLS tables allocated. RSS
    // "before" is read after it, so per-session RSS is what one more session costs.
    await ctx.openAcross(20, { part: kind === 'chatd' && p.idlePart });
    await ctx.closeAll();
    await sleep(1500);
    const rssBeforeKiB = server.child.rssKiB();
    const from = monoUs();
    const cpu = cpuMeter([server.child.pid]);
    const o = await ctx.openAcross(p.sessions, { part: kind === 'chatd' && p.idlePart });
    const used = cpu();
    ctx.markPhase(server, 'idle sessions ramp', from);
    ctx.log(`idle ${kind}: ${o.opened}/${p.sessions} sessions in ${o.ms} ms${o.failed ? `, ${o.failed} failed ${JSON.stringify(o.errors)}` : ''}`);
    if (kind === 'ceiling') {
      // Every chatd session has received data (welcome, login_ok, history), so each ceiling session
      // gets one broadcast line too: both servers then hold sessions that have carried data (it
      // costs the ceiling ~0.4 KiB per session; BENCHMARKS.md finding 8).
      const done = ctx.nextPhase();
      await Promise.all(ctx.gens.map((g) => g.call('measureStart', { phase: done, windowMs: 0 })));
      await ctx.gens[0]!.call('send', { phase: done, senders: 1, durationMs: 1, ratePerSender: 1000, textBytes: 64, drainMs: 5000 });
      await Promise.all(ctx.gens.map((g) => g.call('measureStop', {})));
    }
    await ctx.quiet(server, 10_000);
    await sleep(2000);
    const rssAfterKiB = server.child.rssKiB();
    const held = sum((await Promise.all(ctx.gens.map((g) => g.call('status', {})))).map((r) => r.held));
    return {
      target: p.sessions, held, failed: o.failed, errors: o.errors, rampMs: o.ms, sessionsPerSec: (o.opened * 1000) / o.ms,
      rssBeforeKiB, rssAfterKiB, rssPerSessionKiB: (rssAfterKiB - rssBeforeKiB) / Math.max(1, held), serverCpuMsPerSession: used.ms[0]! / Math.max(1, o.opened),
    };
  });
}
