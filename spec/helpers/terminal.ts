// A binary on a real pseudo-terminal (util-linux `script`), for what only happens on a terminal:
// hidden prompts, echo. What the spec writes is typed; `screen()` is everything the terminal showed.
import { spawn } from 'node:child_process';
import { binPath, cleanEnv } from './bin.js';

export type Terminal = {
  screen(): string;
  type(text: string): void;
  waitFor(re: RegExp, ms?: number): Promise<string>;
  exited(ms?: number): Promise<number | null>;
};

const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

export function onTerminal(name: string, args: string[], env: Record<string, string> = {}): Terminal {
  const cmd = [process.execPath, binPath(name), ...args].map(quote).join(' ');
  const child = spawn('script', ['-qfec', cmd, '/dev/null'], { env: cleanEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
  let buf = '';
  const waiters = new Set<() => void>();
  const grow = (d: Buffer) => { buf += d; for (const w of waiters) w(); };
  child.stdout.on('data', grow);
  child.stderr.on('data', grow);
  const code = new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  return {
    screen: () => buf,
    type: (text) => { child.stdin.write(text); },
    waitFor: (re, ms = 15000) => new Promise((resolve, reject) => {
      const check = () => { const m = re.exec(buf); if (m) { waiters.delete(check); clearTimeout(t); resolve(m[0]); } };
      const t = setTimeout(() => { waiters.delete(check); reject(new Error(`terminal never showed ${re}: ${JSON.stringify(buf.slice(-400))}`)); }, ms);
      waiters.add(check);
      check();
    }),
    exited: (ms = 15000) => Promise.race([code, new Promise<never>((_, reject) => setTimeout(() => { child.kill('SIGKILL'); reject(new Error('no exit')); }, ms).unref())]),
  };
}
