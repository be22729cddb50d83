// Commands are records (ssh-chat), checked by the registry before they run (ergo's Command.Run):
// the caller's level and the argument count are enforced here, so no handler checks permission itself.
import { ChatdError } from '../errors.js';
import type { FrameId } from '../protocol/frames.js';
import type { Session, SessionUser } from '../session.js';
import type { ChatNode } from '../node.js';

export type CommandContext = {
  node: ChatNode;
  session: Session;
  user: SessionUser;
  /** Arguments split on whitespace. */
  args: string[];
  /** The raw text after the first `n` arguments (for reasons, messages, topics). */
  rest(n: number): string;
  prefix: string;
  id?: FrameId;
};

export type Reply = { text: string; data?: unknown; close?: boolean };

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
  run(ctx: CommandContext): Promise<Reply> | Reply;
};

/** Registers a command record; the decorator-style `@command(...)` of the original, as a function. */
export function command(c: Command): Command {
  return c;
}

export class Registry {
  private readonly byName = new Map<string, Command>();

  constructor(commands: Command[], private readonly levelOverrides: Record<string, number> = {}) {
    for (const c of commands) {
      const key = c.name.toLowerCase();
      if (this.byName.has(key)) throw new Error(`command ${key} registered twice`);
      this.byName.set(key, c);
    }
    for (const name of Object.keys(levelOverrides)) {
      if (!this.byName.has(name.toLowerCase())) throw new Error(`config commandLevels names unknown command "${name}"`);
    }
  }

  get(name: string): Command | undefined { return this.byName.get(name.toLowerCase()); }

  all(): Command[] { return [...this.byName.values()]; }

  /** The level a command needs, after config overrides. */
  levelOf(c: Command, withArgs = false): number {
    const base = this.levelOverrides[c.name] ?? c.level;
    return withArgs && c.levelWithArgs !== undefined ? Math.max(base, c.levelWithArgs) : base;
  }

  permitted(level: number): Command[] {
    return this.all().filter((c) => this.levelOf(c) <= level).sort((a, b) => a.name.localeCompare(b.name));
  }

  usageLine(c: Command, prefix: string): string {
    return `${prefix}${c.name}${c.usage ? ' ' + c.usage : ''}`;
  }

  /** Parses a line without prefix, checks level and arity, runs the command. Throws ChatdError. */
  async dispatch(line: string, base: Omit<CommandContext, 'args' | 'rest'>): Promise<{ command: Command; reply: Reply }> {
    const trimmed = line.replace(/^\s+/, '');
    const m = /^(\S+)\s*([\s\S]*)$/.exec(trimmed);
    if (!m) throw new ChatdError('UNKNOWN_COMMAND', `empty command; try ${base.prefix}help`);
    const name = m[1].toLowerCase();
    const c = this.get(name);
    if (!c) throw new ChatdError('UNKNOWN_COMMAND', `unknown command "${name.slice(0, 32)}"; try ${base.prefix}help`);
    const argText = m[2].trim();
    const args = argText ? argText.split(/\s+/) : [];
    if (this.levelOf(c, args.length > 0) > base.user.level) {
      throw new ChatdError('FORBIDDEN', `${base.prefix}${c.name}${args.length && c.levelWithArgs ? ' with arguments' : ''} needs level ${this.levelOf(c, args.length > 0)}`);
    }
    if (args.length < c.minArgs || (c.maxArgs !== undefined && args.length > c.maxArgs)) {
      throw new ChatdError('BAD_ARGS', `usage: ${this.usageLine(c, base.prefix)}`);
    }
    const rest = (n: number) => restAfter(argText, n);
    try {
      return { command: c, reply: await c.run({ ...base, args, rest }) };
    } catch (e) {
      // Every BAD_ARGS shows the usage (DESIGN), also when a handler found the arguments wrong.
      if (e instanceof ChatdError && e.code === 'BAD_ARGS' && !e.message.includes('usage: ')) {
        throw new ChatdError('BAD_ARGS', `${e.message}; usage: ${this.usageLine(c, base.prefix)}`);
      }
      throw e;
    }
  }
}

/** The text after the first n whitespace-separated words, inner spacing kept. */
export function restAfter(text: string, n: number): string {
  let s = text;
  for (let i = 0; i < n; i++) s = s.replace(/^\S+\s*/, '');
  return s;
}
