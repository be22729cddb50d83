// Level-50 commands: moderators. The registry has checked the level; the rule that nobody acts on
// an equal or higher level is checked here through one helper, against the target's stored role.
import { ChatdError } from '../errors.js';
import { outranks } from '../auth/policy.js';
import { banMessage, formatDuration, formatExpiry, parseDuration } from '../duration.js';
import { checkText, sanitizeText } from '../sanitize.js';
import type { UserRecord } from '../store/index.js';
import { ago, isoOrDash, table } from '../table.js';
import { command, type Command, type CommandContext } from './registry.js';
import { userArg } from './chat.js';

/** The target of a moderation command: exists, and ranks below the actor. */
export async function target(ctx: CommandContext, i = 0): Promise<UserRecord> {
  const name = userArg(ctx, i);
  const u = await ctx.node.store.getUser(name);
  if (!u) throw new ChatdError('NO_SUCH_USER', `no user ${name}`);
  if (!outranks(ctx.user.level, u.level)) throw new ChatdError('FORBIDDEN', `${name} has level ${u.level}; you need a higher level than that`);
  return u;
}

/** An optional free-text reason, sanitized like any client text; empty is allowed. */
function reasonOf(text: string, max: number): string {
  const clean = sanitizeText(text);
  if (!clean) return '';
  return checkText(clean, Math.min(max, 300));
}

/** Rooms where a user currently has sessions, on any node. */
async function roomsOf(ctx: CommandContext, name: string): Promise<string[]> {
  const ss = (await ctx.node.onlineUsers()).get(name) ?? [];
  return [...new Set(ss.flatMap((s) => s.rooms))];
}

async function moderate(ctx: CommandContext, u: UserRecord, event: 'kick' | 'ban' | 'mute' | 'unmute' | 'unban', reason: string, detail: string): Promise<void> {
  const rooms = await roomsOf(ctx, u.username);
  const where = rooms.length ? rooms : ctx.session.current ? [ctx.session.current] : [];
  for (const room of where) ctx.node.publishEvent(event, { room, user: u.username, by: ctx.user.name, ...(reason ? { reason } : {}) });
  await ctx.node.store.audit({ actor: ctx.user.name, action: event, target: u.username, detail: detail || null });
}

const connections = command({
  name: 'connections', level: 50, usage: '', minArgs: 0, maxArgs: 0,
  description: 'every live session: address, node, TLS, certificate, traffic',
  examples: [''],
  async run({ node }) {
    const list = (await node.presence()).sort((a, b) => a.since - b.since);
    const rows = list.map((p) => [p.id, p.user, p.remote, p.node, ago(p.since), p.tls, p.fingerprint ? p.fingerprint.slice(0, 23) : '-', p.mode, p.bytesIn, p.bytesOut]);
    const status = node.bus.status();
    const text = `${list.length} connection${list.length === 1 ? '' : 's'}${status === 'ok' ? '' : ` (bus: ${status})`}\n`
      + table(['id', 'user', 'address', 'node', 'since', 'tls', 'cert', 'mode', 'in', 'out'], rows);
    return { text, data: list };
  },
});

const bannedUsers = command({
  name: 'banned-users', level: 50, usage: '', minArgs: 0, maxArgs: 0,
  description: 'active bans: target, reason, by, since, expires',
  examples: [''],
  async run({ node }) {
    const bans = await node.store.listActiveBans();
    const rows = bans.map((b) => [b.username ?? b.ip ?? b.certFingerprint, b.reason || '-', b.by, isoOrDash(b.createdAt), formatExpiry(b.expiresAt)]);
    return { text: bans.length ? table(['target', 'reason', 'by', 'since', 'expires'], rows) : 'no active bans', data: bans };
  },
});

const ban = command({
  name: 'ban', level: 50, usage: '<user> [30s|10m|2h|7d|perm] [reason…]', minArgs: 1,
  description: 'bar a user from logging in and disconnect them everywhere',
  examples: ['bob 10m flooding', 'mallory perm spam links'],
  async run(ctx) {
    const u = await target(ctx);
    let ms: number | null = null;
    let reasonFrom = 1;
    if (ctx.args[1] !== undefined) {
      const d = parseDuration(ctx.args[1]);
      if (d !== undefined) { ms = d; reasonFrom = 2; }
      else if (/^\d/.test(ctx.args[1])) throw new ChatdError('BAD_ARGS', `bad duration "${ctx.args[1].slice(0, 16)}"; usage: ${ctx.node.registry.usageLine(ban, ctx.prefix)}`);
    }
    const reason = reasonOf(ctx.rest(reasonFrom), ctx.node.config.limits.maxText);
    const expiresAt = ms === null ? null : Date.now() + ms;
    await ctx.node.store.addBan({ userId: u.id, username: u.username, ip: null, certFingerprint: null, reason, by: ctx.user.name, expiresAt });
    await moderate(ctx, u, 'ban', reason, `${formatDuration(ms)} ${reason}`.trim());
    ctx.node.kill(u.username, 'BANNED', banMessage({ by: ctx.user.name, reason, expiresAt }));
    return { text: `${u.username} banned (${formatDuration(ms)})${reason ? `: ${reason}` : ''}`, data: { user: u.username, expiresAt, reason } };
  },
});

const unban = command({
  name: 'unban', level: 50, usage: '<user>', minArgs: 1, maxArgs: 1,
  description: 'lift a user\'s bans',
  examples: ['bob'],
  async run(ctx) {
    const u = await target(ctx);
    const n = await ctx.node.store.liftBans(u.id, ctx.user.name);
    if (!n) throw new ChatdError('BAD_ARGS', `${u.username} is not banned`);
    await moderate(ctx, u, 'unban', '', '');
    return { text: `${u.username} unbanned`, data: { user: u.username } };
  },
});

const kick = command({
  name: 'kick', level: 50, usage: '<user> [reason…]', minArgs: 1,
  description: 'disconnect every session of a user',
  examples: ['bob calm down'],
  async run(ctx) {
    const u = await target(ctx);
    if (!(await ctx.node.onlineUsers()).has(u.username)) throw new ChatdError('NO_SUCH_USER', `${u.username} is not online`);
    const reason = reasonOf(ctx.rest(1), ctx.node.config.limits.maxText);
    await moderate(ctx, u, 'kick', reason, reason);
    ctx.node.kill(u.username, 'KICKED', `kicked by ${ctx.user.name}${reason ? `: ${reason}` : ''}`);
    return { text: `${u.username} kicked`, data: { user: u.username, reason } };
  },
});

const mute = command({
  name: 'mute', level: 50, usage: '<user> [duration]', minArgs: 1, maxArgs: 2,
  description: 'stop a user from sending messages (default 10m)',
  examples: ['bob', 'bob 2h'],
  async run(ctx) {
    const u = await target(ctx);
    const ms = ctx.args[1] !== undefined ? parseDuration(ctx.args[1]) : 10 * 60_000;
    if (ms === undefined) throw new ChatdError('BAD_ARGS', `usage: ${ctx.node.registry.usageLine(mute, ctx.prefix)}`);
    const until = ms === null ? null : Date.now() + ms;
    await ctx.node.mute({ id: u.id, username: u.username }, until, ctx.user.name);
    await moderate(ctx, u, 'mute', '', formatDuration(ms));
    return { text: `${u.username} muted (${formatDuration(ms)})`, data: { user: u.username, until } };
  },
});

const unmute = command({
  name: 'unmute', level: 50, usage: '<user>', minArgs: 1, maxArgs: 1,
  description: 'let a muted user speak again',
  examples: ['bob'],
  async run(ctx) {
    const u = await target(ctx);
    if (!ctx.node.isMuted(u.username)) throw new ChatdError('BAD_ARGS', `${u.username} is not muted`);
    await ctx.node.unmute({ id: u.id, username: u.username });
    await moderate(ctx, u, 'unmute', '', '');
    return { text: `${u.username} unmuted`, data: { user: u.username } };
  },
});

export const MODERATION_COMMANDS: Command[] = [connections, bannedUsers, ban, unban, kick, mute, unmute];
