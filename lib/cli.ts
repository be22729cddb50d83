// Shared plumbing for the thin yargs wrappers in cli/: one clear line per failure and the exit codes
// of DESIGN.md (0 ok, 1 runtime failure, 2 bad usage), never a bare stack trace.
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { SetupError } from './errors.js';

/** A yargs parser with the shared conventions: CHATD_* env fallbacks, strict flags, usage errors → exit 2. */
export function cliParser(scriptName: string, args: string[] = hideBin(process.argv)): Argv {
  return yargs(args)
    .scriptName(scriptName)
    .env('CHATD')
    .strict()
    // A flag given twice takes its last value (as with most Unix tools), instead of becoming an array.
    .parserConfiguration({ 'duplicate-arguments-array': false })
    .help()
    .version(false)
    .wrap(Math.min(100, process.stdout.columns || 100))
    .fail((msg, err, usage) => {
      if (err) throw err;
      const missing = missingPositionals(String(msg), usage as unknown as UsageOf, scriptName);
      if (missing) {
        process.stderr.write(`${scriptName}: ${missing}\n`);
        process.exit(2);
      }
      // One line, as every other failure (yargs writes some messages over several lines).
      const line = String(msg).split('\n').map((l) => l.trim()).filter(Boolean).join(' ');
      process.stderr.write(`${scriptName}: ${line} (see ${scriptName} --help)\n`);
      process.exit(2);
    });
}

type UsageOf = { getUsage?(): Array<[string, string]> };

/**
 * yargs says "Not enough non-option arguments: got 0, need at least 1"; a person needs to hear which
 * argument: "missing <name>; usage: chat-admin ban add <name> (see chat-admin ban add --help)".
 */
function missingPositionals(msg: string, usage: UsageOf, scriptName: string): string | null {
  const m = /^Not enough non-option arguments: got (\d+), need at least \d+/.exec(msg);
  const line = usage?.getUsage?.()?.[0]?.[0]?.replace(/\$0/g, scriptName);
  if (!m || !line) return null;
  const required = line.match(/<[^>]+>/g) ?? [];
  const lacking = required.slice(Number(m[1]));
  if (!lacking.length) return null;
  const command = line.replace(/\s*[<[].*$/, '');
  return `missing ${lacking.join(' ')}; usage: ${line} (see ${command} --help)`;
}

/**
 * An epilog of examples, each a description line and the command on a line of its own (a long one
 * continued with " \\"), so that no terminal width splits a command in the middle of an argument,
 * as yargs' two-column .example() does at 80 columns.
 */
export function examples(list: Array<[what: string, command: string | string[]]>): string {
  return ['Examples:', ...list.flatMap(([what, cmd]) => {
    const parts = Array.isArray(cmd) ? cmd : [cmd];
    return [`  ${what}:`, ...parts.map((p, i) => `${i ? '      ' : '    '}${p}${i < parts.length - 1 ? ' \\' : ''}`), ''];
  })].join('\n').trimEnd();
}

/**
 * Parses with CHATD_<FLAG> fallbacks for this parser's own flags only. Under .strict(), any other
 * CHATD_* variable (CHATD_PASSWORD for chat-cli, CHATD_DB exported for chat-admin) would otherwise
 * be an unknown argument; such variables are hidden from yargs while it parses and runs commands.
 */
export async function parseCli<T>(parser: Argv<T>) {
  // getOptions() exists at run time but is missing from @types/yargs.
  const options = (parser as unknown as { getOptions(): { key: Record<string, unknown> } }).getOptions();
  const known = new Set(Object.keys(options.key).map((k) => `CHATD_${k.toUpperCase().replace(/-/g, '_')}`));
  const hidden: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('CHATD_') && !known.has(k) && v !== undefined) { hidden[k] = v; delete process.env[k]; }
  }
  try {
    return await parser.parseAsync();
  } finally {
    Object.assign(process.env, hidden);
  }
}

/** Turns any error into one line on stderr and the right exit code. */
export function reportAndExit(scriptName: string, err: unknown): never {
  if (err instanceof SetupError) {
    process.stderr.write(`${scriptName}: ${visible(err.message)}\n`);
    process.exit(err.exitCode);
  }
  const e = err as NodeJS.ErrnoException;
  process.stderr.write(`${scriptName}: ${visible(describeError(e))}\n`);
  if (process.env.CHATD_DEBUG) process.stderr.write(`${e?.stack}\n`);
  process.exit(1);
}

/**
 * A failure line as it should reach the terminal: one line, its control and direction characters
 * spelled out (\x1b, \u202e), never acted on. The tools echo what they were given ("no such role:
 * X"), and a script passing a hostile name to chat-admin made the operator's terminal run it.
 */
export function visible(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => {
    const n = c.charCodeAt(0);
    return n < 0x100 ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
  });
}

/** A short human sentence for the system errors a CLI meets most (files, sockets, databases). */
export function describeError(e: NodeJS.ErrnoException | undefined): string {
  if (!e) return 'unknown error';
  const where = e.path ? ` ${e.path}` : '';
  switch (e.code) {
    case 'ENOENT': return `file not found:${where || ' ' + e.message}`;
    case 'EACCES': return `permission denied:${where || ' ' + e.message}`;
    case 'ECONNREFUSED': return `connection refused: ${e.message.replace(/^connect ECONNREFUSED /, '')}`;
    case 'EADDRINUSE': return `address already in use: ${e.message.replace(/^listen EADDRINUSE: address already in use /, '')}`;
    default: return e.message || String(e);
  }
}

/** Reads all of stdin as text (for --password-stdin). */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
