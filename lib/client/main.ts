// chat-cli's logic behind its yargs wrapper: defaults, certificate files, the password, and the mode
// (interactive terminal, piped stdin, --send), each of which drives one ChatConnection.
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describeError } from '../cli.js';
import { SetupError } from '../errors.js';
import { isInteractive, promptHidden } from '../prompt.js';
import { themeFor } from '../render.js';
import { normalizeUsername } from '../sanitize.js';
import { loadTls } from '../server.js';
import { ChatConnection } from './connection.js';
import { clean } from './link-errors.js';
import { runScript, runSend } from './script.js';
import { TerminalUI } from './ui.js';
import { loadProfile, type Profile } from './profile.js';
import { renewer } from './renew.js';
import type { BellMode } from './mentions.js';

export const DEFAULTS = Object.freeze({ host: '127.0.0.1', port: 7443, ca: './certs/ca.crt', certDir: './certs/clients' });

/** Flags and CHATD_* variables (yargs merges the two); what neither gives comes from the profile, then DEFAULTS. */
export type ChatCliArgs = {
  host?: string;
  port?: number;
  ca?: string;
  cert?: string;
  key?: string;
  user?: string;
  passwordFile?: string;
  send?: string;
  json: boolean;
  /** Seconds of silence from the server after which the connection counts as dead. */
  idleTimeout: number;
  /** When the terminal bell rings (interactive only). */
  bell?: BellMode;
};

/** The login name: --user, else the CN of --cert, else the profile's. */
function resolveUser(args: ChatCliArgs, profile: Profile | null): string {
  let raw = args.user;
  if (raw === undefined && args.cert) {
    try {
      const cn = /(?:^|\n)CN=([^\n]+)/.exec(new X509Certificate(fs.readFileSync(args.cert)).subject)?.[1];
      raw = cn;
    } catch {
      // an unreadable --cert is reported below, with its path
    }
  }
  if (raw === undefined && !args.cert) raw = profile?.user;
  if (raw === undefined || raw === '') throw new SetupError('missing --user (or CHATD_USER): the name to log in as', 2);
  const name = normalizeUsername(raw);
  if (!name) throw new SetupError(`invalid --user "${raw.slice(0, 40)}": 2-32 of a-z 0-9 _ . - starting with a letter or digit`, 2);
  return name;
}

async function resolvePassword(args: ChatCliArgs & { host: string }, user: string, env: NodeJS.ProcessEnv): Promise<string> {
  if (args.passwordFile) {
    let text: string;
    try {
      text = fs.readFileSync(args.passwordFile, 'utf8');
    } catch (e) {
      throw new SetupError(`cannot read --password-file: ${describeError(e as NodeJS.ErrnoException)}`);
    }
    const pw = text.split(/\r?\n/)[0] ?? '';
    if (!pw) throw new SetupError(`--password-file ${args.passwordFile} is empty`);
    return pw;
  }
  if (env.CHATD_PASSWORD) return env.CHATD_PASSWORD;
  if (isInteractive()) {
    // Echo off before the question appears, so that nothing typed right after it is ever echoed
    // (promptHidden turns raw mode on only after writing the question).
    process.stdin.setRawMode?.(true);
    try {
      return await promptHidden(`password for ${user}@${args.host}: `);
    } finally {
      process.stdin.setRawMode?.(false);
    }
  }
  throw new SetupError('no password: set CHATD_PASSWORD or pass --password-file (stdin is not a terminal, so there is no prompt)', 2);
}

/** Runs chat-cli; resolves with the exit code, rejects with a SetupError (one line, exit 1 or 2). */
export async function runChatCli(args: ChatCliArgs, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const profile = loadProfile(env);
  const user = resolveUser(args, profile);
  // The profile's certificate is its user's: another --user (or a --cert) leaves it out.
  const own = profile !== null && !args.cert && profile.user === user ? profile : null;
  const host = args.host ?? profile?.host ?? DEFAULTS.host;
  const port = args.port ?? profile?.port ?? DEFAULTS.port;
  const ca = args.ca ?? profile?.ca ?? DEFAULTS.ca;
  const cert = args.cert ?? own?.cert ?? path.join(DEFAULTS.certDir, `${user}.crt`);
  const key = args.key ?? (args.cert ? args.cert.replace(/\.(crt|pem|cer)$/i, '') + '.key' : own?.key ?? path.join(DEFAULTS.certDir, `${user}.key`));
  // Certificate problems are reported before a password is asked for.
  const pem = loadTls({ cert, key, ca });
  const password = await resolvePassword({ ...args, host }, user, env);

  const conn = new ChatConnection({
    host, port, ...pem, certFile: cert, user, password, idleTimeoutMs: Math.max(0.2, args.idleTimeout) * 1000,
    afterLogin: renewer(user, cert, key, pem.ca, (s) => process.stderr.write(`chat-cli: ${s}\n`)),
  });
  conn.on('frame', (f) => {
    if (f.type === 'login_ok' && typeof f.notice === 'string' && f.notice) process.stderr.write(`chat-cli: notice from the server: ${clean(f.notice)}\n`);
  });
  const script = {
    json: args.json, stdout: process.stdout, stderr: process.stderr,
    outTheme: themeFor(process.stdout, env), errTheme: themeFor(process.stderr, env),
  };

  // `chat-cli --json | head`: a reader that went away ends the program quietly, as with other tools.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => { if (e.code === 'EPIPE') process.exit(0); else throw e; });
  }
  // Ctrl-C (outside readline, which has its own), kill and a closed terminal all quit cleanly.
  const stop = () => void conn.close();
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(sig, stop);

  if (args.send !== undefined) return runSend(conn, args.send, script);
  // The readline UI needs a terminal on both sides; otherwise lines in, transcript (or frames) out.
  if (args.json || !process.stdin.isTTY || !process.stdout.isTTY) return runScript(conn, process.stdin, script);

  const ui = new TerminalUI(conn, { input: process.stdin, output: process.stdout, theme: themeFor(process.stdout, env), bell: args.bell ?? 'mention' });
  await conn.start();
  return ui.run();
}
