// Structured log lines on stderr: one JSON object per line. Callers pass fields, never secrets:
// no password, no command line text of `passwd` ever reaches a log call.
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export class Logger {
  constructor(private level: LogLevel = 'info', private readonly out: (line: string) => void = (l) => process.stderr.write(l)) {}

  setLevel(level: LogLevel): void { this.level = level; }

  private write(level: LogLevel, msg: string, fields?: Record<string, unknown>): void {
    if (ORDER[level] < ORDER[this.level]) return;
    this.out(JSON.stringify({ t: new Date().toISOString(), level, msg, ...fields }) + '\n');
  }

  debug(msg: string, fields?: Record<string, unknown>): void { this.write('debug', msg, fields); }
  info(msg: string, fields?: Record<string, unknown>): void { this.write('info', msg, fields); }
  warn(msg: string, fields?: Record<string, unknown>): void { this.write('warn', msg, fields); }
  error(msg: string, fields?: Record<string, unknown>): void { this.write('error', msg, fields); }
}
