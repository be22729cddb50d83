// Level-1 commands: everyone may run them.
import { ChatdError } from '../errors.js';
import { oneLine } from '../render.js';
import { checkText, normalizeRoom, normalizeUsername } from '../sanitize.js';
import { humanDuration, sinceText, untilText } from '../duration.js';
import { ago, table } from '../table.js';
import { answerBudget, fitting, moreLine, pageArg, pageOf, rowCost } from './budget.js';
import { command, usernameArg, type Command, type CommandContext, type Reply } from './registry.js';
import type { ServerFrame } from '../protocol/frames.js';
import { PURGED_HASH } from '../store/records.js';

function roomArg(raw: string): string {
  const room = normalizeRoom(raw);
  if (!room) throw new ChatdError('BAD_ARGS', `"${raw.slice(0, 40)}" is not a valid room name (a-z 0-9 _ -, up to 32)`);
  return room;
}

const help = command({
  name: 'help', level: 1, usage: '[command]', minArgs: 0, maxArgs: 1,
  description: 'list the commands you may use, or show one in detail',
  examples: ['', 'join'],
  run({ host, user, args, prefix }) {
    const reg = host.registry;
    if (args.length) {
      const c = reg.get(args[0].replace(prefix, ''));
      if (!c) throw reg.unknown(args[0].replace(prefix, ''), user.level, prefix);
      if (reg.levelOf(c) > user.level) throw new ChatdError('FORBIDDEN', `${prefix}${c.name} needs level ${reg.levelOf(c)}; you have level ${user.level}`);
      const lines = [`usage: ${reg.usageLine(c, prefix)}`, c.description];
      if (c.levelWithArgs !== undefined && reg.levelOf(c, true) > user.level) lines.push('(you may use it without arguments only)');
      lines.push('examples:', ...c.examples.map((e) => `  ${prefix}${c.name}${e ? ' ' + e : ''}`));
      return { text: lines.join('\n') };
    }
    const cmds = reg.permitted(user.level);
    const width = Math.max(...cmds.map((c) => prefix.length + c.name.length));
    const lines = cmds.map((c) => `${(prefix + c.name).padEnd(width)}  ${c.description}`);
    return { text: [`commands (${prefix}help <command> for details):`, ...lines].join('\n'), data: cmds.map((c) => c.name) };
  },
});

// Rooms shown per user in //users; the rest are counted, so one user in many rooms cannot make
// every row (the table pads to the widest cell) and with it every answer large.
const USERS_ROOMS_SHOWN = 5;

const users = command({
  name: 'users', level: 1, usage: '[page]', minArgs: 0, maxArgs: 1,
  description: 'who is online: role, rooms, idle time',
  examples: ['', '2'],
  async run({ host, args, prefix }) {
    const page = pageArg(args[0]);
    const online = await host.onlineUsers();
    const all = [...online.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, ss]) => {
      const rooms = [...new Set(ss.flatMap((s) => s.rooms))].sort();
      const active = Math.max(...ss.map((s) => s.lastActive));
      const mutedUntil = host.mutedUntil(name);
      const away = host.awayOf(name);
      return {
        name, role: ss[0].role, rooms: rooms.slice(0, USERS_ROOMS_SHOWN), roomCount: rooms.length, idle: ago(active), sessions: ss.length,
        ...(mutedUntil !== undefined ? { mutedUntil } : {}), ...(away ? { away: away.message } : {}),
      };
    });
    const mutedCell = (until: number | null | undefined) => (until === undefined ? null : until === null ? 'perm' : humanDuration(until - Date.now()));
    const { rows, after } = pageOf(all, page, answerBudget(host.config.limits) - 512, rowCost);
    const roomsCell = (r: typeof all[number]) => r.rooms.map((x) => '#' + x).join(' ') + (r.roomCount > r.rooms.length ? ` +${r.roomCount - r.rooms.length} more` : '');
    const text = `${all.length} online\n` + table(['user', 'role', 'rooms', 'idle', 'sessions', 'muted'],
      rows.map((r) => [r.away !== undefined ? `${r.name} (away: ${r.away})` : r.name, r.role, roomsCell(r), r.idle, r.sessions, mutedCell(r.mutedUntil)])) + moreLine(after, `${prefix}users ${page + 1}`);
    return { text, data: rows };
  },
});

const whoami = command({
  name: 'whoami', level: 1, usage: '', minArgs: 0, maxArgs: 0,
  description: 'your name, role, level and session',
  examples: [''],
  run({ session, user }) {
    const data = { name: user.name, role: user.role, level: user.level, session: session.id, rooms: [...session.rooms], cert: session.fingerprint };
    return { text: `${user.name} (${user.role}, level ${user.level}) session ${session.id} in ${[...session.rooms].map((r) => '#' + r).join(' ') || 'no room'}`, data };
  },
});

const whois = command({
  name: 'whois', level: 1, usage: '<user>', minArgs: 1, maxArgs: 1,
  description: 'what is known about a user',
  examples: ['alice'],
  target: { arg: 0, outrank: false },
  async run(ctx) {
    const u = ctx.target!;
    const ss = (await ctx.host.onlineUsers()).get(u.username) ?? [];
    const rooms = [...new Set(ss.flatMap((s) => s.rooms))].sort();
    const state = ss.length ? `online (${ss.length} session${ss.length > 1 ? 's' : ''}) in ${rooms.map((r) => '#' + r).join(' ')}` : 'offline';
    const mutedUntil = ctx.host.mutedUntil(u.username);
    const muted = mutedUntil === undefined ? '' : `, muted ${untilText(mutedUntil)}`;
    const away = ss.length ? ctx.host.awayOf(u.username) : undefined;
    const awayText = away ? `, away: ${away.message}` : '';
    const data = {
      name: u.username, role: u.role, level: u.level, online: ss.length > 0, rooms, lastLogin: u.lastLogin,
      ...(mutedUntil !== undefined ? { mutedUntil } : {}), ...(away ? { away: away.message } : {}),
    };
    return { text: `${u.username}: ${u.role} (level ${u.level}), ${state}${awayText}${muted}, last login ${u.lastLogin === null ? 'never' : sinceText(u.lastLogin)}`, data };
  },
});

const msg = command({
  name: 'msg', level: 1, usage: '<user> <text>', minArgs: 2,
  description: 'send a private message',
  examples: ['bob are you there?'],
  async run(ctx) {
    const to = usernameArg(ctx.args[0]);
    // Presence first: a message to someone online needs no database (it may be down).
    if (!(await ctx.host.isOnline(to))) {
      // An erased account (chat-admin purge: deleted-<id>) keeps its row, and nobody can ever log in to read what waits for it.
      const u = await ctx.host.db.getUser(to);
      if (!u || u.passwordHash === PURGED_HASH) throw new ChatdError('NO_SUCH_USER', `no such user: ${to}`);
      const dm = await ctx.host.dmOffline(ctx.session, to, ctx.rest(1));
      return { text: `${to} is offline; they get it when they next log in`, data: { id: dm.id, offline: true } };
    }
    const dm = ctx.host.dm(ctx.session, to, ctx.rest(1));
    const away = ctx.host.awayOf(to);
    const notice: ServerFrame[] = away && ctx.host.tellAway(to, ctx.user.name)
      // `reason` too: the free text every renderer (text mode, older clients) shows.
      ? [{ type: 'event', event: 'away', user: to, text: away.message, reason: away.message, ts: new Date().toISOString() }] : [];
    return { text: `sent to ${to}`, data: { id: dm.id, ...(away ? { away: away.message } : {}) }, frames: notice };
  },
});

const me = command({
  name: 'me', level: 1, usage: '<action>', minArgs: 1,
  description: 'an action in the current room: "* you waves"',
  examples: ['waves'],
  run(ctx) {
    const m = ctx.host.say(ctx.session, ctx.rest(0), 'me');
    return { text: '', data: { id: m.id } };
  },
});

const join = command({
  name: 'join', level: 1, usage: '<room>', minArgs: 1, maxArgs: 1,
  description: 'enter a room (created if new) and make it current',
  examples: ['#random', 'help-desk'],
  async run(ctx) {
    const room = roomArg(ctx.args[0]);
    await ctx.host.admitRoom(ctx.session, room);
    await ctx.host.join(ctx.session, room);
    const topic = ctx.host.topicOf(room);
    return { text: `now in #${room}${topic ? ` - topic: ${topic}` : ''}`, data: { room, topic } };
  },
});

const part = command({
  name: 'part', level: 1, usage: '[room]', minArgs: 0, maxArgs: 1,
  description: 'leave a room (the current one by default)',
  examples: ['', '#random'],
  run(ctx) {
    const room = ctx.args.length ? roomArg(ctx.args[0]) : ctx.session.current;
    if (!room) throw new ChatdError('NO_SUCH_ROOM', 'you are in no room');
    ctx.host.part(ctx.session, room);
    return { text: `left #${room}`, data: { room, current: ctx.session.current } };
  },
});

const rooms = command({
  name: 'rooms', level: 1, usage: '[page]', minArgs: 0, maxArgs: 1,
  description: 'rooms with their members online and topics',
  examples: ['', '2'],
  async run({ host, args, prefix }) {
    const page = pageArg(args[0]);
    const counts = new Map<string, Set<string>>();
    for (const p of await host.presence()) for (const r of p.rooms) (counts.get(r) ?? counts.set(r, new Set()).get(r)!).add(p.user);
    let known: string[] = [];
    try { known = (await host.db.listRooms()).map((r) => r.name); } catch { /* the database may be down; online rooms still show */ }
    const names = [...new Set([...known, ...counts.keys()])].sort();
    const all = names.map((n) => ({ room: n, users: counts.get(n)?.size ?? 0, topic: host.topicOf(n) }));
    const { rows, after } = pageOf(all, page, answerBudget(host.config.limits) - 512, rowCost);
    const text = table(['room', 'online', 'topic'], rows.map((r) => ['#' + r.room, r.users, r.topic])) + moreLine(after, `${prefix}rooms ${page + 1}`);
    return { text, data: rows };
  },
});

const topic = command({
  name: 'topic', level: 1, levelWithArgs: 50, usage: '[text]', minArgs: 0,
  description: 'show the current room\'s topic; moderators may set it',
  examples: ['', 'Release day - keep it short'],
  async run(ctx) {
    const room = ctx.session.current;
    if (!room) throw new ChatdError('NO_SUCH_ROOM', 'you are in no room');
    if (!ctx.args.length) {
      const t = ctx.host.topicOf(room);
      return { text: t ? `#${room} topic: ${t}` : `#${room} has no topic`, data: { room, topic: t } };
    }
    // Setting it is a broadcast: a muted moderator stays silent here too.
    ctx.host.assertNotMuted(ctx.user);
    const text = oneLine(checkText(ctx.rest(0), ctx.host.config.limits.maxText));
    // Stored with its audit row (one transaction) before it reaches anyone: no change nobody can trace.
    await ctx.host.setTopic(room, text, ctx.user.name);
    return { text: `topic of #${room} set`, data: { room, topic: text } };
  },
});

const history = command({
  name: 'history', level: 1, usage: '[@user] [n<=200]', minArgs: 0, maxArgs: 2,
  description: 'the last n messages of the current room (default 20), or of your DMs with a user',
  examples: ['', '50', '@alice 10'],
  async run(ctx) {
    if (ctx.args[0]?.startsWith('@')) return dmHistory(ctx);
    if (ctx.args.length > 1) throw new ChatdError('BAD_ARGS', `usage: ${ctx.prefix}history [@user] [n<=${ctx.host.config.limits.historyMax}]`);
    const max = ctx.host.config.limits.historyMax;
    const n = ctx.args.length ? Number(ctx.args[0]) : ctx.host.config.limits.historyOnJoin;
    if (!Number.isInteger(n) || n < 1 || n > max) throw new ChatdError('BAD_ARGS', `usage: ${ctx.prefix}history [n<=${max}]`);
    const room = ctx.session.current;
    if (!room) throw new ChatdError('NO_SUCH_ROOM', 'you are in no room');
    const all = await ctx.host.recentHistory(room, n);
    // The newest messages that fit one answer; a history of long messages is cut, with a note.
    const from = all.length - fitting([...all].reverse(), ctx.host.config.limits, (m) => rowCost(m) / 2);
    const messages = all.slice(from);
    const plural = all.length === 1 ? '' : 's';
    const text = from > 0
      ? `the last ${messages.length} of ${all.length} message${plural} from #${room}; the older ones do not fit in one answer`
      : `${messages.length} message${messages.length === 1 ? '' : 's'} from #${room}`;
    return {
      text, data: { room, count: messages.length, ...(from > 0 ? { requested: all.length, truncated: true } : {}) },
      // A side effect: the one direct answer is the result that follows (DESIGN), so no id here.
      frames: [{ type: 'history', room, messages }],
    };
  },
});

/** `history @user [n]`: a DM conversation, as lines of the answer (as dm frames it would look new). */
async function dmHistory(ctx: CommandContext): Promise<Reply> {
  const max = ctx.host.config.limits.historyMax;
  const other = normalizeUsername(ctx.args[0].slice(1));
  if (!other) throw new ChatdError('BAD_ARGS', `"${ctx.args[0].slice(0, 40)}" is not a valid username`);
  const n = ctx.args.length > 1 ? Number(ctx.args[1]) : ctx.host.config.limits.historyOnJoin;
  if (!Number.isInteger(n) || n < 1 || n > max) throw new ChatdError('BAD_ARGS', `usage: ${ctx.prefix}history @user [n<=${max}]`);
  const all = await ctx.host.db.dmHistory(ctx.user.name, other, n);
  const from = all.length - fitting([...all].reverse(), ctx.host.config.limits, (d) => rowCost(d) * 2);
  const messages = all.slice(from);
  const lines = messages.map((d) => `[${d.ts.slice(0, 16).replace('T', ' ')}] ${d.from.name} -> ${d.to}: ${d.text}`);
  const head = messages.length ? `${messages.length} message${messages.length === 1 ? '' : 's'} with ${other}` : `no messages with ${other}`;
  return { text: [head, ...lines].join('\n'), data: { with: other, count: messages.length, messages, ...(from > 0 ? { truncated: true } : {}) } };
}

const motd = command({
  name: 'motd', level: 1, usage: '', minArgs: 0, maxArgs: 0,
  description: 'the message of the day',
  examples: [''],
  run({ host }) { return { text: host.motd || '(no message of the day)' }; },
});

const passwd = command({
  name: 'passwd', level: 1, usage: '<old> <new>', minArgs: 2, maxArgs: 2,
  description: 'change your password (never stored or logged; chat-cli asks for it hidden)',
  examples: ['old-secret new-longer-secret'],
  async run({ host, session, user, args }) {
    // Checked like a login (throttle, lockout, bounded hash queue): see LoginService.changePassword.
    await host.changePassword(user.name, session.remote, args[0], args[1]);
    return { text: 'password changed' };
  },
});

// Not `color`: DESIGN's Conversations section reserves `color <name>` for a permanent name colour.
const textcolor = command({
  name: 'textcolor', level: 1, usage: '[on|off]', minArgs: 0, maxArgs: 1,
  description: 'role colours in text mode (openssl s_client) for this session; chat-cli colours by itself',
  examples: ['on', 'off'],
  run({ host, session, args, prefix }) {
    const arg = args[0]?.toLowerCase();
    if (arg !== undefined && arg !== 'on' && arg !== 'off') throw new ChatdError('BAD_ARGS', `usage: ${host.registry.usageLine(textcolor, prefix)}`);
    if (arg !== undefined) session.color = arg === 'on';
    const note = session.mode === 'json' ? ' (this session speaks JSON: its client chooses its own colours)' : '';
    return { text: `colors ${session.color ? 'on' : 'off'}${note}`, data: { color: session.color } };
  },
});

const quit = command({
  name: 'quit', level: 1, usage: '', minArgs: 0, maxArgs: 0,
  description: 'leave the chat',
  examples: [''],
  run() { return { text: 'goodbye', close: true }; },
});

export const CHAT_COMMANDS: Command[] = [help, users, whoami, whois, msg, me, join, part, rooms, topic, history, motd, passwd, textcolor, quit];
