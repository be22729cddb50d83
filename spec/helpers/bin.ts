// Runs the compiled binaries as a user would, asynchronously (an in-process server keeps serving).
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { deadline } from './wait.js';
import { DIST } from './world.js';

export type BinResult = { code: number | null; out: string; err: string };

export function binPath(name: string): string {
  return path.join(DIST, 'cli', `${name}.js`);
}

/** Environment without the caller's CHATD_* settings, which would act as flag fallbacks. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CHATD_')));
  return { ...env, NO_COLOR: '1', ...extra };
}

export function runBin(name: string, args: string[], opts: { input?: string; env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {}): Promise<BinResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [binPath(name), ...args], { env: cleanEnv(opts.env), cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const t = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`${name} ${args.join(' ')} timed out; ${out} ${err}`)); }, opts.timeoutMs ?? 30000);
    child.on('error', reject);
    child.on('close', (code) => { clearTimeout(t); resolve({ code, out, err }); });
    child.stdin.end(opts.input ?? '');
  });
}

/** Starts a binary and resolves once its output matches `ready`. */
export function startBin(name: string, args: string[], opts: { env?: Record<string, string>; cwd?: string; ready?: RegExp; timeoutMs?: number } = {}): Promise<ChildProcess & { output(): string }> {
  const child = spawn(process.execPath, [binPath(name), ...args], { env: cleanEnv(opts.env), cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] }) as ChildProcess & { output(): string };
  let buf = '';
  child.output = () => buf;
  const ready = opts.ready ?? /listening on/;
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`${name} not ready: ${buf.slice(-500)}`)); }, opts.timeoutMs ?? 20000);
    const on = (d: Buffer) => { buf += d; if (ready.test(buf)) { clearTimeout(t); resolve(child); } };
    child.stdout!.on('data', on);
    child.stderr!.on('data', on);
    child.on('exit', (code) => { clearTimeout(t); reject(new Error(`${name} exited ${code}: ${buf.slice(-500)}`)); });
  });
}

/** Waits for a child to exit; resolves its exit code (or signal name). */
export function exited(child: ChildProcess, ms = 10000): Promise<number | string | null> {
  // Ended already, by an exit or by a signal ('exit' will not come again).
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode ?? child.signalCode);
  return deadline(ms, () => 'child did not exit', (resolve) => {
    const on = (code: number | null, sig: NodeJS.Signals | null) => resolve(code ?? sig);
    child.once('exit', on);
    return () => child.off('exit', on);
  });
}
