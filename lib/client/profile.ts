// chat-cli's profile: what `chat-cli enroll` wrote, so that plain `chat-cli` connects with no flags.
// `$XDG_CONFIG_HOME/chatd`, else `~/.config/chatd`: ca.crt, <user>.crt, <user>.key, config.json.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SetupError } from '../errors.js';

export type Profile = { host: string; port: number; user: string; ca: string; cert: string; key: string };

export const PROFILE_FILE = 'config.json';

export function profileDir(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(env.HOME || os.homedir(), '.config');
  return path.join(base, 'chatd');
}

/** The profile in `dir` (default: the profile directory), or null when there is none. */
export function loadProfile(env: NodeJS.ProcessEnv, dir = profileDir(env)): Profile | null {
  const file = path.join(dir, PROFILE_FILE);
  let text: string;
  try { text = fs.readFileSync(file, 'utf8'); } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new SetupError(`cannot read profile ${file}: ${(e as Error).message}`);
  }
  let o: Record<string, unknown>;
  try { o = JSON.parse(text); } catch { throw new SetupError(`profile ${file} is not valid JSON; run chat-cli enroll again or remove it`); }
  const str = (k: string) => (typeof o[k] === 'string' && o[k] ? (o[k] as string) : null);
  const port = Number(o.port);
  const p = { host: str('host'), user: str('user'), ca: str('ca'), cert: str('cert'), key: str('key') };
  if (Object.values(p).some((v) => v === null) || !Number.isInteger(port)) throw new SetupError(`profile ${file} is incomplete; run chat-cli enroll again`);
  // Relative paths in a profile are relative to its directory, so the directory can be moved.
  const abs = (f: string) => path.resolve(dir, f);
  return { host: p.host!, port, user: p.user!, ca: abs(p.ca!), cert: abs(p.cert!), key: abs(p.key!) };
}

/**
 * Replaces a file atomically: the new content goes to a temporary file in the same directory (with
 * its final mode from the start, so a key is never readable by others), then a rename.
 */
export function writeAtomic(file: string, data: string, mode: number): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now().toString(36)}.tmp`);
  try {
    fs.writeFileSync(tmp, data, { mode, flag: 'wx' });
    fs.chmodSync(tmp, mode);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}
