// The bench run's plan: what `npm run bench` was asked to do (flags), with the sizes and durations
// that follow from them (--quick), and where the binaries and results are.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { TargetKind } from './gen-api.js';

const HERE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..'); // dist/bench
const ROOT = path.resolve(HERE, '..', '..');
export const CHATD_JS = path.join(ROOT, 'dist', 'cli', 'chatd.js');
export const CEILING_JS = path.join(HERE, 'ceiling.js');
export const RESULTS = path.join(ROOT, 'bench', 'results');
export const SECTIONS = ['idle', 'fanout', 'handshake', 'login', 'reconnect', 'history'] as const;
export type Section = (typeof SECTIONS)[number];
export const KINDS: TargetKind[] = ['chatd', 'ceiling'];

const USAGE = `usage: npm run bench [-- options]   (or: node dist/bench/run.js [options])
  --quick              smaller and shorter: 1,000 idle sessions, 2.5 s phases (~2 min)
  --only LIST          sections to run, comma-separated: ${SECTIONS.join(',')} (default: all)
  --sessions N         idle sessions to hold (default 10000; --quick 1000)
  --members LIST       fan-out room sizes (default 100,1000)
  --gens N             load-generator processes holding connections (default 1)
  --reconnect-clients N  clients of the reconnect storms (default 1000; --quick 300)
  --reconnect-costly N   of those, clients of the storm at the default password cost (default 200; --quick 100)
  --profile            run the servers under node --cpu-prof; profiles in bench/results/profiles/
  --mysql URL          MariaDB for the history section (default $CHATD_BENCH_MYSQL or
                       mysql://root@127.0.0.1:3306/test; a database chatd_bench_<pid> is created and dropped)
  --no-mysql           skip MariaDB
  --out FILE           JSON output (default bench/results/latest.json)
  --verbose            echo the children's stderr
  --no-warmup          measure the fan-out's fixed rate from the server's first message and its
                       room fill from the server's first logins (before 2026-12-01 every run did;
                       see BENCHMARKS.md, findings 23 and 25)
  --idle-part          idle chatd sessions leave the lobby right after login (for builds that
                       send every join to every member: O(N²) without limits.presenceEventsMaxRoom)
  --arrivals KIND       the fan-out's fixed-rate senders: even (default; staggered, one message every
                       5 ms into 100 members, the target rows) or poisson (each sender's gaps
                       random with the same mean: bursty, as people chat; BENCHMARKS.md finding 26)
  --chatd FILE         the chatd binary under test (default dist/cli/chatd.js): A/B a patched build
  --server-env K=V     environment for both servers under test, repeatable
                       (e.g. LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2)
  --limit K=V          a chatd limit for the run (config limits.K, a number), repeatable: a sweep
                       (e.g. --limit writeCoalesceMs=6); the results say which were set
`;

export type Plan = {
  quick: boolean; sections: Set<Section>; sessions: number; members: number[]; gens: number; profile: boolean;
  mysql: string | null; out: string; verbose: boolean; chatd: string; serverEnv: Record<string, string>; limits: Record<string, number>; idlePart: boolean;
  arrivals: 'even' | 'poisson';
  reconnectClients: number; reconnectCostly: number;
  phaseMs: number; satMs: number; warmupMs: number; fillWarmLogins: number; handshakeMs: number; stormMs: number; chatMembers: number;
  historyMessages: number; historyQueries: number; searchMessages: number; searchQueries: number; deadlineMs: number;
};

export function plan(argv: string[]): Plan {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false }, only: { type: 'string' }, sessions: { type: 'string' }, members: { type: 'string' },
      gens: { type: 'string' }, profile: { type: 'boolean', default: false }, mysql: { type: 'string' }, 'no-mysql': { type: 'boolean', default: false },
      out: { type: 'string' }, verbose: { type: 'boolean', default: false }, help: { type: 'boolean', default: false },
      chatd: { type: 'string' }, 'reconnect-clients': { type: 'string' }, 'reconnect-costly': { type: 'string' }, 'server-env': { type: 'string', multiple: true }, limit: { type: 'string', multiple: true }, 'idle-part': { type: 'boolean', default: false },
      'no-warmup': { type: 'boolean', default: false }, arrivals: { type: 'string', default: 'even' },
    },
  });
  if (v.help) { process.stdout.write(USAGE); process.exit(0); }
  const sections = new Set<Section>();
  for (const s of (v.only ?? SECTIONS.join(',')).split(',').map((x) => x.trim()).filter(Boolean)) {
    if (!(SECTIONS as readonly string[]).includes(s)) usage(`unknown section "${s}" (sections: ${SECTIONS.join(', ')})`);
    sections.add(s as Section);
  }
  const int = (s: string | undefined, dflt: number, what: string) => {
    if (s === undefined) return dflt;
    const n = Number(s);
    if (!Number.isInteger(n) || n < 1) usage(`${what} must be a positive whole number (got "${s}")`);
    return n;
  };
  const quick = v.quick!;
  if (v.arrivals !== 'even' && v.arrivals !== 'poisson') usage(`--arrivals is even or poisson (got "${v.arrivals}")`);
  const members = (v.members ?? '100,1000').split(',').map((m) => int(m, 0, '--members'));
  return {
    quick, sections, members,
    sessions: int(v.sessions, quick ? 1000 : 10_000, '--sessions'),
    gens: int(v.gens, 1, '--gens'),
    reconnectClients: int(v['reconnect-clients'], quick ? 300 : 1000, '--reconnect-clients'),
    // Each of these logins is a full argon2id hash (~175 ms of a core, 2 workers): 200 take ~20 s.
    reconnectCostly: int(v['reconnect-costly'], quick ? 100 : 200, '--reconnect-costly'),
    profile: v.profile!,
    mysql: v['no-mysql'] ? null : (v.mysql ?? process.env.CHATD_BENCH_MYSQL ?? 'mysql://root@127.0.0.1:3306/test'),
    out: path.resolve(v.out ?? path.join(RESULTS, 'latest.json')),
    verbose: v.verbose!,
    chatd: path.resolve(v.chatd ?? CHATD_JS),
    idlePart: v['idle-part']!,
    arrivals: v.arrivals,
    serverEnv: Object.fromEntries((v['server-env'] ?? []).map((kv) => keyValue('--server-env', kv))),
    limits: Object.fromEntries((v.limit ?? []).map((kv) => {
      const [k, val] = keyValue('--limit', kv);
      if (val.trim() === '' || !Number.isFinite(Number(val))) usage(`--limit ${k} wants a number (got "${val}")`);
      return [k, Number(val)];
    })),
    phaseMs: quick ? 2500 : 5000,
    satMs: quick ? 2500 : 5000,
    warmupMs: v['no-warmup'] ? 0 : quick ? 1500 : 3000,
    fillWarmLogins: v['no-warmup'] ? 0 : 2000,
    handshakeMs: quick ? 2000 : 4000,
    stormMs: quick ? 5000 : 8000,
    chatMembers: 50,
    historyMessages: quick ? 10_000 : 50_000,
    historyQueries: quick ? 100 : 200,
    searchMessages: quick ? 100_000 : 1_000_000,
    searchQueries: quick ? 200 : 400,
    deadlineMs: (quick ? 5 : 10) * 60_000,
  };
}

function keyValue(flag: string, kv: string): [string, string] {
  const i = kv.indexOf('=');
  if (i < 1) usage(`${flag} wants K=V (got "${kv}")`);
  return [kv.slice(0, i), kv.slice(i + 1)];
}

export function usage(msg: string): never {
  process.stderr.write(`bench: ${msg}\n${USAGE}`);
  process.exit(2);
}
