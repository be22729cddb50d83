// The run's results: the figures every section measured (bench/results/latest.json), what other
// processes took meanwhile, and the table printed at the end (BENCHMARKS.md explains every row).
import type { DEFAULT_PASSWORD_PARAMS } from '../../lib/auth/password.js';
import type { TargetKind } from './gen-api.js';
import type { HistorySection } from '../sections/history.js';
import { KINDS, type Plan } from './plan.js';
import type { Machine } from './proc.js';
import { row, type Row } from './report.js';
import type { ProfileWindow } from './run-context.js';
import { FIXED_DELIVERIES_PER_SEC, type FanoutFigures } from '../sections/fanout.js';
import type { HandshakeFigures } from '../sections/handshake.js';
import type { IdleFigures } from '../sections/idle.js';
import type { LoginFigures } from '../sections/login.js';
import type { ReconnectSection } from '../sections/reconnect.js';

export type Results = {
  machine: Machine; command: string; startedAt: string; durationS: number; quick: boolean; notes: string[];
  sections: {
    idle?: Partial<Record<TargetKind, IdleFigures>>;
    fanout?: Array<{ members: number } & Partial<Record<TargetKind, FanoutFigures>>>;
    handshake?: Partial<Record<TargetKind, HandshakeFigures>>;
    login?: {
      hashMs: number; params: typeof DEFAULT_PASSWORD_PARAMS; theoreticalPerSec: number;
      /** Hashes/s of one worker per core with nothing else running (no server, no TLS, no database). */
      parallelHashesPerSec: number;
      /** What processes outside the bench took while the hash was timed (% of a core). */
      hashOthersPct: number;
    } & Partial<Record<TargetKind, LoginFigures>>;
    reconnect?: ReconnectSection;
    history?: HistorySection;
  };
  rows: Row[];
  profiles?: ProfileWindow[];
};

/** CPU % of a core that processes outside the bench took, per measured phase. */
export function outsideLoad(res: Results): Array<{ what: string; pct: number }> {
  const out: Array<{ what: string; pct: number }> = [];
  const s = res.sections;
  for (const f of s.fanout ?? []) {
    for (const k of [...KINDS, 'irc' as const]) {
      const x = f[k];
      if (!x) continue;
      out.push({ what: `${k} fan-out N=${f.members} fixed rate`, pct: x.rate.cpu.othersPct });
      out.push({ what: `${k} fan-out N=${f.members} saturated`, pct: x.saturated.cpu.othersPct });
    }
  }
  if (s.login) out.push({ what: 'argon2id timing', pct: s.login.hashOthersPct });
  for (const k of KINDS) {
    const h = s.handshake?.[k];
    if (h) out.push({ what: `${k} full handshakes`, pct: h.full.othersPct }, { what: `${k} resumed handshakes`, pct: h.resumed.othersPct });
    const l = s.login?.[k];
    if (l) out.push({ what: `${k} chat without storm`, pct: l.idle.cpu.othersPct }, { what: `${k} storm under chat`, pct: l.storm.othersPct });
    if (l?.logins) out.push({ what: `${k} logins alone`, pct: l.logins.othersPct });
    const r = k === 'irc' ? undefined : s.reconnect?.[k];
    if (r) out.push({ what: `${k} reconnect storm, full`, pct: r.full.othersPct }, { what: `${k} reconnect storm, resumed`, pct: r.resumed.othersPct });
    if (r?.costly) out.push({ what: `${k} reconnect storm, default hash`, pct: r.costly.othersPct });
    if (r?.tokens) out.push({ what: `${k} reconnect storm, tokens`, pct: r.tokens.othersPct });
    if (r?.costlyTokens) out.push({ what: `${k} reconnect storm, default hash, tokens`, pct: r.costlyTokens.othersPct });
  }
  return out;
}

export function rows(res: Results, p: Plan): Row[] {
  const out: Row[] = [];
  const s = res.sections;
  if (s.idle) {
    const c = s.idle.chatd, r = s.idle.ceiling;
    out.push(row('idle_sessions_held', `idle mTLS sessions held (of ${p.sessions})`, 'sessions', c?.held ?? null, r?.held ?? null,
      { target: p.sessions >= 10_000 ? '10,000' : `${p.sessions} (--quick)`, met: c ? c.held >= Math.min(p.sessions, 10_000) : null }));
    const rss = row('rss_per_session_kib', 'server RSS per idle session', 'KiB', c?.rssPerSessionKiB ?? null, r?.rssPerSessionKiB ?? null);
    out.push({ ...rss, target: '≤ 1.15× ceiling', met: rss.ratio === null ? null : rss.ratio <= 1.15 }); // issue 18 (1.5× before)
    out.push(row('session_setup_per_sec', 'idle sessions set up per second', '1/s', c?.sessionsPerSec ?? null, r?.sessionsPerSec ?? null));
  }
  for (const f of s.fanout ?? []) {
    const c = f.chatd, r = f.ceiling, n = f.members;
    const big = n >= 1000;
    const rate = `${fmtInt(FIXED_DELIVERIES_PER_SEC / n)} msg/s`;
    out.push(row(`fanout_${n}_deliveries_per_sec`, `fan-out N=${fmtInt(n)} at ${rate}: deliveries/s`, '1/s', c?.rate.perSec ?? null, r?.rate.perSec ?? null));
    out.push(row(`fanout_${n}_p50_ms`, `fan-out N=${fmtInt(n)} at ${rate}: p50 latency`, 'ms', c?.rate.p50Ms ?? null, r?.rate.p50Ms ?? null));
    const p99 = row(`fanout_${n}_p99_ms`, `fan-out N=${fmtInt(n)} at ${rate}: p99 latency`, 'ms', c?.rate.p99Ms ?? null, r?.rate.p99Ms ?? null);
    out.push(big ? { ...p99, target: '< 50 ms', met: c ? c.rate.p99Ms < 50 : null } : p99);
    // Issue 18: at 200 msg/s into 100 members, less CPU per delivery than the ceiling's one write per
    // message and member, without giving up latency.
    const cost = row(`fanout_${n}_fixed_server_us_per_delivery`, `fan-out N=${fmtInt(n)} at ${rate}: server CPU per delivery`, 'µs',
      c?.rate.cpu.serverUsPerDelivery ?? null, r?.rate.cpu.serverUsPerDelivery ?? null);
    out.push(big ? cost : { ...cost, target: '≤ 0.8× ceiling, p99 ≤ 10 ms', met: cost.ratio === null || !c ? null : cost.ratio <= 0.8 && c.rate.p99Ms <= 10 });
    out.push(row(`fanout_${n}_fixed_writes_per_delivery`, `fan-out N=${fmtInt(n)} at ${rate}: server write syscalls per delivery`, '',
      c?.rate.writesPerDelivery ?? null, r?.rate.writesPerDelivery ?? null));
    const max = row(`fanout_${n}_max_deliveries_per_sec`, `fan-out N=${fmtInt(n)}, saturated: deliveries/s`, '1/s', c?.saturated.perSec ?? null, r?.saturated.perSec ?? null);
    out.push(big ? { ...max, target: '≥ 0.7× ceiling', met: max.ratio === null ? null : max.ratio >= 0.7 } : max);
    out.push(row(`fanout_${n}_saturated_p99_ms`, `fan-out N=${fmtInt(n)}, saturated: p99 latency`, 'ms', c?.saturated.p99Ms ?? null, r?.saturated.p99Ms ?? null));
    // The same saturated phase per second of server CPU: what a server with a core of its own
    // would reach, so a ratio that outside load or a saturated generator skews can be checked.
    const perCpu = (f?: FanoutFigures) => (f ? 1e6 / f.saturated.cpu.serverUsPerDelivery : null);
    const perSec = row(`fanout_${n}_deliveries_per_server_cpu_sec`, `fan-out N=${fmtInt(n)}, saturated: deliveries per server CPU-second`, '1/s', perCpu(c), perCpu(r));
    out.push(big ? { ...perSec, target: '≥ 0.85× ceiling', met: perSec.ratio === null ? null : perSec.ratio >= 0.85 } : perSec); // issue 18
    out.push(row(`fanout_${n}_bytes_per_delivery`, `fan-out N=${fmtInt(n)}, saturated: bytes per delivery`, 'B',
      c?.saturated.bytesPerDelivery ?? null, r?.saturated.bytesPerDelivery ?? null));
    const fill = row(`fanout_${n}_fill_per_sec`, `fan-out N=${fmtInt(n)}: room fill (logins into one room)`, '1/s', c?.fill.perSec ?? null, r?.fill.perSec ?? null);
    out.push({ ...fill, target: '≥ 0.7× ceiling', met: fill.ratio === null ? null : fill.ratio >= 0.7 }); // issue 18
    out.push(row(`fanout_${n}_fill_server_cpu_ms`, `fan-out N=${fmtInt(n)}: room fill, server CPU per login (ceiling: per connection)`, 'ms', c?.fill.serverCpuMs ?? null, r?.fill.serverCpuMs ?? null));
    // The generators share the machine's cores with the server: their CPU per login is the rest of what a fill costs.
    out.push(row(`fanout_${n}_fill_generator_cpu_ms`, `fan-out N=${fmtInt(n)}: room fill, load generator CPU per login (ceiling: per connection)`, 'ms', c?.fill.genCpuMs ?? null, r?.fill.genCpuMs ?? null));
    // The fill above follows plan.fillWarmLogins logins (the same fill with --no-warmup); the
    // process's first fill, which is what the row measured before finding 25, is shown too.
    const cold = `fan-out N=${fmtInt(n)}: room fill, cold process (its first ${fmtInt(n)} logins after 20)`;
    out.push(row(`fanout_${n}_cold_fill_per_sec`, cold, '1/s', c?.coldFill.perSec ?? null, r?.coldFill.perSec ?? null));
    out.push(row(`fanout_${n}_cold_fill_server_cpu_ms`, `${cold}: server CPU per login`, 'ms', c?.coldFill.serverCpuMs ?? null, r?.coldFill.serverCpuMs ?? null));
    const i = f.irc;
    if (i) {
      // IRC readers against JSON readers of the same chatd: the chatd column is IRC, the ceiling column JSON.
      const vs = '(chatd column: IRC readers, ceiling column: JSON readers)';
      out.push(row(`fanout_${n}_irc_deliveries_per_sec`, `fan-out N=${fmtInt(n)} at ${rate}, IRC: deliveries/s ${vs}`, '1/s', i.rate.perSec, c?.rate.perSec ?? null));
      out.push(row(`fanout_${n}_irc_p99_ms`, `fan-out N=${fmtInt(n)} at ${rate}, IRC: p99 latency ${vs}`, 'ms', i.rate.p99Ms, c?.rate.p99Ms ?? null));
      out.push(row(`fanout_${n}_irc_max_deliveries_per_sec`, `fan-out N=${fmtInt(n)}, saturated, IRC: deliveries/s ${vs}`, '1/s', i.saturated.perSec, c?.saturated.perSec ?? null));
      const cost = row(`fanout_${n}_irc_server_us_per_delivery`, `fan-out N=${fmtInt(n)}, saturated, IRC: server CPU per delivery ${vs}`, 'µs',
        i.saturated.cpu.serverUsPerDelivery, c?.saturated.cpu.serverUsPerDelivery ?? null);
      // Issue 17: an IRC delivery costs no more than a JSON one (10 % for run-to-run noise).
      out.push({ ...cost, target: '≤ JSON', met: cost.ratio === null ? null : cost.ratio <= 1.1 });
    }
  }
  if (s.handshake) {
    const c = s.handshake.chatd, r = s.handshake.ceiling;
    out.push(row('tls_handshakes_full_per_sec', 'TLS handshakes/s, full (mTLS, RSA-2048)', '1/s', c?.full.perSec ?? null, r?.full.perSec ?? null));
    out.push(row('tls_handshake_full_server_cpu_ms', 'server CPU per full handshake', 'ms', c?.full.serverCpuMsEach ?? null, r?.full.serverCpuMsEach ?? null));
    out.push(row('tls_handshakes_resumed_per_sec', 'TLS handshakes/s, resumed (session ticket)', '1/s', c?.resumed.perSec ?? null, r?.resumed.perSec ?? null));
    out.push(row('tls_handshake_resumed_server_cpu_ms', 'server CPU per resumed handshake', 'ms', c?.resumed.serverCpuMsEach ?? null, r?.resumed.serverCpuMsEach ?? null));
  }
  if (s.login) {
    const l = s.login, c = l.chatd, r = l.ceiling;
    const params = `m=${l.params.m},t=${l.params.t},p=${l.params.p}`;
    const lr = row('logins_per_sec', `logins/s, argon2id ${params} (ceiling column: ${res.machine.nproc} cores / ${l.hashMs.toFixed(0)} ms per hash)`, '1/s', c?.logins?.perSec ?? null, l.theoreticalPerSec);
    out.push({ ...lr, target: '≥ 0.9× theory', met: lr.ratio === null ? null : lr.ratio >= 0.9 });
    out.push(row('chat_p99_idle_ms', `chat p99, room of ${c?.chatMembers ?? p.chatMembers} at 100 msg/s, no storm`, 'ms', c?.idle.p99Ms ?? null, r?.idle.p99Ms ?? null));
    out.push(row('chat_p99_login_storm_ms', 'chat p99 during the login storm (ceiling: same rate of new TLS connections)', 'ms', c?.duringStorm.p99Ms ?? null, r?.duringStorm.p99Ms ?? null));
  }
  if (s.reconnect) {
    const x = s.reconnect, c = x.chatd, r = x.ceiling;
    const n = fmtInt(x.clients);
    // chatd: logged in again (lobby); ceiling: TLS up. Times from the restarted server listening.
    for (const [how, key] of [['full handshakes', 'full'], ['resumed (tickets)', 'resumed']] as const) {
      out.push(row(`reconnect_${key}_all_back_ms`, `reconnect storm after a restart, ${n} clients, ${how}: all back (chatd: logged in)`, 'ms', c?.[key].allBackMs ?? null, r?.[key].allBackMs ?? null));
      out.push(row(`reconnect_${key}_p50_ms`, `reconnect storm, ${how}: p50 of a client's time back`, 'ms', c?.[key].p50Ms ?? null, r?.[key].p50Ms ?? null));
      out.push(row(`reconnect_${key}_p99_ms`, `reconnect storm, ${how}: p99 of a client's time back`, 'ms', c?.[key].p99Ms ?? null, r?.[key].p99Ms ?? null));
    }
    const t = c?.tokens;
    out.push(row('reconnect_tokens_all_back_ms', `reconnect storm, ${n} clients, resumed + resume tokens (no password hash; ceiling column: resumed TLS only): all back`, 'ms', t?.allBackMs ?? null, r?.resumed.allBackMs ?? null));
    out.push(row('reconnect_tokens_p99_ms', 'reconnect storm, resumed + resume tokens: p99 of a client\'s time back', 'ms', t?.p99Ms ?? null, r?.resumed.p99Ms ?? null));
    const share = (f?: { resumed: number; back: number }) => (f && f.back ? f.resumed / f.back : null);
    out.push(row('reconnect_resumed_fraction', 'reconnect storm: handshakes that resumed (of clients back)', 'share', share(c?.resumed), share(r?.resumed)));
    const k = c?.costly;
    // The ceiling has no login: its column is the time the server's hash workers need for these logins alone.
    const hashOnly = k && s.login ? (k.clients * s.login.hashMs) / res.machine.nproc : null;
    out.push(row('reconnect_default_hash_all_back_ms', `reconnect storm, ${fmtInt(x.costlyClients)} clients at the default password cost, resumed: all back ` +
      `(ceiling column: ${fmtInt(x.costlyClients)} hashes on ${res.machine.nproc} cores)`, 'ms', k?.allBackMs ?? null, hashOnly));
    out.push(row('reconnect_default_hash_p99_ms', 'reconnect storm at the default password cost: p99 of a client\'s time back', 'ms', k?.p99Ms ?? null, null));
    const kt = c?.costlyTokens;
    out.push(row('reconnect_default_hash_tokens_all_back_ms', `reconnect storm, ${fmtInt(x.costlyClients)} clients at the default password cost, resumed + resume tokens: all back`, 'ms', kt?.allBackMs ?? null, null));
  }
  if (s.history) {
    for (const [name, h] of [['SQLite', s.history.sqlite], ['MariaDB', s.history.mariadb]] as const) {
      if (h === undefined) continue;
      const key = name.toLowerCase();
      out.push(row(`history_insert_per_sec_${key}`, `history insert (batches of 500), ${name}`, 'msg/s', h?.insertPerSec ?? null, null));
      out.push(row(`history_200_p50_ms_${key}`, `history 200: p50, ${name}`, 'ms', h?.history200MsP50 ?? null, null));
      out.push(row(`history_200_p99_ms_${key}`, `history 200: p99, ${name}`, 'ms', h?.history200MsP99 ?? null, null));
    }
    for (const [name, f] of [['SQLite', s.history.searchSqlite], ['MariaDB', s.history.searchMariadb]] as const) {
      if (f === undefined) continue;
      const key = name.toLowerCase();
      const n = f ? `${(f.messages / 1e6).toLocaleString('en-US')}M` : '';
      out.push(row(`search_p50_ms_${key}`, `search over ${n} messages (3 of 10 rooms, n=20): p50, ${name}`, 'ms', f?.searchMsP50 ?? null, null));
      out.push(row(`search_p99_ms_${key}`, `search: p99, ${name}`, 'ms', f?.searchMsP99 ?? null, null));
      out.push(row(`search_common_p99_ms_${key}`, `search, a word in a third of all messages: p99, ${name}`, 'ms', f?.commonMsP99 ?? null, null));
      out.push(row(`search_middle_p99_ms_${key}`, `search, a word in 0.2–2 % of all messages: p99, ${name}`, 'ms', f?.middleMsP99 ?? null, null));
      out.push(row(`search_rare_p99_ms_${key}`, `search, a word in one message: p99, ${name}`, 'ms', f?.rareMsP99 ?? null, null));
      out.push(row(`search_index_build_s_${key}`, `search index built over existing rows (migration 006), ${name}`, 's', f?.indexBuildS ?? null, null));
    }
  }
  return out;
}

const fmtInt = (n: number) => Math.round(n).toLocaleString('en-US');
