// The binaries as child processes for specs, chat-cli above all: the real thing (node dist/cli/<name>.js)
// through pipes or a pseudo-terminal (`script` from util-linux), the one pty helper of the specs, with
// waits on its output and exit (never on time alone).
import { spawn, type ChildProcess } from 'node:child_process';
import { binPath, cleanEnv } from './bin.js';
import { deadline } from './wait.js';
import { USERS } from './world.js';

const sh = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
/** SGR (colour) sequences removed, cursor movements kept. */
export const noSgr = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');
/** Every escape sequence removed. */
export const plain = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');

export type RunOpts = { env?: Record<string, string>; cwd?: string; pty?: boolean };

/** A running binary: its output so far, waits on output and exit (never on time alone). */
export class Run {
  out = '';
  err = '';
  code: number | null | undefined = undefined;
  private waiters: Array<() => boolean> = [];

  constructor(readonly child: ChildProcess, readonly label: string) {
    child.stdout!.on('data', (d) => { this.out += d; this.poke(); });
    child.stderr!.on('data', (d) => { this.err += d; this.poke(); });
    // 'close', not 'exit': only then has all of stdout and stderr been read.
    child.on('close', (code, sig) => { this.code = code ?? (sig ? 128 : null); this.poke(); });
  }

  /** chat-cli: see `bin`. */
  static start(args: string[], opts: RunOpts = {}): Run { return Run.bin('chat-cli', args, opts); }

  /** Pipes: stdin, stdout and stderr of the binary itself. With pty, a terminal (all output in `out`). */
  static bin(name: string, args: string[], opts: RunOpts = {}): Run {
    const file = binPath(name);
    const env = cleanEnv({ SHELL: '/bin/sh', TERM: 'xterm', ...opts.env });
    if (!opts.pty) {
      return new Run(spawn(process.execPath, [file, ...args], { env, cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] }), `${name} ${args.join(' ')}`);
    }
    const cmd = `stty cols 120 rows 40 2>/dev/null; exec ${sh(process.execPath)} ${sh(file)} ${args.map(sh).join(' ')}`;
    return new Run(spawn('script', ['-qfec', cmd, '/dev/null'], { env, cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] }), `pty: ${name} ${args.join(' ')}`);
  }

  private poke(): void { this.waiters = this.waiters.filter((w) => !w()); }

  write(s: string): void { this.child.stdin!.write(s); }
  end(): void { this.child.stdin!.end(); }

  /** What it printed so far, for failure messages. */
  private outputs(): string { return `--- out:\n${this.out.slice(-1500)}\n--- err:\n${this.err.slice(-1500)}`; }

  until(test: () => boolean, what: string, ms = 8000): Promise<void> {
    return deadline(ms, () => `${this.label}: no ${what} within ${ms} ms\n${this.outputs()}`, (resolve, reject) => {
      const check = () => {
        if (test()) { resolve(); return true; }
        if (this.code !== undefined) { reject(new Error(`${this.label}: exited ${this.code} before ${what}\n${this.outputs()}`)); return true; }
        return false;
      };
      if (!check()) this.waiters.push(check);
      return () => { this.waiters = this.waiters.filter((w) => w !== check); };
    });
  }

  waitOut(re: RegExp, ms?: number): Promise<void> { return this.until(() => re.test(this.out), `stdout ${re}`, ms); }
  waitErr(re: RegExp, ms?: number): Promise<void> { return this.until(() => re.test(this.err), `stderr ${re}`, ms); }
  /** Waits on the terminal text without its escape sequences. */
  waitScreen(re: RegExp, ms?: number): Promise<void> { return this.until(() => re.test(plain(this.out)), `screen ${re}`, ms); }

  exit(ms = 8000): Promise<number | null> {
    if (this.code !== undefined) return Promise.resolve(this.code);
    return deadline(ms, () => `${this.label}: still running after ${ms} ms\n${this.outputs()}`, (resolve) => {
      const on = () => resolve(this.code ?? null);
      this.child.once('close', on);
      return () => this.child.off('close', on);
    });
  }

  kill(): void { if (this.code === undefined) this.child.kill('SIGKILL'); }
}

/** Runs to completion. */
export async function runCli(args: string[], opts: RunOpts & { input?: string; ms?: number } = {}): Promise<Run> {
  const r = Run.start(args, opts);
  r.child.stdin!.end(opts.input ?? '');
  await r.exit(opts.ms ?? 10000);
  return r;
}

/** Flags for a user of the test world, connecting to `port`. */
export function flags(certs: string, port: number, user: string): string[] {
  return ['--port', String(port), '--ca', `${certs}/ca.crt`, '--cert', `${certs}/clients/${user}.crt`, '--key', `${certs}/clients/${user}.key`, '--user', user];
}
export const pw = (user: string) => ({ CHATD_PASSWORD: USERS[user]!.password });

/**
 * What a terminal shows after `out`: a small model of the cursor movements and erasures readline and
 * chat-cli use (CR, LF, CSI n A/B/C/D/G, J, K, 2K; colours ignored), one string per row, trailing
 * blank rows dropped. Text overwritten or erased on the way is gone, as on a real screen.
 */
export function screen(out: string): string[] {
  const rows: string[][] = [[]];
  let r = 0;
  let c = 0;
  const row = () => (rows[r] ??= []);
  const re = /\x1b\[([0-9;?]*)([A-Za-z])|\r|\n|[^\x1b\r\n]/g;
  for (const m of out.matchAll(re)) {
    const s = m[0];
    if (s === '\r') c = 0;
    else if (s === '\n') { r++; c = 0; row(); }
    else if (m[2] !== undefined) {
      const n = Number(m[1] || 0);
      switch (m[2]) {
        case 'A': r = Math.max(0, r - (n || 1)); break;
        case 'B': r += n || 1; row(); break;
        case 'C': c += n || 1; break;
        case 'D': c = Math.max(0, c - (n || 1)); break;
        case 'G': c = Math.max(0, (n || 1) - 1); break;
        case 'J': if (n === 0) { row().length = Math.min(row().length, c); rows.length = r + 1; } break;
        case 'K': if (n === 2) rows[r] = []; else if (n === 0) row().length = Math.min(row().length, c); break;
        default: break; // colours and modes
      }
    } else {
      const cur = row();
      while (cur.length < c) cur.push(' ');
      cur[c++] = s;
    }
  }
  const lines = rows.map((x) => Array.from(x, (ch) => ch ?? ' ').join('').trimEnd());
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines;
}
