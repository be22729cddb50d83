// Child processes of a bench run (servers under test, load generators) and what /proc says about
// them. Every child is registered here so that one call kills them all, on success, on error, on
// Ctrl-C and when the run's deadline passes.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';

/** File descriptors wanted per child; the shell lowers it to the hard limit when it may not raise it. */
export const FD_WANTED = 65536;
const CLK_TCK = 100; // Linux USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s on every architecture

const children = new Set<Child>();

export class Child {
  readonly proc: ChildProcess;
  readonly pid: number;
  readonly exited: Promise<number | null>;
  private stderrTail = '';
  private stdoutBuf = '';
  private lineWaiters: Array<(line: string) => boolean> = [];
  exitCode: number | null | undefined = undefined;

  constructor(readonly name: string, nodeArgs: string[], opts: { ipc?: boolean; echo?: boolean; env?: Record<string, string> } = {}) {
    // `ulimit -n` must be raised in the child itself (Node has no setrlimit): exec keeps the pid,
    // so /proc/<pid> below is the Node process, and an IPC channel (fd 3) survives the exec.
    const script = `ulimit -n ${FD_WANTED} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$@"`;
    this.proc = spawn('bash', ['-c', script, 'bash', process.execPath, ...nodeArgs], {
      stdio: ['ignore', 'pipe', 'pipe', ...(opts.ipc ? (['ipc'] as const) : [])],
      env: { ...process.env, NODE_ENV: 'production', ...opts.env },
    });
    if (this.proc.pid === undefined) throw new Error(`could not start ${name}`);
    this.pid = this.proc.pid;
    children.add(this);
    this.proc.stderr!.setEncoding('utf8');
    this.proc.stderr!.on('data', (d: string) => {
      this.stderrTail = (this.stderrTail + d).slice(-8192);
      if (opts.echo) process.stderr.write(`[${name}] ${d}`);
    });
    this.proc.stdout!.setEncoding('utf8');
    this.proc.stdout!.on('data', (d: string) => {
      this.stdoutBuf += d;
      let i;
      while ((i = this.stdoutBuf.indexOf('\n')) >= 0) {
        const line = this.stdoutBuf.slice(0, i);
        this.stdoutBuf = this.stdoutBuf.slice(i + 1);
        this.lineWaiters = this.lineWaiters.filter((w) => !w(line));
      }
    });
    this.exited = new Promise((resolve) => this.proc.once('exit', (code, signal) => {
      this.exitCode = code ?? (signal ? 128 : null);
      children.delete(this);
      resolve(this.exitCode);
    }));
  }

  get alive(): boolean { return this.exitCode === undefined; }

  /** Resolves with the first match of `re` on a stdout line; rejects on exit or after `ms`. */
  waitForLine(re: RegExp, ms: number): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`${this.name}: no line matching ${re} within ${ms} ms`)), ms);
      const fail = (e: Error) => { clearTimeout(timer); reject(new Error(`${e.message}\n${this.stderr()}`)); };
      this.exited.then((code) => fail(new Error(`${this.name} exited (code ${code}) before printing ${re}`)));
      this.lineWaiters.push((line) => {
        const m = re.exec(line);
        if (m) { clearTimeout(timer); resolve(m); }
        return m !== null;
      });
    });
  }

  stderr(): string { return this.stderrTail.trim() ? `--- ${this.name} stderr (tail) ---\n${this.stderrTail.trim()}` : ''; }

  /** SIGTERM (a graceful stop, and what makes --cpu-prof write its profile), then SIGKILL after graceMs. */
  async stop(graceMs = 3000): Promise<void> {
    if (!this.alive) return;
    this.proc.kill('SIGTERM');
    const t = setTimeout(() => this.kill(), graceMs);
    await this.exited;
    clearTimeout(t);
  }

  kill(): void {
    if (this.alive) {
      try { process.kill(this.pid, 'SIGKILL'); } catch { /* already gone */ }
    }
  }

  rssKiB(): number { return rssKiB(this.pid); }
}

/** Kills every child still running (synchronous, so it also works from an 'exit' handler). */
export function killAll(): void {
  for (const c of children) c.kill();
}

/** VmRSS of a process, KiB. */
export function rssKiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]);
}

/** User + system CPU time of a process (all its threads), ms. */
export function cpuMs(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from 3 (state) on
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK; // utime, stime
  } catch {
    return NaN;
  }
}

/**
 * Write syscalls a process made so far (/proc/PID/io syscw: write, writev, sendmsg…, every thread):
 * beside CPU time, what output coalescing changes, and unlike CPU time not inflated by other load.
 */
export function writeCalls(pid: number): number {
  try {
    return Number(/^syscw:\s*(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1] ?? NaN);
  } catch {
    return NaN;
  }
}

/** CPU time the whole machine spent busy (every core, every process), ms, from /proc/stat. */
export function machineBusyMs(): number {
  try {
    const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = f as [number, number, number, number, number, number, number, number];
    return ((user + nice + system + irq + softirq + (steal ?? 0)) * 1000) / CLK_TCK;
  } catch {
    return NaN;
  }
}

export type CpuUse = { ms: number[]; wallMs: number; machineMs: number; othersMs: number };

/**
 * CPU used by a set of processes between two calls: `const done = cpuMeter(pids); …; done()` →
 * ms per pid, and what the rest of the machine (processes not in `pids`: this orchestrator, other
 * users of the box) used meanwhile, so a run disturbed by outside load says so.
 */
export function cpuMeter(pids: number[]): () => CpuUse {
  const t0 = Date.now();
  const before = pids.map(cpuMs);
  const machine0 = machineBusyMs();
  return () => {
    const ms = pids.map((p, i) => cpuMs(p) - before[i]!);
    const machineMs = machineBusyMs() - machine0;
    return { ms, wallMs: Date.now() - t0, machineMs, othersMs: Math.max(0, machineMs - ms.reduce((a, b) => a + b, 0)) };
  };
}

/** The hard limit on open files (what a child can raise its own limit to). */
export function fdHardLimit(): number {
  const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'));
  if (!m) return 1024;
  return m[2] === 'unlimited' ? Infinity : Number(m[2]);
}

export type Machine = { nproc: number; cpu: string; node: string; os: string; memGiB: number; fdHardLimit: number; loadavgAtStart: number[]; loadavgAtEnd?: number[] };

export function machine(): Machine {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpu = m[1]!.trim();
  } catch { /* not Linux: os.cpus() it is */ }
  return {
    nproc: os.availableParallelism(), cpu, node: process.version, os: `${os.type()} ${os.release()}`,
    memGiB: Math.round(os.totalmem() / 2 ** 30), fdHardLimit: fdHardLimit(), loadavgAtStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

/** CLOCK_MONOTONIC in µs: the clock of the load generators' markers and of V8's .cpuprofile timestamps. */
export function monoUs(): number {
  const [s, ns] = process.hrtime();
  return s * 1e6 + ns / 1e3;
}
