// Log lines on stderr, one per event. JSON (one object per line) for journald, files and log
// shippers; a short human form on a terminal, so `npm start` does not mix JSON into what a person
// reads. Callers pass fields, never secrets: no password, no command line text of `passwd` ever
// reaches a log call.
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
export type LogFormat = 'json' | 'text';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** `auto` is text when stderr is a terminal and JSON otherwise (pipes, files, journald). */
export function resolveLogFormat(f: LogFormat | 'auto' | undefined, stream: { isTTY?: boolean } = process.stderr): LogFormat {
  if (f === 'json' || f === 'text') return f;
  return stream.isTTY ? 'text' : 'json';
}

export class Logger {
  constructor(
    private level: LogLevel = 'info',
    private readonly out: (line: string) => void = (l) => process.stderr.write(l),
    private readonly format: LogFormat = 'json',
  ) {}

  setLevel(level: LogLevel): void { this.level = level; }

  private write(level: LogLevel, msg: string, fields?: Record<string, unknown>): void {
    if (ORDER[level] < ORDER[this.level]) return;
    const t = new Date();
    this.out(this.format === 'json' ? JSON.stringify({ t: t.toISOString(), level, msg, ...fields }) + '\n' : textLine(t, level, msg, fields));
  }

  debug(msg: string, fields?: Record<string, unknown>): void { this.write('debug', msg, fields); }
  info(msg: string, fields?: Record<string, unknown>): void { this.write('info', msg, fields); }
  warn(msg: string, fields?: Record<string, unknown>): void { this.write('warn', msg, fields); }
  error(msg: string, fields?: Record<string, unknown>): void { this.write('error', msg, fields); }
}

/** `10:54:03 warn  login failed user=bob remote=127.0.0.1 code=AUTH_FAILED`, local time like chat lines. */
function textLine(t: Date, level: LogLevel, msg: string, fields?: Record<string, unknown>): string {
  const hms = [t.getHours(), t.getMinutes(), t.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
  let line = `${hms} ${level.padEnd(5)} ${msg}`;
  let stack = '';
  for (const [k, v] of Object.entries(fields ?? {})) {
    if (v === undefined) continue;
    const s = typeof v === 'string' ? v : JSON.stringify(v);
    // A stack trace reads best on lines of its own, after the event it belongs to.
    if (s.includes('\n')) { stack += '\n  ' + s.replace(/[^\P{Cc}\n]|\p{Cf}/gu, '?').split('\n').join('\n  '); continue; }
    line += ` ${k}=${/[\s"=]/.test(s) || s === '' ? JSON.stringify(s) : s}`;
  }
  // Fields can hold what a peer sent (a certificate subject, an error text): on a terminal no
  // control or format character of theirs may act on the operator's screen.
  line = line.replace(/[\p{Cc}\p{Cf}]/gu, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
  return line + stack + '\n';
}
