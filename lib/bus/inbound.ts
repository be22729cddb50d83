// What a node accepts from the Redis bus channel. Redis is trusted with authority (SECURITY.md: who
// can publish there can post as anyone and end sessions), but not with being well-formed: another
// version of chatd, a script, or someone with Redis access can publish anything. Before delivery
// every message is checked field by field against what lib/bus/types.ts says, and every text that can
// reach a screen is sanitized again (idempotent: a node's own texts come out unchanged), so no message
// can crash a node (a wrong type thrown from a presence batch's timer did) or put escape sequences on
// a terminal or IRC client (texts went out as published). A message that does not fit is dropped whole.
import { BYE_CODES } from '../errors.js';
import type { DmFrame, EventFrame, MessageFrame, UserRef } from '../protocol/frames.js';
import { codePointLength, normalizeRoom, normalizeUsername, sanitizeText } from '../sanitize.js';
import type { BusMessage, Origin, PresenceEntry } from './types.js';

/** Raw messages longer than this are not even parsed: a real one is a frame of at most 16 KiB and a little JSON. */
export const MAX_BUS_MESSAGE = 256 * 1024;
/**
 * Names (users, roles, colors, node names, ids) are short; anything longer is not one. Generous:
 * --node-name has no limit of its own, and a node's name is in every session id and origin.
 */
const MAX_NAME = 256;

class Bad extends Error {}
const bad = (why: string): never => { throw new Bad(why); };

type Obj = Record<string, unknown>;
const obj = (v: unknown, what: string): Obj => (v !== null && typeof v === 'object' && !Array.isArray(v) ? v as Obj : bad(`${what} is not an object`));

/** A short identifier shown on screens (a user, a role): sanitized, non-empty, at most MAX_NAME. */
/** The largest time in ms a Date holds (ECMA-262 21.4.1.1). */
const MAX_TIME_MS = 8.64e15;

function name(v: unknown, what: string): string {
  if (typeof v !== 'string') return bad(`${what} is not a string`);
  const s = sanitizeText(v);
  return s && s.length <= MAX_NAME ? s : bad(`${what} is empty or too long`);
}
/** Like name(), but empty allowed: a role's color or name is shown as stored, and none may be stored. */
function label(v: unknown, what: string): string {
  if (typeof v !== 'string') return bad(`${what} is not a string`);
  const s = sanitizeText(v);
  return s.length <= MAX_NAME ? s : bad(`${what} is too long`);
}
const optName = (v: unknown, what: string): string | undefined => (v === undefined ? undefined : name(v, what));

/** A free text (message, reason, topic): sanitized, at most maxText code points; empty allowed unless `need`. */
function text(v: unknown, what: string, maxText: number, need = false): string {
  if (typeof v !== 'string') return bad(`${what} is not a string`);
  const s = sanitizeText(v);
  if (need && !s) return bad(`${what} is empty`);
  return s.length > maxText && codePointLength(s) > maxText ? bad(`${what} is too long`) : s;
}
const optText = (v: unknown, what: string, maxText: number): string | undefined => (v === undefined ? undefined : text(v, what, maxText));

function room(v: unknown): string { return normalizeRoom(v) ?? bad('room is not a room name'); }
function ts(v: unknown): string { return typeof v === 'string' && v.length <= MAX_NAME && !Number.isNaN(Date.parse(v)) ? v : bad('ts is not a time'); }
function id(v: unknown, what: string): string { return typeof v === 'string' && v.length > 0 && v.length <= MAX_NAME ? v : bad(`${what} is not an id`); }
function num(v: unknown, what: string): number { return typeof v === 'number' && Number.isFinite(v) ? v : bad(`${what} is not a number`); }
/**
 * A time in ms that a Date can hold (±8.64e15). A mute "until 1e300" passed as a finite number,
 * and every message of the muted user then failed INTERNAL where its end was written as a date.
 */
function time(v: unknown, what: string): number {
  return Number.isSafeInteger(v) && Math.abs(v as number) <= MAX_TIME_MS ? (v as number) : bad(`${what} is not a time`);
}

function userRef(v: unknown): UserRef {
  const o = obj(v, 'from');
  return { name: name(o.name, 'from.name'), role: label(o.role, 'from.role'), color: label(o.color, 'from.color') };
}

function origin(v: unknown): Origin | undefined {
  if (v === undefined) return undefined;
  const o = obj(v, 'origin');
  const ack = o.ack;
  if (ack !== undefined && !(typeof ack === 'number' && Number.isFinite(ack)) && !(typeof ack === 'string' && ack.length <= 256)) bad('origin.ack is not a frame id');
  return { node: id(o.node, 'origin.node'), session: id(o.session, 'origin.session'), ...(ack !== undefined ? { ack: ack as string | number } : {}) };
}

function messageFrame(o: Obj, maxText: number): MessageFrame {
  const kind = o.kind === 'say' || o.kind === 'me' ? o.kind : bad('kind is not say or me');
  return {
    type: 'message', id: id(o.id, 'id'), ts: ts(o.ts), room: room(o.room), from: userRef(o.from),
    text: text(o.text, 'text', maxText, true), kind, ...(o.notice === true ? { notice: true as const } : {}),
  };
}

const EVENTS = new Set(['join', 'part', 'quit', 'kick', 'ban', 'unban', 'mute', 'unmute', 'role', 'topic', 'announce', 'away']);

function eventFrame(o: Obj, maxText: number): EventFrame {
  if (typeof o.event !== 'string' || !EVENTS.has(o.event)) bad('event is not an event name');
  const f: EventFrame = { type: 'event', event: o.event as EventFrame['event'], ts: ts(o.ts) };
  if (o.room !== undefined) f.room = room(o.room);
  const user = optName(o.user, 'user'); if (user !== undefined) f.user = user;
  const by = optName(o.by, 'by'); if (by !== undefined) f.by = by;
  const role = optName(o.role, 'role'); if (role !== undefined) f.role = role;
  const reason = optText(o.reason, 'reason', maxText); if (reason !== undefined) f.reason = reason;
  const topic = optText(o.topic, 'topic', maxText); if (topic !== undefined) f.topic = topic;
  const t = optText(o.text, 'text', maxText); if (t !== undefined) f.text = t;
  return f;
}

function dmFrame(o: Obj, maxText: number): DmFrame {
  if (o.type !== 'dm') bad('frame is not a dm');
  return {
    type: 'dm', id: id(o.id, 'id'), ts: ts(o.ts), from: userRef(o.from), to: name(o.to, 'to'), text: text(o.text, 'text', maxText, true),
    ...(o.offline === true ? { offline: true } : {}), ...(o.notice === true ? { notice: true as const } : {}),
  };
}

function roomFrame(v: unknown, maxText: number): MessageFrame | EventFrame {
  const o = obj(v, 'frame');
  if (o.type === 'message') return messageFrame(o, maxText);
  if (o.type === 'event') return eventFrame(o, maxText);
  return bad('frame is not a message or an event');
}

/** Who published a message and its number among that process's publishes (lib/bus/redis.ts), when it says. */
export type Stamp = { src: string; seq: number; cluster: string | null };

/** The message as this node may deliver it, with its stamp, or the reason it may not (for the log). */
export function checkBusMessage(raw: string, maxText: number): { msg: BusMessage; stamp: Stamp | null } | { bad: string } {
  if (raw.length > MAX_BUS_MESSAGE) return { bad: `${raw.length} characters, over ${MAX_BUS_MESSAGE}` };
  let v: unknown;
  try { v = JSON.parse(raw); } catch { return { bad: 'not JSON' }; }
  try {
    const m = obj(v, 'message');
    // Unstamped messages (an older chatd) are delivered as before, without the duplicate check.
    const stamp = m.src === undefined && m.seq === undefined ? null : {
      src: id(m.src, 'src'), seq: Number.isSafeInteger(m.seq) && (m.seq as number) > 0 ? m.seq as number : bad('seq is not a positive integer'),
      cluster: m.cl === undefined ? null : id(m.cl, 'cl'),
    };
    return { msg: check(m, maxText), stamp };
  } catch (e) {
    if (e instanceof Bad) return { bad: e.message };
    throw e;
  }
}

function check(m: Obj, maxText: number): BusMessage {
  switch (m.t) {
    case 'room': {
      const r = room(m.room);
      const frame = roomFrame(m.frame, maxText);
      const o = origin(m.origin);
      return { t: 'room', room: r, frame, ...(o ? { origin: o } : {}) };
    }
    case 'dm': {
      const o = origin(m.origin);
      return {
        t: 'dm', to: name(m.to, 'to'), from: name(m.from, 'from'), frame: dmFrame(obj(m.frame, 'frame'), maxText),
        ...(o ? { origin: o } : {}), ...(m.mailbox === true ? { mailbox: true as const } : {}),
      };
    }
    case 'all': {
      const f = obj(m.frame, 'frame');
      return f.type === 'event' ? { t: 'all', frame: eventFrame(f, maxText) } : bad('frame is not an event');
    }
    case 'kill': {
      if (typeof m.code !== 'string' || !Object.hasOwn(BYE_CODES, m.code) || (m.code !== 'KICKED' && m.code !== 'BANNED')) bad('code is not KICKED or BANNED');
      return { t: 'kill', user: name(m.user, 'user'), code: m.code as 'KICKED' | 'BANNED', reason: text(m.reason, 'reason', maxText) };
    }
    case 'user':
      return { t: 'user', user: name(m.user, 'user'), role: label(m.role, 'role'), level: num(m.level, 'level'), color: label(m.color, 'color') };
    case 'color': return { t: 'color', user: name(m.user, 'user'), color: label(m.color, 'color') };
    case 'mute': return { t: 'mute', user: name(m.user, 'user'), until: m.until === null ? null : time(m.until, 'until') };
    case 'unmute': return { t: 'unmute', user: name(m.user, 'user') };
    case 'topic': return { t: 'topic', room: room(m.room), topic: text(m.topic, 'topic', maxText) };
    case 'away':
      return {
        t: 'away', user: name(m.user, 'user'), message: m.message === null ? null : text(m.message, 'message', maxText), since: time(m.since, 'since'),
        // Absent from a node that predates it (a rolling upgrade): that absence is kept by name only.
        ...(m.account === undefined ? {} : { account: num(m.account, 'account') }),
      };
    default:
      return bad('unknown t');
  }
}

const MODES = new Set(['json', 'text', 'irc']);

/**
 * Another node's presence value (a JSON array of sessions, lib/bus/redis.ts): the entries that fit
 * PresenceEntry, their texts sanitized; the rest are skipped. One corrupt entry (a null, rooms that
 * are not a list) made `users`, `whois`, `msg` and `connections` fail on every node while it lasted.
 */
export function checkPresence(raw: string, cluster: string): { entries: PresenceEntry[]; foreign: boolean } {
  let v: unknown;
  try { v = JSON.parse(raw); } catch { return { entries: [], foreign: false }; }
  if (!Array.isArray(v)) return { entries: [], foreign: false };
  const entries: PresenceEntry[] = [];
  let foreign = false;
  for (const e of v) {
    try {
      const o = obj(e, 'entry');
      // An entry of another cluster sharing this Redis and prefix (entries without `cl`: an older chatd).
      if (o.cl !== undefined && o.cl !== cluster) { foreign = true; continue; }
      entries.push(presenceEntry(o));
    } catch (err) { if (!(err instanceof Bad)) throw err; }
  }
  return { entries, foreign };
}

function presenceEntry(o: Obj): PresenceEntry {
  if (!Array.isArray(o.rooms)) bad('rooms is not a list');
  const mode = typeof o.mode === 'string' && MODES.has(o.mode) ? o.mode as PresenceEntry['mode'] : bad('mode');
  const fp = o.fingerprint === null ? null : typeof o.fingerprint === 'string' && /^[0-9A-Fa-f:]{1,128}$/.test(o.fingerprint) ? o.fingerprint : bad('fingerprint');
  return {
    id: name(o.id, 'id'), user: normalizeUsername(o.user) ?? bad('user'), role: label(o.role, 'role'), level: num(o.level, 'level'),
    color: label(o.color, 'color'), rooms: (o.rooms as unknown[]).map(room), remote: label(o.remote, 'remote'), node: name(o.node, 'node'),
    since: num(o.since, 'since'), lastActive: num(o.lastActive, 'lastActive'), tls: label(o.tls, 'tls'), fingerprint: fp, mode,
    bytesIn: num(o.bytesIn, 'bytesIn'), bytesOut: num(o.bytesOut, 'bytesOut'),
  };
}
