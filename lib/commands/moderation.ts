// Level-50 commands: moderators. The registry has checked the level and that the target ranks
// below the actor (each record's `target`); what is left here is the rule that nobody replaces or
// lifts a ban or mute set by someone of higher level (issue 20, fault 6), and, just before each
// writes, those checks again against the levels stored now (mayOverrideNow, authorityNow: a demotion mid-command).
import { ChatdError } from '../errors.js';
import { ADMIN_ACTOR, OWNER_LEVEL } from '../auth/policy.js';
import { banMessage, kickMessage, formatDuration, formatExpiry, meantAsDuration, parseDuration, sinceText, untilText } from '../duration.js';
import { sanitizeReason, sanitizeText } from '../sanitize.js';
import type { AuditEntry, UserRecord } from '../store/index.js';
import { ago, table } from '../table.js';
import { answerBudget, moreLine, pageArg, pageOf, rowCost } from './budget.js';
import type { CommandHost } from './host.js';
import { authorityNow, command, type Command, type CommandContext } from './registry.js';

type Setter = { by: string; byLevel?: number | null };

/** The level of a setter known without a lookup (stored since migration 004, or chat-admin's, which acts as owner); null for older rows. */
function storedSetterLevel(s: Setter): number | null {
  return s.byLevel ?? (s.by === ADMIN_ACTOR ? OWNER_LEVEL : null);
}

/** The one refusal of the rule, wherever it is checked. */
function refuseAbove(what: 'ban' | 'mute', s: Setter, level: number, mine: number): void {
  if (level > mine) throw new ChatdError('FORBIDDEN', `this ${what} was set by ${s.by} (level ${level}); only that level or above may change or lift it`);
}

/**
 * The same rule inside the transaction that replaces or lifts the bans (BanGuard): a higher ban written
 * since mayOverrideNow read them stays. Rows without a stored level were there when it read them.
 */
function banGuard(mine: number, what: 'ban' | 'mute' = 'ban'): (active: Setter[]) => void {
  return (active) => {
    for (const b of active) {
      const level = storedSetterLevel(b);
      if (level !== null) refuseAbove(what, b, level, mine);
    }
  };
}

/** banGuard for the one mute a user may have. */
function muteGuard(mine: number): (active: Setter | null) => void {
  const check = banGuard(mine, 'mute');
  return (active) => check(active ? [active] : []);
}

/**
 * The caller's level now (authorityNow), after refusing with FORBIDDEN when a ban or mute on the
 * target was set by someone above it; older rows without a stored level are resolved by name.
 */
async function mayOverrideNow(ctx: CommandContext, c: Command, what: 'ban' | 'mute', setters: Setter[]): Promise<number> {
  const mine = await authorityNow(ctx, c);
  for (const s of setters) refuseAbove(what, s, storedSetterLevel(s) ?? (await ctx.host.db.getUser(s.by))?.level ?? 0, mine);
  return mine;
}

const TARGET = { arg: 0, outrank: true };

/** The mute on a user, as the list mayOverrideNow checks (empty when none). */
async function mutesOn(ctx: CommandContext, userId: number): Promise<Setter[]> {
  const m = await ctx.host.db.activeMuteOf(userId);
  return m ? [m] : [];
}


/** Rooms where a user currently has sessions, on any node. */
async function roomsOf(ctx: CommandContext, name: string): Promise<string[]> {
  const ss = (await ctx.host.onlineUsers()).get(name) ?? [];
  return [...new Set(ss.flatMap((s) => s.rooms))];
}

/**
 * A kick or ban reason is the moderator's words in every room the target is in (the event) and to the
 * target (the bye): a muted moderator may act, but without one, as //topic and //announce keep them
 * silent. Said when refused, so an IRC client that sends a default KICK reason learns what to do.
 */
function assertMayGiveReason(ctx: CommandContext, reason: string, what: 'kick' | 'ban'): void {
  if (!reason) return;
  try {
    ctx.host.assertNotMuted(ctx.user);
  } catch (e) {
    if (e instanceof ChatdError) throw new ChatdError(e.code, `${e.message}: a reason is shown to the rooms; ${ctx.prefix}${what} without one`);
    throw e;
  }
}

type ModerationEvent = 'kick' | 'ban' | 'mute' | 'unmute' | 'unban';

/** The audit entry of a moderation action; the store writes it in the transaction of the action's change. */
function auditOf(ctx: CommandContext, u: UserRecord, event: ModerationEvent, detail: string): AuditEntry {
  return { actor: ctx.user.name, action: event, target: u.username, detail: detail || null };
}

/** Tells the rooms the target is in of a moderation action; called once the action is stored with its audit row. */
async function announceModeration(ctx: CommandContext, u: UserRecord, event: ModerationEvent, reason: string): Promise<void> {
  const rooms = await roomsOf(ctx, u.username);
  const where = rooms.length ? rooms : ctx.session.current ? [ctx.session.current] : [];
  for (const room of where) ctx.host.publishEvent(event, { room, user: u.username, by: ctx.user.name, ...(reason ? { reason } : {}) });
}

const connections = command({
  name: 'connections', level: 50, usage: '[page]', minArgs: 0, maxArgs: 1,
  description: 'every live session: address, node, TLS, certificate, traffic',
  examples: ['', '2'],
  async run({ host, args, prefix }) {
    const page = pageArg(args[0]);
    const all = (await host.presence()).sort((a, b) => a.since - b.since);
    const { rows: list, after } = pageOf(all, page, answerBudget(host.config.limits) - 512, rowCost);
    const rows = list.map((p) => [p.id, p.user, p.remote, p.node, ago(p.since), p.tls, p.fingerprint ? p.fingerprint.slice(0, 23) : '-', p.mode, p.bytesIn, p.bytesOut]);
    const status = host.busStatus();
    const text = `${all.length} connection${all.length === 1 ? '' : 's'}${status === 'ok' ? '' : ` (bus: ${status})`}\n`
      + table(['id', 'user', 'address', 'node', 'since', 'tls', 'cert', 'mode', 'in', 'out'], rows) + moreLine(after, `${prefix}connections ${page + 1}`);
    return { text, data: list };
  },
});

// A ban's text row is padded to the widest reason (up to 300 characters) of its page.
const banCost = (b: unknown) => Buffer.byteLength(JSON.stringify(b)) + 400;

const bannedUsers = command({
  name: 'banned-users', level: 50, usage: '[page]', minArgs: 0, maxArgs: 1,
  description: 'active bans: target, reason, by, since, expires',
  examples: ['', '2'],
  async run({ host, args, prefix }) {
    const page = pageArg(args[0]);
    const all = await host.db.listActiveBans();
    const { rows: bans, after } = pageOf(all, page, answerBudget(host.config.limits) - 512, banCost);
    // A reason stored before chat-admin cleaned them may hold line breaks or escapes: cleaned for the table.
    const rows = bans.map((b) => [b.username ?? b.ip ?? b.certFingerprint, sanitizeText(b.reason) || '-', b.by, sinceText(b.createdAt), formatExpiry(b.expiresAt)]);
    const text = bans.length ? table(['target', 'reason', 'by', 'since', 'expires'], rows) + moreLine(after, `${prefix}banned-users ${page + 1}`) : 'no active bans';
    return { text, data: bans };
  },
});

const ban = command({
  name: 'ban', level: 50, usage: '<user> [30s|10m|2h|7d|perm] [reason…]', minArgs: 1,
  description: 'bar a user from logging in and disconnect them everywhere',
  examples: ['bob 10m flooding', 'mallory perm spam links'],
  target: TARGET,
  async run(ctx) {
    const u = ctx.target!;
    let ms: number | null = null;
    let reasonFrom = 1;
    if (ctx.args[1] !== undefined) {
      const d = parseDuration(ctx.args[1]);
      if (d !== undefined) { ms = d; reasonFrom = 2; }
      else if (meantAsDuration(ctx.args[1])) throw new ChatdError('BAD_ARGS', `bad duration "${ctx.args[1].slice(0, 16)}" (30s to 3650d, or perm); usage: ${ctx.host.registry.usageLine(ban, ctx.prefix)}`);
    }
    const reason = sanitizeReason(ctx.rest(reasonFrom), ctx.host.config.limits.maxText);
    assertMayGiveReason(ctx, reason, 'ban');
    const expiresAt = ms === null ? null : Date.now() + ms;
    const level = await mayOverrideNow(ctx, ban, 'ban', await ctx.host.db.activeBansOf(u.id));
    await ctx.host.db.addBan({ userId: u.id, username: u.username, ip: null, certFingerprint: null, reason, by: ctx.user.name, byLevel: level, expiresAt },
      auditOf(ctx, u, 'ban', `${formatDuration(ms)} ${reason}`.trim()), banGuard(level));
    await announceModeration(ctx, u, 'ban', reason);
    ctx.host.kill(u.username, 'BANNED', banMessage({ by: ctx.user.name, reason, expiresAt }));
    return { text: `${u.username} banned ${untilText(expiresAt)}${reason ? `: ${reason}` : ''}`, data: { user: u.username, expiresAt, reason } };
  },
});

const unban = command({
  name: 'unban', level: 50, usage: '<user>', minArgs: 1, maxArgs: 1,
  description: 'lift a user\'s bans',
  examples: ['bob'],
  target: TARGET,
  async run(ctx) {
    const u = ctx.target!;
    const level = await mayOverrideNow(ctx, unban, 'ban', await ctx.host.db.activeBansOf(u.id));
    const n = await ctx.host.db.liftBans(u.id, ctx.user.name, auditOf(ctx, u, 'unban', ''), Date.now(), banGuard(level));
    if (!n) throw new ChatdError('BAD_ARGS', `${u.username} is not banned`);
    await announceModeration(ctx, u, 'unban', '');
    return { text: `${u.username} unbanned`, data: { user: u.username } };
  },
});

const kick = command({
  name: 'kick', level: 50, usage: '<user> [reason…]', minArgs: 1,
  description: 'disconnect every session of a user',
  examples: ['bob calm down'],
  target: TARGET,
  async run(ctx) {
    const u = ctx.target!;
    // With the bus down this node sees only its own sessions: the target may be on another node, which
    // applies the kick from audit_log at its next database poll (lib/pollers.ts), so it is not refused.
    const blind = ctx.host.busStatus() !== 'ok';
    if (!blind && !(await ctx.host.isOnline(u.username))) throw new ChatdError('NO_SUCH_USER', `${u.username} is not online`);
    const reason = sanitizeReason(ctx.rest(1), ctx.host.config.limits.maxText);
    assertMayGiveReason(ctx, reason, 'kick');
    await authorityNow(ctx, kick);
    // A kick changes nothing stored: its audit row alone, written before anyone is disconnected.
    await ctx.host.db.audit(auditOf(ctx, u, 'kick', reason));
    await announceModeration(ctx, u, 'kick', reason);
    ctx.host.kill(u.username, 'KICKED', kickMessage(ctx.user.name, reason));
    const later = blind ? ' (bus down: other nodes close their sessions at their next database poll)' : '';
    return { text: `${u.username} kicked${later}`, data: { user: u.username, reason } };
  },
});

const mute = command({
  name: 'mute', level: 50, usage: '<user> [duration]', minArgs: 1, maxArgs: 2,
  description: 'stop a user from sending messages (default 10m)',
  examples: ['bob', 'bob 2h'],
  target: TARGET,
  async run(ctx) {
    const u = ctx.target!;
    const ms = ctx.args[1] !== undefined ? parseDuration(ctx.args[1]) : 10 * 60_000;
    if (ms === undefined) throw new ChatdError('BAD_ARGS', `usage: ${ctx.host.registry.usageLine(mute, ctx.prefix)}`);
    const until = ms === null ? null : Date.now() + ms;
    const level = await mayOverrideNow(ctx, mute, 'mute', await mutesOn(ctx, u.id));
    await ctx.host.mute({ id: u.id, username: u.username }, until, { name: ctx.user.name, level }, auditOf(ctx, u, 'mute', formatDuration(ms)), muteGuard(level));
    await announceModeration(ctx, u, 'mute', '');
    return { text: `${u.username} muted ${untilText(until)}`, data: { user: u.username, until } };
  },
});

const unmute = command({
  name: 'unmute', level: 50, usage: '<user>', minArgs: 1, maxArgs: 1,
  description: 'let a muted user speak again',
  examples: ['bob'],
  target: TARGET,
  async run(ctx) {
    const u = ctx.target!;
    if (!ctx.host.isMuted(u.username)) throw new ChatdError('BAD_ARGS', `${u.username} is not muted`);
    const level = await mayOverrideNow(ctx, unmute, 'mute', await mutesOn(ctx, u.id));
    await ctx.host.unmute({ id: u.id, username: u.username }, auditOf(ctx, u, 'unmute', ''), muteGuard(level));
    await announceModeration(ctx, u, 'unmute', '');
    return { text: `${u.username} unmuted`, data: { user: u.username } };
  },
});

export const MODERATION_COMMANDS: Command[] = [connections, bannedUsers, ban, unban, kick, mute, unmute];
