// Commands are records (ssh-chat), checked by the registry before they run (ergo's Command.Run):
// the caller's level, the argument count and the target user (exists, ranks below the caller) are
// enforced here, so no handler checks permission itself. And whatever a handler does, the registry
// answers exactly once, with the id (ergo's `defer rb.Send()`).
import { ChatdError, type ErrorCode } from '../errors.js';
import { outranks } from '../auth/policy.js';
import type { FrameId, ServerFrame } from '../protocol/frames.js';
import { normalizeUsername } from '../sanitize.js';
import type { Session, SessionUser } from '../session.js';
import type { UserRecord } from '../store/index.js';
import { StoreUnavailable } from '../store/guard.js';
import type { CommandHost } from './host.js';
import { nearest } from './suggest.js';

export type CommandContext = {
  host: CommandHost;
  session: Session;
  user: SessionUser;
  /** Arguments split on whitespace. */
  args: string[];
  /** The raw text after the first `n` arguments (for reasons, messages, topics). */
  rest(n: number): string;
  prefix: string;
  id?: FrameId;
  /** The user the record's `target` names: resolved, and outranked when the record says so. */
  target?: UserRecord;
};

/** What the caller of dispatch provides; the registry adds the arguments and the target. */
export type DispatchBase = Omit<CommandContext, 'args' | 'rest' | 'target'>;

/** What a handler answers; `frames` are its side effects for the caller (a history), sent with the result. */
export type Reply = { text: string; data?: unknown; close?: boolean; frames?: ServerFrame[]; /** Frames after the result (search's matches, DESIGN). */ after?: ServerFrame[] };

export type Command = {
  name: string;
  level: number;
  /** Arguments after the name, e.g. "<user> [30s|10m|2h|7d|perm] [reason…]". */
  usage: string;
  description: string;
  /** Argument strings, shown with the prefix and name in front. */
  examples: string[];
  minArgs: number;
  maxArgs?: number;
  /** The level needed when any argument is given (topic: view for all, set for moderators). */
  levelWithArgs?: number;
  /** The argument naming a user the command acts on; `outrank`: the caller must rank above them. */
  target?: { arg: number; outrank: boolean };
  run(ctx: CommandContext): Promise<Reply> | Reply;
};

/** Everything the session sends for one command line: its side-effect frames, then one result or error. */
/** What a command line got: its frames (the result or error last), and the command it named, if any. */
export type Answer = { frames: ServerFrame[]; close: boolean; command?: string };

/** Registers a command record; the decorator-style `@command(...)` of the original, as a function. */
export function command(c: Command): Command {
  return c;
}

/** The one normalisation of command names: typed, in config and in `help <name>` alike. */
export function commandKey(name: string): string {
  return name.toLowerCase();
}

export class Registry {
  private readonly byName = new Map<string, Command>();
  private readonly levelOverrides = new Map<string, number>();

  constructor(commands: Command[], levelOverrides: Record<string, number> = {}) {
    for (const c of commands) {
      const key = commandKey(c.name);
      if (this.byName.has(key)) throw new Error(`command ${key} registered twice`);
      this.byName.set(key, c);
    }
    this.setLevels(levelOverrides);
  }

  /** The config's level overrides, at start and after a reload; names are matched like typed ones. */
  setLevels(levelOverrides: Record<string, number>): void {
    for (const name of Object.keys(levelOverrides)) {
      if (!this.byName.has(commandKey(name))) throw new Error(`config commandLevels names unknown command "${name}"`);
    }
    this.levelOverrides.clear();
    for (const [name, level] of Object.entries(levelOverrides)) this.levelOverrides.set(commandKey(name), level);
  }

  get(name: string): Command | undefined { return this.byName.get(commandKey(name)); }

  all(): Command[] { return [...this.byName.values()]; }

  /** The level a command needs, after config overrides. */
  levelOf(c: Command, withArgs = false): number {
    const base = this.levelOverrides.get(commandKey(c.name)) ?? c.level;
    return withArgs && c.levelWithArgs !== undefined ? Math.max(base, c.levelWithArgs) : base;
  }

  /**
   * FORBIDDEN unless `level` reaches what the command `name` needs: for a frame or an IRC command that
   * does a command's work without running it (the join frame, CTCP ACTION, WHOIS, LIST), so the level
   * an operator set for the command holds there too.
   */
  assertLevel(name: string, level: number, prefix: string, withArgs = false): void {
    const need = this.levelOf(this.get(name)!, withArgs);
    if (need > level) throw new ChatdError('FORBIDDEN', `${prefix}${name} needs level ${need}`);
  }

  permitted(level: number): Command[] {
    return this.all().filter((c) => this.levelOf(c) <= level).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The one answer to a name that is no command the caller may run: typed, or asked `help` about. */
  unknown(typed: string, level: number, prefix: string): ChatdError {
    const name = commandKey(typed).slice(0, 32);
    const near = nearest(name, this.permitted(level).map((c) => c.name));
    return new ChatdError('UNKNOWN_COMMAND', `unknown command "${name}"; ${near ? `did you mean ${prefix}${near}?` : `try ${prefix}help`}`);
  }

  usageLine(c: Command, prefix: string): string {
    return `${prefix}${c.name}${c.usage ? ' ' + c.usage : ''}`;
  }

  /**
   * Parses a line without prefix, checks level, arity and target, runs the command, and turns
   * whatever happened into the frames to send. Never rejects: a database failure is
   * SERVICE_UNAVAILABLE, anything unexpected INTERNAL (logged here with its stack, once).
   */
  async dispatch(line: string, base: DispatchBase): Promise<Answer> {
    let c: Command | undefined;
    const idPart = base.id !== undefined ? { id: base.id } : {};
    const fail = (code: ErrorCode, message?: string): Answer => {
      const e = new ChatdError(code, message);
      return { frames: [{ type: 'error', code: e.code, message: e.message, ...idPart }], close: false, ...(c ? { command: c.name } : {}) };
    };
    try {
      const parsed = this.parse(line, base);
      c = parsed.command;
      const reply = await this.run(parsed.command, parsed.args, parsed.argText, base);
      const result: ServerFrame = { type: 'result', command: c.name, text: reply.text, ...(reply.data !== undefined ? { data: reply.data } : {}), ...idPart };
      // The client pairs a history with the result that follows it (lib/client/connection.ts).
      return { frames: [...(reply.frames ?? []), result, ...(reply.after ?? [])], close: reply.close === true, command: c.name };
    } catch (e) {
      if (e instanceof StoreUnavailable) {
        base.host.log.warn('database call failed', { command: c?.name, method: e.method, err: String((e.failure as Error)?.message ?? e.failure) });
        return fail(e.code, e.message);
      }
      if (e instanceof ChatdError) return fail(e.code, e.message);
      base.host.log.error('command failed', { command: c?.name, session: base.session.id, err: String((e as Error)?.stack ?? e) });
      return fail('INTERNAL');
    }
  }

  private parse(line: string, base: DispatchBase): { command: Command; args: string[]; argText: string } {
    const m = /^(\S+)\s*([\s\S]*)$/.exec(line.replace(/^\s+/, ''));
    if (!m) throw new ChatdError('UNKNOWN_COMMAND', `empty command; try ${base.prefix}help`);
    const c = this.get(m[1]);
    if (!c) throw this.unknown(m[1], base.user.level, base.prefix);
    const argText = m[2].trim();
    const args = argText ? argText.split(/\s+/) : [];
    if (this.levelOf(c, args.length > 0) > base.user.level) {
      throw new ChatdError('FORBIDDEN', `${base.prefix}${c.name}${args.length && c.levelWithArgs ? ' with arguments' : ''} needs level ${this.levelOf(c, args.length > 0)}`);
    }
    if (args.length < c.minArgs || (c.maxArgs !== undefined && args.length > c.maxArgs)) {
      throw new ChatdError('BAD_ARGS', `usage: ${this.usageLine(c, base.prefix)}`);
    }
    return { command: c, args, argText };
  }

  private async run(c: Command, args: string[], argText: string, base: DispatchBase): Promise<Reply> {
    try {
      const target = c.target ? await this.resolveTarget(c.target, args, base) : undefined;
      return await c.run({ ...base, args, rest: (n: number) => restAfter(argText, n), ...(target ? { target } : {}) });
    } catch (e) {
      // Every BAD_ARGS shows the usage (DESIGN), also when a handler found the arguments wrong.
      if (e instanceof ChatdError && e.code === 'BAD_ARGS' && !e.message.includes('usage: ')) {
        throw new ChatdError('BAD_ARGS', `${e.message}; usage: ${this.usageLine(c, base.prefix)}`);
      }
      throw e;
    }
  }

  private async resolveTarget(t: { arg: number; outrank: boolean }, args: string[], base: DispatchBase): Promise<UserRecord> {
    const raw = args[t.arg];
    if (raw === undefined) throw new ChatdError('BAD_ARGS', 'a user name is missing');
    const name = usernameArg(raw);
    const u = await base.host.db.getUser(name);
    if (!u) throw new ChatdError('NO_SUCH_USER', `no such user: ${name}`);
    if (t.outrank && !outranks(base.user.level, u.level)) throw new ChatdError('FORBIDDEN', `${name} has level ${u.level}; you need a higher level than that`);
    return u;
  }
}

/**
 * The caller's level as stored now, checked again just before a command that acts on a user writes:
 * the checks of dispatch used the level the session had when the line arrived, and a demotion (a
 * //role heard on the bus, or chat-admin's, which nodes poll up to limits.databasePollMs later) or the
 * target's promotion can land while the command awaits the database. A moderator demoted meanwhile
 * banned with the old level, stored as the ban's setter level. The lower of the stored and the
 * session's level counts (a demotion is heard of by either first); the result is the level to act with.
 */
export async function authorityNow(ctx: CommandContext, c: Command): Promise<number> {
  const [me, them] = await Promise.all([ctx.host.db.getUser(ctx.user.name), ctx.target ? ctx.host.db.getUser(ctx.target.username) : null]);
  const level = Math.min(me && !me.disabled ? me.level : 0, ctx.session.user?.level ?? 0, ctx.user.level);
  const need = ctx.host.registry.levelOf(c, ctx.args.length > 0);
  if (level < need) throw new ChatdError('FORBIDDEN', `${ctx.prefix}${c.name} needs level ${need}; yours is ${level} now`);
  if (ctx.target) {
    if (!them) throw new ChatdError('NO_SUCH_USER', `no such user: ${ctx.target.username}`);
    if (c.target?.outrank && !outranks(level, them.level)) throw new ChatdError('FORBIDDEN', `${them.username} has level ${them.level}; you need a higher level than that`);
  }
  return level;
}

/** A username argument, validated; a malformed one is BAD_ARGS, not a lookup. */
export function usernameArg(raw: string): string {
  const name = normalizeUsername(raw);
  if (!name) throw new ChatdError('BAD_ARGS', `"${raw.slice(0, 40)}" is not a valid username`);
  return name;
}

/** The text after the first n whitespace-separated words, inner spacing kept. */
export function restAfter(text: string, n: number): string {
  let s = text;
  for (let i = 0; i < n; i++) s = s.replace(/^\S+\s*/, '');
  return s;
}
