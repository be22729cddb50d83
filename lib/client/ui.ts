// The interactive terminal UI of chat-cli on readline: incoming frames rendered by the shared renderer
// above the input line (which is never clobbered: clear it, print, redraw it), every typed line sent
// as a say (prefixed lines are commands on the server), tab completion of command and user names,
// status lines for the connection, Ctrl-C / Ctrl-D / //quit to leave.
import readline from 'node:readline';
import { SetupError } from '../errors.js';
import type { ServerFrame } from '../protocol/frames.js';
import { paint, renderFrame, type Theme } from '../render.js';
import { mentionsMe, rings, type BellMode } from './mentions.js';
import { normalizeUsername } from '../sanitize.js';
import type { ChatConnection, FrameMeta } from './connection.js';
import { clean } from './link-errors.js';
import { maskPasswd, typedPasswd } from './passwd.js';
import { retryLine } from './reconnect.js';
import { TokenBucket } from '../ratelimit.js';
import { withTimeout } from '../timeout.js';

export type UiOptions = {
  input: NodeJS.ReadableStream & { isTTY?: boolean };
  output: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  theme: Theme;
  /** How often the online user list (for completion) is refreshed besides join/part/quit events. */
  usersRefreshMs?: number;
  /** When the terminal bell rings (default: on a mention or a DM). */
  bell?: BellMode;
};

const BEL = '\x07';
/**
 * The bell's budget: a burst of BELL_BURST rings, then one per BELL_EVERY_MS. Others decide when it
 * would ring (a mention, a DM, any line with --bell all), and chatd lets one user send 20 frames at
 * once and 5 a second after that: without a budget anyone could keep a terminal beeping.
 */
const BELL_BURST = 3;
const BELL_EVERY_MS = 2000;

const COMMAND_NAME = /^[a-z][a-z0-9_-]{0,31}$/;
/** How long the ready prompt waits for the command list after a login (a slow server must not hold it). */
const LISTS_WAIT_MS = 1000;

/** Completion of the word before the cursor: command names after the prefix or after `help`, else user names. */
export function complete(line: string, prefix: string, commands: readonly string[], users: readonly string[]): [string[], string] {
  if (line.startsWith(prefix) && !/\s/.test(line)) {
    const typed = line.toLowerCase();
    const hits = commands.map((c) => prefix + c).filter((c) => c.startsWith(typed));
    return [hits.length === 1 ? [`${hits[0]} `] : hits, line];
  }
  const help = line.startsWith(`${prefix}help`) ? /^\S+\s+(\S*)$/.exec(line) : null;
  if (help && line.slice(prefix.length).split(/\s/)[0]!.toLowerCase() === 'help') {
    const word = help[1]!;
    const own = word.startsWith(prefix) ? prefix : '';
    const typed = word.slice(own.length).toLowerCase();
    const hits = commands.filter((c) => c.startsWith(typed)).map((c) => own + c);
    return [hits.length === 1 ? [`${hits[0]} `] : hits, word];
  }
  const word = /(\S*)$/.exec(line)?.[1] ?? '';
  if (!word) return [[], line];
  const typed = word.toLowerCase();
  const hits = users.filter((u) => u.startsWith(typed));
  return [hits.length === 1 ? [`${hits[0]} `] : hits, word];
}

/**
 * "/me waves" when the prefix is "//": one slash before a command name is far more often a slip than
 * a message about that word. The prefixed line it most likely meant, or null. (Text mode has no
 * client to ask: there the server refuses such a line, ChatNode.commandBehind.)
 */
export function slashSlip(line: string, prefix: string, commands: readonly string[]): string | null {
  if (line.startsWith(prefix)) return null;
  const m = /^\/([a-z][a-z0-9_-]*)(?=\s|$)/i.exec(line);
  return m && commands.includes(m[1]!.toLowerCase()) ? prefix + line.slice(1) : null;
}

export class TerminalUI {
  private rl: readline.Interface | null = null;
  private commands: string[] = [];
  /** The command list asked for at the latest login, settled when it is in (or after LISTS_WAIT_MS). */
  private lists: Promise<void> = Promise.resolve();
  private users: string[] = [];
  private refreshTimer: NodeJS.Timeout | null = null;
  private usersSoon: NodeJS.Timeout | null = null;
  private finish: ((code: number) => void) | null = null;
  private fail: ((e: Error) => void) | null = null;
  /** Rows of the status line that the next print replaces (reconnect progress), 0 if none is shown. */
  private liveRows = 0;
  /** Between losing an established session and being ready again: the new login is not news. */
  private away = false;
  /** A hidden question being asked (//passwd): the next line answers it and is neither shown nor sent. */
  private asking: { resolve(answer: string | null): void; prompt: string } | null = null;
  /** Rings the bell may still make (see BELL_BURST). */
  private readonly bells = new TokenBucket(BELL_BURST, 1000 / BELL_EVERY_MS);

  constructor(private readonly conn: ChatConnection, private readonly o: UiOptions) {
    conn.on('frame', (f, meta) => this.onFrame(f, meta));
    conn.on('status', (s) => this.status(s));
    conn.on('down', (r) => { this.away = true; this.status(`connection lost (${r})`); this.updatePrompt(); });
    conn.on('retry', (info) => this.status(retryLine(info), true));
    // The prompt that says the session is ready waits for the command list (at most LISTS_WAIT_MS):
    // Tab and the one-slash check (slashSlip) work from the first key typed at it.
    conn.on('ready', () => { this.away = false; this.lists = this.refreshLists(); void this.lists.then(() => this.updatePrompt()); });
    conn.on('rooms', () => this.updatePrompt());
    conn.on('closed', () => this.end(0));
    conn.on('fatal', (e) => this.end(e));
  }

  /** Runs the input loop until the user leaves (0) or the connection fails for good (rejects). */
  run(): Promise<number> {
    const done = new Promise<number>((resolve, reject) => { this.finish = resolve; this.fail = reject; });
    if (this.conn.state === 'closed') return Promise.resolve(0);
    const rl = readline.createInterface({
      input: this.o.input,
      output: this.o.output,
      terminal: !!this.o.output.isTTY && !!this.o.input.isTTY,
      // Nothing is completed (nor listed) from a hidden answer.
      completer: (line: string) => (this.asking ? [[], line] : complete(line, this.conn.prefix, this.commands, this.users)),
      historySize: 500,
    });
    this.rl = rl;
    if (this.isTerminal) this.maskOutput(rl);
    rl.on('line', (line) => this.onLine(line));
    rl.on('SIGINT', () => (this.asking ? this.answer(null) : void this.leave()));
    rl.on('close', () => void this.leave());
    // The first login happened before run(): its prompt, too, waits for the command list.
    void this.lists.then(() => { if (this.rl !== rl) return; this.updatePrompt(); rl.prompt(); });
    const every = this.o.usersRefreshMs ?? 30_000;
    this.refreshTimer = setInterval(() => this.refreshUsers(), every);
    this.refreshTimer.unref();
    return done;
  }

  // ---- output --------------------------------------------------------------------------------

  /**
   * Prints above the input line: clear what is being typed, print, redraw prompt and input. A live
   * line (reconnect progress) is replaced by whatever is printed next, so that a stretch of attempts
   * takes one row of the terminal.
   */
  print(text: string, live = false): void {
    const out = this.o.output;
    const rl = this.rl;
    if (!rl || !this.isTerminal) {
      out.write(text + '\n');
      return;
    }
    this.clearInput(this.liveRows);
    out.write(text + '\n');
    const width = Math.max(1, this.o.output.columns ?? 80);
    this.liveRows = live ? Math.max(1, Math.ceil(text.replace(/\x1b\[[0-9;]*m/g, '').length / width)) : 0;
    rl.prompt(true);
  }

  /** Erases the prompt and what is typed after it (and `above` more rows), leaving the cursor at their start. */
  private clearInput(above = 0): void {
    const out = this.o.output;
    const rows = (this.rl?.getCursorPos().rows ?? 0) + above;
    if (rows > 0) readline.moveCursor(out, 0, -rows);
    readline.cursorTo(out, 0);
    readline.clearScreenDown(out);
  }

  private get isTerminal(): boolean { return !!this.o.output.isTTY && !!this.o.input.isTTY; }

  private status(text: string, live = false): void {
    this.print(paint(this.o.theme, 'dim', `-- ${text}`), live);
  }

  private updatePrompt(): void {
    const rl = this.rl;
    if (!rl || this.asking) return;
    const room = this.conn.current ? `#${clean(this.conn.current)}` : '(no room)';
    const offline = this.conn.state === 'ready' ? '' : '(offline) ';
    const next = `${offline}${room}> `;
    if (rl.getPrompt() === next) return;
    rl.setPrompt(next);
    if (this.isTerminal) {
      this.clearInput();
      rl.prompt(true);
    }
  }

  private onFrame(f: ServerFrame, meta: FrameMeta): void {
    if (f.type === 'event' && (f.event === 'join' || f.event === 'part' || f.event === 'quit')) this.refreshUsersSoon();
    if (meta.internal || meta.retrying) return;
    // The connection says why it ended (connection lost, or the one line chat-cli exits with), and
    // "reconnected as" says the new login: the frames saying it again would only repeat it.
    if (f.type === 'bye') return;
    if (this.away && (f.type === 'welcome' || f.type === 'login_ok')) return;
    if (f.type === 'event' && (f.event === 'kick' || f.event === 'ban') && f.user === this.conn.user?.name) return;
    const shown = renderFrame(f, this.o.theme);
    if (shown === null) return;
    const me = this.conn.user?.name ?? null;
    this.print(mentionsMe(f, me) ? paint(this.o.theme, 'bold', shown) : shown);
    if (rings(f, me, this.o.bell ?? 'mention')) this.ring();
  }

  /** The terminal bell, within its budget; a ring over it is dropped (the line itself is shown). */
  private ring(): void {
    if (this.bells.take()) this.o.output.write(BEL);
  }

  // ---- input ---------------------------------------------------------------------------------

  private onLine(line: string): void {
    const rl = this.rl!;
    if (this.asking) return this.answer(line);
    const passwd = typedPasswd(line, this.conn.prefix);
    if (passwd) this.forget(line);
    if (passwd?.length === 0 && this.isTerminal) return void this.passwd();
    const meant = this.isTerminal ? slashSlip(line, this.conn.prefix, this.commands) : null;
    if (meant !== null) {
      const name = meant.split(/\s/)[0]!;
      this.status(`did you mean ${name}? not sent: press Enter to run it, or to send "${line.split(/\s/)[0]}" as text start the line with a leading space`);
      rl.write(meant);
      return;
    }
    // The server's echo of the line is its record, with time, room and name: erase the typed copy
    // when it is certainly one terminal row (plain ASCII that fits), else leave it.
    const typed = rl.getPrompt() + line;
    if (this.isTerminal && /^[\x20-\x7e]*$/.test(typed) && typed.length < (this.o.output.columns ?? 80)) {
      readline.moveCursor(this.o.output, 0, -1);
      readline.clearLine(this.o.output, 0);
    }
    if (line.trim()) {
      if (this.conn.state !== 'ready') this.status('not connected: the line is sent once the connection is back');
      this.conn.say(line).catch((e: Error) => { if (!(e instanceof SetupError)) this.status(`not sent: ${e.message}`); });
    }
    rl.prompt();
  }

  // ---- //passwd --------------------------------------------------------------------------------

  /**
   * What readline writes goes through here: the arguments of a passwd line are shown as `*`, and the
   * answer to a hidden question not at all. (readline writes the prompt with the line on a redraw and
   * only the new characters when typing at the end; both are recognised from its current line.)
   */
  private maskOutput(rl: readline.Interface): void {
    const r = rl as unknown as { _writeToOutput(s: string): void; line: string };
    const write = r._writeToOutput.bind(rl);
    r._writeToOutput = (s: string) => {
      const line = r.line;
      const shown = this.asking ? '' : maskPasswd(line, this.conn.prefix);
      if (shown === line) return write(s);
      const prompt = rl.getPrompt();
      if (s === prompt + line) return write(prompt + shown);
      if (s.length <= line.length && line.endsWith(s)) return write(shown.slice(shown.length - s.length));
      write(s);
    };
  }

  /** Removes a line readline put in its input history (arrow up must not bring back a password). */
  private forget(line: string): void {
    const history = (this.rl as unknown as { history?: string[] } | null)?.history;
    const i = history?.indexOf(line) ?? -1;
    if (i >= 0) history!.splice(i, 1);
  }

  /** Asks on the input line without echo; null when cancelled (Ctrl-C) or the UI ends. */
  private ask(question: string): Promise<string | null> {
    const rl = this.rl;
    if (!rl) return Promise.resolve(null);
    return new Promise((resolve) => {
      this.asking = { resolve, prompt: this.asking?.prompt ?? rl.getPrompt() };
      rl.setPrompt(question);
      rl.prompt();
    });
  }

  private answer(line: string | null): void {
    const a = this.asking;
    if (!a) return;
    if (line) {
      this.forget(line);
    } else if (line === null && this.rl) {
      // Cancelled with Ctrl-C: what was typed so far must not stay in the input line, where it would
      // be shown (and sent) once the question is gone.
      this.rl.write(null, { ctrl: true, name: 'e' });
      this.rl.write(null, { ctrl: true, name: 'u' });
    }
    a.resolve(line);
  }

  /** `//passwd` alone: the old password once, the new one twice, hidden, then one passwd command. */
  private async passwd(): Promise<void> {
    let outcome = 'password not changed';
    try {
      const old = await this.ask('current password: ');
      if (!old) return;
      const next = await this.ask('new password: ');
      if (!next) return;
      const again = await this.ask('new password again: ');
      if (!again) return;
      if (again !== next) return void (outcome = 'the new passwords do not match; password not changed');
      // chatd splits a command line on whitespace: such a password cannot be sent as one argument.
      if (/\s/.test(old + next)) return void (outcome = 'a password with spaces cannot be given to passwd; password not changed');
      outcome = '';
      this.conn.enqueue({ type: 'command', line: `passwd ${old} ${next}` })
        .catch((e: Error) => { if (!(e instanceof SetupError)) this.status(`not sent: ${e.message}`); });
    } finally {
      const prompt = this.asking?.prompt;
      this.asking = null;
      const rl = this.rl;
      if (rl) {
        if (prompt !== undefined) rl.setPrompt(prompt);
        this.updatePrompt();
        if (outcome) this.status(outcome);
        else rl.prompt();
      }
    }
  }

  private async leave(): Promise<void> {
    if (!this.finish) return;
    await this.conn.close();
    this.end(0);
  }

  private end(result: number | Error): void {
    const finish = this.finish;
    const fail = this.fail;
    if (!finish || !fail) return;
    this.finish = this.fail = null;
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    if (this.usersSoon) clearTimeout(this.usersSoon);
    const rl = this.rl;
    // The prompt goes with the program: the last line on the screen is the last thing said.
    if (rl && this.isTerminal) this.clearInput();
    this.rl = null;
    this.asking?.resolve(null);
    rl?.close();
    if (typeof result === 'number') finish(result); else fail(result);
  }

  // ---- completion lists ----------------------------------------------------------------------

  /** Asks for the command and user lists; resolves once the commands are in, or after LISTS_WAIT_MS. */
  private refreshLists(): Promise<void> {
    const commands = this.conn.internal('help').then((a) => {
      if (a.type === 'result' && Array.isArray(a.data)) {
        this.commands = a.data.filter((c): c is string => typeof c === 'string' && COMMAND_NAME.test(c)).sort();
      }
    }, () => {});
    this.refreshUsers();
    return withTimeout(commands, LISTS_WAIT_MS).catch(() => {});
  }

  private refreshUsers(): void {
    if (this.conn.state !== 'ready') return;
    this.conn.internal('users').then((a) => {
      if (a.type !== 'result' || !Array.isArray(a.data)) return;
      const names = a.data
        .map((u: unknown) => (u && typeof u === 'object' ? (u as { name?: unknown }).name : undefined))
        .filter((n): n is string => typeof n === 'string' && normalizeUsername(n) === n);
      this.users = [...new Set(names)].sort();
    }, () => {});
  }

  private refreshUsersSoon(): void {
    if (this.usersSoon) return;
    this.usersSoon = setTimeout(() => { this.usersSoon = null; this.refreshUsers(); }, 500);
    this.usersSoon.unref();
  }
}
