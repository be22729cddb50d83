// The handshake section: full and resumed mutual-TLS handshakes per second, and the server CPU each costs.
import type { StormResult, TargetKind } from '../lib/gen-api.js';
import { cpuMeter, monoUs } from '../lib/proc.js';
import { stormFigures, sum, type RunContext, type Server, type Storm } from '../lib/run-context.js';
import { Histogram } from '../lib/stats.js';

async function handshakeStorm(ctx: RunContext, server: Server, resume: boolean): Promise<Storm> {
  const p = ctx.plan;
  const from = monoUs();
  const cpu = cpuMeter([server.child.pid, ...ctx.allGens().map((g) => g.pid)]);
  // The client side of an mTLS handshake costs about what the server side does, so one generator
  // process cannot keep a server busy: every generator process takes part.
  const stormers = ctx.allGens();
  const res = await Promise.all(stormers.map((g) => g.call('storm', {
    durationMs: p.handshakeMs, concurrency: Math.max(1, Math.ceil(16 / stormers.length)), resume, login: false, users: [], password: '', warmupMs: 300,
  })));
  const used = cpu();
  ctx.markPhase(server, resume ? 'resumed handshakes' : 'full handshakes', from);
  const merged: StormResult = {
    completed: sum(res.map((r) => r.completed)), resumed: sum(res.map((r) => r.resumed)), failed: sum(res.map((r) => r.failed)),
    errors: Object.assign({}, ...res.map((r) => r.errors)), windowMs: Math.max(...res.map((r) => r.windowMs)),
    hist: res.reduce((h, r) => { h.merge(r.hist); return h; }, new Histogram()).toData(),
  };
  return stormFigures(merged, used);
}

export type HandshakeFigures = { full: Storm; resumed: Storm };

export async function handshakes(ctx: RunContext, kind: TargetKind): Promise<HandshakeFigures> {
  return ctx.withServer(kind, 'handshake', async (server) => {
    const full = await ctx.leastDisturbed(`handshakes ${kind} full`, (r) => r.othersPct, () => handshakeStorm(ctx, server, false));
    await ctx.quiet(server, 3000);
    const resumed = await ctx.leastDisturbed(`handshakes ${kind} resumed`, (r) => r.othersPct, () => handshakeStorm(ctx, server, true));
    ctx.log(`handshakes ${kind}: full ${full.perSec.toFixed(0)}/s (${full.serverCpuMsEach.toFixed(2)} ms server CPU each), resumed ${resumed.perSec.toFixed(0)}/s (${(resumed.resumedFraction * 100).toFixed(0)} % resumed)`);
    return { full, resumed };
  });
}
