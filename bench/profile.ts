// Reads a V8 .cpuprofile (from `npm run bench -- --profile`, i.e. node --cpu-prof) and prints where
// the time went: busy share, top functions by self time, and chatd's own functions (lib/) by
// inclusive time, so a hot path can be named without opening DevTools.
//
// Run: node dist/bench/profile.js bench/results/profiles/chatd-idle-1/ [--top 25] [--match '^lib/']
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

type CallFrame = { functionName: string; url: string; lineNumber: number; columnNumber: number };
type ProfileNode = { id: number; callFrame: CallFrame; children?: number[] };
type Profile = { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number };

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    top: { type: 'string', default: '25' }, match: { type: 'string', default: '^(lib|cli)/' },
    // CLOCK_MONOTONIC µs, the clock of .cpuprofile timestamps: run.js prints the window of each phase.
    from: { type: 'string' }, to: { type: 'string' },
  },
});
if (!positionals.length) {
  process.stderr.write('usage: node dist/bench/profile.js FILE.cpuprofile|DIR [--from µs --to µs] [--top 25] [--match REGEX on the file, default ^(lib|cli)/]\n');
  process.exit(2);
}
const top = Number(opts.top);
process.stdout.on('error', () => process.exit(0)); // `… | head` closed the pipe

function label(f: CallFrame): string {
  const name = f.functionName || '(anonymous)';
  if (!f.url) return name;
  return `${name} ${shortFile(f)}:${f.lineNumber + 1}`;
}

/** dist/lib/node.js → lib/node.js; …/node_modules/knex/lib/x.js → node_modules/knex/lib/x.js. */
function shortFile(f: CallFrame): string {
  const file = f.url.replace(/^file:\/\//, '');
  const nm = file.lastIndexOf('/node_modules/');
  if (nm !== -1) return file.slice(nm + 1);
  const dist = file.lastIndexOf('/dist/');
  if (dist !== -1) return file.slice(dist + 6);
  return file.startsWith('node:') ? file : path.basename(file);
}

// A directory (one per server with --profile) stands for the profiles in it, main thread (tid 0) first.
const files = positionals.flatMap((p) => fs.statSync(p).isDirectory()
  ? fs.readdirSync(p).filter((f) => f.endsWith('.cpuprofile')).sort((a, b) => tid(a) - tid(b)).map((f) => path.join(p, f))
  : [p]);

function tid(name: string): number {
  const parts = name.split('.');
  return parts.length >= 7 ? Number(parts[parts.length - 3]) : 0; // CPU.date.time.pid.tid.seq.cpuprofile
}

for (const file of files) {
  const prof = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const from = Math.max(prof.startTime, opts.from ? Number(opts.from) : -Infinity);
  const to = Math.min(prof.endTime, opts.to ? Number(opts.to) : Infinity);
  const selfUs = new Map<number, number>();
  let t = prof.startTime;
  for (let i = 0; i < prof.samples.length; i++) {
    t += prof.timeDeltas[i] ?? 0;
    if (t < from || t > to) continue;
    const id = prof.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0));
  }
  const totalUs = Math.max(1, to - from);
  let idleUs = 0;
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id)!;
    if (node.callFrame.functionName === '(idle)') { idleUs += us; continue; }
    const l = label(node.callFrame);
    self.set(l, (self.get(l) ?? 0) + us);
    // Inclusive time: every distinct function on the stack of this sample gets it once.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const cl = label(byId.get(cur)!.callFrame);
      if (seen.has(cl)) continue;
      seen.add(cl);
      inclusive.set(cl, (inclusive.get(cl) ?? 0) + us);
    }
  }
  const busyUs = totalUs - idleUs;
  const pct = (us: number) => `${((100 * us) / busyUs).toFixed(1).padStart(5)} %`;
  const ms = (us: number) => `${(us / 1000).toFixed(0).padStart(7)} ms`;
  process.stdout.write(`\n${path.basename(file)}: ${(totalUs / 1e6).toFixed(1)} s profiled, ${(busyUs / 1e6).toFixed(1)} s busy (${((100 * busyUs) / totalUs).toFixed(0)} %)\n`);
  process.stdout.write(`\n  top ${top} by self time (share of busy time):\n`);
  for (const [l, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) process.stdout.write(`  ${ms(us)} ${pct(us)}  ${l}\n`);
  process.stdout.write(`\n  top ${top} functions matching "${opts.match}" by inclusive time:\n`);
  const re = new RegExp(opts.match!);
  const mine = [...inclusive].filter(([l]) => re.test(l.slice(l.lastIndexOf(' ') + 1))).sort((a, b) => b[1] - a[1]).slice(0, top);
  for (const [l, us] of mine) process.stdout.write(`  ${ms(us)} ${pct(us)}  ${l}\n`);
}
