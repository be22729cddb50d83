// chat-cli for scripts: `--send "text"` (one line, its answer, exit) and piped stdin (every line in
// order, exit at EOF once each is answered), printing rendered frames or, with --json, raw frames.
// Status goes to stderr so that stdout stays the transcript (or the JSON stream).
import readline from 'node:readline';
import type { Readable } from 'node:stream';
import { SetupError } from '../errors.js';
import type { ServerFrame } from '../protocol/frames.js';
import { renderFrame, type Theme } from '../render.js';
import { INVISIBLE } from '../sanitize.js';
import type { ChatConnection, FrameMeta } from './connection.js';
import { clean } from './link-errors.js';
import { retryLines } from './reconnect.js';

export type Out = { write(s: string): unknown };

/**
 * Piped lines read ahead of their answers at most: beyond them stdin is not read until answers come
 * (the pipe, not chat-cli's memory, holds what a fast writer sends).
 */
export const SCRIPT_LINES_AHEAD = 64;

export type ScriptOptions = {
  json: boolean;
  stdout: Out;
  stderr: Out;
  /** Themes for what goes to stdout and to stderr (MONO unless that stream is a terminal). */
  outTheme: Theme;
  errTheme: Theme;
  name?: string;
};

// Characters a terminal may act on or hide that JSON.stringify leaves raw: DEL, C1 controls (U+009B
// is a CSI on some terminals), line and paragraph separators, and the sanitizer's invisible set.
const UNSAFE_IN_JSON = new RegExp(`[\\x7f-\\x9f\\u2028\\u2029${INVISIBLE}]`, 'gu');

/**
 * One frame as one JSON line that is inert in a terminal: the same JSON value (JSON.parse gives the
 * frame back unchanged), with every character a terminal could act on written as a \u escape.
 */
export function jsonLine(frame: unknown): string {
  let json: string;
  // A frame nested deeper than the stack (a hostile server's [[[[…]]]]) parsed, but stringifying it
  // again overflowed: a stack trace ended every --json consumer. Such a frame is written as a note.
  try { json = JSON.stringify(frame); } catch { json = JSON.stringify({ type: 'unreadable', reason: 'a frame too deeply nested to write again' }); }
  return json.replace(UNSAFE_IN_JSON, (c) =>
    [...Array(c.length).keys()].map((i) => `\\u${c.charCodeAt(i).toString(16).padStart(4, '0')}`).join('')) + '\n';
}

/** Wires status lines (stderr) for the non-interactive modes. */
function statusTo(conn: ChatConnection, o: ScriptOptions): void {
  const name = o.name ?? 'chat-cli';
  conn.on('status', (s) => o.stderr.write(`${name}: ${s}\n`));
  conn.on('down', (r) => o.stderr.write(`${name}: connection lost (${r})\n`));
  conn.on('retry', (info) => { for (const line of retryLines(info)) o.stderr.write(`${name}: ${line}\n`); });
}

/** A promise that rejects when the connection fails for good (the caller exits 1 with its message). */
function fatalOf(conn: ChatConnection): Promise<never> {
  return new Promise<never>((_, reject) => conn.once('fatal', reject));
}

/**
 * --send: logs in, sends one line, waits for its answer, exits. Prints the answer of a command (and a
 * history it asked for) on stdout; a message's own echo is its acknowledgement and prints nothing.
 * An error answer is a SetupError "CODE: message" (exit 1).
 */
export async function runSend(conn: ChatConnection, text: string, o: ScriptOptions): Promise<number> {
  statusTo(conn, o);
  const fatal = fatalOf(conn);
  fatal.catch(() => {});
  conn.on('frame', (f: ServerFrame, meta: FrameMeta) => {
    if (o.json) return void o.stdout.write(jsonLine(f));
    if (!meta.mine || (f.type !== 'result' && f.type !== 'history')) return;
    const shown = renderFrame(f, o.outTheme);
    if (shown) o.stdout.write(shown + '\n');
  });
  await Promise.race([conn.start(), fatal]);
  const answer = await Promise.race([conn.say(text), fatal]);
  await conn.close();
  if (answer.type === 'error') throw new SetupError(`${clean(answer.code) || 'INTERNAL'}: ${clean(answer.message)}`);
  return 0;
}

/**
 * Piped stdin: every non-empty line is sent in order (one in flight at a time; RATE_LIMITED is
 * waited out and the line sent again), stdin read at most SCRIPT_LINES_AHEAD lines ahead of the
 * answers. At EOF, waits until every line has its answer, then quits.
 * Exit 0 when every line was accepted, 1 when the server answered any of them with an error.
 */
export async function runScript(conn: ChatConnection, input: Readable, o: ScriptOptions): Promise<number> {
  const name = o.name ?? 'chat-cli';
  statusTo(conn, o);
  const fatal = fatalOf(conn);
  fatal.catch(() => {});
  const closed = new Promise<'closed'>((r) => conn.once('closed', () => r('closed')));
  conn.on('ready', ({ reconnected }) => {
    if (!reconnected) o.stderr.write(`${name}: logged in as ${clean(conn.user?.name)} (${clean(conn.user?.role)}) on ${conn.where}\n`);
  });
  conn.on('frame', (f: ServerFrame, meta: FrameMeta) => {
    if (o.json) return void o.stdout.write(jsonLine(f));
    if (meta.internal || meta.retrying) return;
    if (f.type === 'welcome' || f.type === 'login_ok') return; // the "logged in" status line says it
    const toErr = f.type === 'error' || f.type === 'bye';
    const shown = renderFrame(f, toErr ? o.errTheme : o.outTheme);
    if (shown) (toErr ? o.stderr : o.stdout).write(shown + '\n');
  });

  await Promise.race([conn.start(), fatal]);

  let failed = 0;
  let lineNo = 0;
  // Lines sent and not answered yet, counted: a promise kept per line until EOF was memory that grew
  // with everything a long-lived pipe (`tail -f log | chat-cli`) ever carried.
  let unanswered = 0;
  let eofSeen = false;
  let paused = false;
  let allAnswered: () => void = () => {};
  const answered = new Promise<void>((r) => { allAnswered = r; });
  const rl = readline.createInterface({ input, terminal: false, crlfDelay: Infinity });
  const settle = () => {
    unanswered--;
    if (paused && unanswered < SCRIPT_LINES_AHEAD / 2 && !eofSeen) { paused = false; rl.resume(); }
    if (eofSeen && unanswered === 0) allAnswered();
  };
  rl.on('line', (line) => {
    lineNo++;
    if (!line.trim() || conn.state === 'closed') return;
    const n = lineNo;
    // Read no further ahead of the answers than SCRIPT_LINES_AHEAD: the rest waits in the pipe.
    if (++unanswered >= SCRIPT_LINES_AHEAD && !paused) { paused = true; rl.pause(); }
    conn.say(line).then(
      (a) => { if (a.type === 'error') failed++; },
      (e: Error) => {
        if (e instanceof SetupError) return; // fatal: reported once, by the caller
        if (conn.state === 'closed') return; // after //quit: the rest is not sent, as asked
        failed++;
        o.stderr.write(`${name}: line ${n}: ${e.message}\n`);
      },
    ).finally(settle);
  });
  const eof = new Promise<void>((r) => rl.once('close', () => {
    eofSeen = true;
    if (unanswered === 0) allAnswered();
    r();
  }));

  const end = await Promise.race([eof.then(() => answered).then(() => 'done' as const), closed, fatal]);
  rl.close();
  if (end === 'done') await conn.close();
  return failed ? 1 : 0;
}
