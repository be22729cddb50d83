// The reconnect section (issue 18): N clients logged in (chatd: in the lobby), the server restarted
// as an operator does it (SIGTERM: chatd says bye SHUTDOWN; the same binary again on the same port,
// database and certificates), and every client reconnecting at once, retrying refused connects every
// ~RETRY_MS as a client whose backoff has run out would. Measured from the moment the new server
// says it listens: until every client is back (TLS up; chatd: logged in again), and each client's
// own time back (p50, p99). Once with full handshakes, once with every client offering the ticket of
// the connection it lost (how many resumed is counted); for chatd then with resume tokens too (each
// client logs in again with the token of its last login_ok, no password hash: what chat-cli does),
// and with fewer clients logging in as users hashed at DEFAULT_PASSWORD_PARAMS, by password (each a
// full argon2id hash) and then by token.
// The ceiling gets the same restarts and reconnects (it keeps tickets across restarts the same way).
import type { ReconnectResult, TargetKind } from '../lib/gen-api.js';
import { cpuMeter, monoUs } from '../lib/proc.js';
import { sum, type RunContext, type Server } from '../lib/run-context.js';
import { percentile } from '../lib/stats.js';
import { PASSWORD } from '../lib/world.js';

/** A refused connect is retried after ~this long (jittered ±50 %). */
const RETRY_MS = 50;

export type ReconnectFigures = {
  clients: number; resume: boolean; hash: 'cheap' | 'default';
  /** Logins tried with a resume token (the rest by password). */
  tokens: number;
  /** SIGTERM to the new server listening, and of that the old one's shutdown (SIGTERM to its exit). */
  downMs: number; stopMs: number;
  /** From the new server listening: the last client back, and each client's time back. */
  allBackMs: number; p50Ms: number; p99Ms: number;
  back: number; failed: number; offered: number; resumed: number; refused: number; errors: Record<string, number>;
  /** From listening to the first TCP connect that got through. */
  firstConnectMs: number | null;
  /** Server CPU from listening until every client was back, per client; % of a core used by processes outside the bench. */
  serverCpuMsEach: number; othersPct: number;
};

/** `tokens` and the `costly` ones: chatd only. */
export type ReconnectStorms = {
  full: ReconnectFigures; resumed: ReconnectFigures; tokens?: ReconnectFigures; costly?: ReconnectFigures; costlyTokens?: ReconnectFigures;
};
export type ReconnectSection = { clients: number; costlyClients: number; chatd?: ReconnectStorms; ceiling?: ReconnectStorms };

/** `n` split over the generators that hold connections, as openAcross() split them. */
function split(n: number, gens: number): number[] {
  return Array.from({ length: gens }, (_, i) => Math.floor(n / gens) + (i < n % gens ? 1 : 0));
}

async function storm(ctx: RunContext, server: Server, a: { clients: number; resume: boolean; tokens?: boolean; costly: boolean }): Promise<ReconnectFigures> {
  const gens = ctx.gens;
  const kind = server.kind;
  const users = a.costly ? ctx.w.stormUsers : ctx.w.users;
  // A costly login is a full argon2id hash on one of the server's (2) workers: give the slowest
  // client time for all of them at ~3 hashes/s, with room to spare.
  const deadlineMs = a.costly && !a.tokens ? 60_000 + a.clients * 500 : 60_000;
  const per = split(a.clients, gens.length);
  await Promise.all(gens.map((g, i) => g.call('reconnectArm', {
    n: per[i]!, resume: a.resume, tokens: a.tokens ?? false, login: kind === 'chatd', users, password: PASSWORD, retryMs: RETRY_MS, deadlineMs,
  })));
  const waits = gens.map((g) => g.call('reconnectWait', {}, deadlineMs + 60_000));
  const termUs = monoUs();
  const { exitedUs, listeningUs } = await ctx.restartServer(server, 'reconnect');
  const cpu = cpuMeter([server.child.pid, ...gens.map((g) => g.pid)]);
  const res: ReconnectResult[] = await Promise.all(waits);
  const used = cpu();
  ctx.markPhase(server, `reconnect storm${a.resume ? ', resumed' : ''}${a.tokens ? ', tokens' : ''}${a.costly ? ', default hash' : ''}`, listeningUs);
  const backMs = res.flatMap((r) => r.backUs).map((us) => (us - listeningUs) / 1000);
  const firsts = res.map((r) => r.firstConnectUs).filter((x): x is number => x !== null);
  const errors: Record<string, number> = {};
  for (const r of res) for (const [k, c] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + c;
  const back = sum(res.map((r) => r.back));
  return {
    clients: a.clients, resume: a.resume, hash: a.costly ? 'default' : 'cheap', tokens: sum(res.map((r) => r.tokens)),
    downMs: (listeningUs - termUs) / 1000, stopMs: (exitedUs - termUs) / 1000,
    allBackMs: backMs.length ? Math.max(...backMs) : NaN, p50Ms: percentile(backMs, 0.5), p99Ms: percentile(backMs, 0.99),
    back, failed: sum(res.map((r) => r.failed)), offered: sum(res.map((r) => r.offered)), resumed: sum(res.map((r) => r.resumed)),
    refused: sum(res.map((r) => r.refused)), errors,
    firstConnectMs: firsts.length ? (Math.min(...firsts) - listeningUs) / 1000 : null,
    serverCpuMsEach: back ? used.ms[0]! / back : NaN, othersPct: (100 * used.othersMs) / used.wallMs,
  };
}

function say(ctx: RunContext, kind: TargetKind, what: string, f: ReconnectFigures): void {
  ctx.log(`reconnect ${kind} ${what}: ${f.back}/${f.clients} back in ${f.allBackMs.toFixed(0)} ms after listening ` +
    `(p50 ${f.p50Ms.toFixed(0)} ms, p99 ${f.p99Ms.toFixed(0)} ms; down ${f.downMs.toFixed(0)} ms, of which stopping ${f.stopMs.toFixed(0)} ms; ` +
    `first connect ${f.firstConnectMs?.toFixed(0) ?? '—'} ms after listening; server CPU ${f.serverCpuMsEach.toFixed(2)} ms per client; ` +
    `${f.resumed}/${f.offered} resumed; ${f.tokens} token logins; ${f.refused} refused connects${f.failed ? `; ${f.failed} FAILED ${JSON.stringify(f.errors)}` : ''})`);
}

export async function reconnect(ctx: RunContext, kind: TargetKind): Promise<ReconnectStorms> {
  const p = ctx.plan;
  return ctx.withServer(kind, 'reconnect', async (server) => {
    const o = await ctx.openAcross(p.reconnectClients, { part: false, concurrency: 64 });
    if (o.failed) throw new Error(`reconnect section ${kind}: ${o.failed} of ${p.reconnectClients} clients failed to connect ${JSON.stringify(o.errors)}`);
    await ctx.quiet(server, 5000);
    const full = await storm(ctx, server, { clients: p.reconnectClients, resume: false, costly: false });
    say(ctx, kind, 'full handshakes', full);
    await ctx.quiet(server, 5000);
    const resumed = await storm(ctx, server, { clients: p.reconnectClients, resume: true, costly: false });
    say(ctx, kind, 'resumed', resumed);
    if (kind !== 'chatd') return { full, resumed };
    await ctx.quiet(server, 5000);
    const tokens = await storm(ctx, server, { clients: p.reconnectClients, resume: true, tokens: true, costly: false });
    say(ctx, kind, 'resumed, resume tokens', tokens);
    await ctx.quiet(server, 5000);
    // Fewer clients (the rest are closed first), logging in as the users hashed at the default cost:
    // by password (a hash each), then, as chat-cli would, with the tokens those logins brought.
    const n = Math.min(p.reconnectCostly, p.reconnectClients);
    const costly = await storm(ctx, server, { clients: n, resume: true, costly: true });
    say(ctx, kind, 'resumed, default hash', costly);
    await ctx.quiet(server, 5000);
    const costlyTokens = await storm(ctx, server, { clients: n, resume: true, tokens: true, costly: true });
    say(ctx, kind, 'resumed, default hash, resume tokens', costlyTokens);
    return { full, resumed, tokens, costly, costlyTokens };
  });
}
