// The IRC form of the frames every member of a room receives alike (messages, events, DMs): built once
// per frame and shared by all IRC sessions, like the JSON line (lib/protocol/outgoing.ts). Answers to one
// session (numerics, results, errors) are built by the session itself (lib/irc/output.ts).
import type { ServerFrame } from '../protocol/frames.js';
import { escapeTag, ircLine } from './message.js';

/** The host part of every user prefix: chatd has no per-user hostnames to show (nor to leak). */
export const IRC_HOST = 'chatd';
/** The prefix of lines that come from the server rather than a user. */
export const IRC_SERVER = 'chatd';

export function userPrefix(name: string): string { return `${name}!${name}@${IRC_HOST}`; }

export function channel(room: string): string { return '#' + room; }

/** Owner ~, admin &, moderator @ (ISUPPORT PREFIX=(qaov)~&@+); other roles none. */
export function rolePrefix(role: string): string {
  return role === 'owner' ? '~' : role === 'admin' ? '&' : role === 'moderator' ? '@' : '';
}

function text(reason: string | undefined, fallback: string): string { return reason && reason.trim() ? reason : fallback; }

/** An IRC line's size with its CRLF, tags aside (RFC 2812 2.3, IRCv3 message-tags). */
const IRC_LINE_BYTES = 512;

/** The msgid of a message's n-th line (0: the message's own id): each line is a message to IRC. */
function lineId(id: string, n: number): string { return n === 0 ? id : `${id}/${n + 1}`; }

/**
 * A PRIVMSG or NOTICE of `text`, as one line or, when longer than an IRC line allows, several: a
 * chatd message holds up to 2,000 code points (~8 KB of UTF-8), and clients that keep to 512 bytes
 * cut a longer line or drop it. Split at the last space that fits (the space goes), else between
 * code points; ACTION wraps every piece.
 */
function textLines(prefix: string, command: string, target: string, text: string, action: boolean, tagsOf: (n: number) => string | undefined): string {
  const wrap = (t: string) => (action ? `\x01ACTION ${t}\x01` : t);
  const tags = tagsOf(0);
  const one = ircLine(prefix, command, [target, wrap(text)], tags);
  // `@tags ` does not count (IRCv3 gives tags their own budget).
  if (Buffer.byteLength(one) - (tags === undefined ? 0 : Buffer.byteLength(tags) + 2) <= IRC_LINE_BYTES) return one;
  const fixed = Buffer.byteLength(ircLine(prefix, command, [target, wrap('')]));
  return splitUtf8(text, Math.max(16, IRC_LINE_BYTES - fixed)).map((piece, n) => ircLine(prefix, command, [target, wrap(piece)], tagsOf(n))).join('');
}

/** `text` in pieces of at most `max` UTF-8 bytes: cut at the last space of a piece where there is one, else between code points. */
function splitUtf8(text: string, max: number): string[] {
  const pieces: string[] = [];
  let rest = text;
  while (Buffer.byteLength(rest) > max) {
    let bytes = 0;
    let end = 0; // UTF-16 index where the piece that fits ends
    for (const ch of rest) {
      const b = Buffer.byteLength(ch);
      if (bytes + b > max) break;
      bytes += b;
      end += ch.length;
    }
    const space = rest.lastIndexOf(' ', end);
    if (space > 0 && space <= end) {
      pieces.push(rest.slice(0, space));
      rest = rest.slice(space + 1);
    } else {
      pieces.push(rest.slice(0, end));
      rest = rest.slice(end);
    }
  }
  pieces.push(rest);
  return pieces;
}

/**
 * The line for a shared frame, with IRCv3 tags (server-time, msgid) or without; null for frames that
 * have no shared IRC form (those are per-session) or that IRC clients have no use for.
 */
export function renderIrc(f: ServerFrame, withTags: boolean): string | null {
  const tags = (ts: string, id?: string) => (withTags ? `time=${ts}${id ? `;msgid=${escapeTag(id)}` : ''}` : undefined);
  switch (f.type) {
    case 'message':
      return textLines(userPrefix(f.from.name), f.notice ? 'NOTICE' : 'PRIVMSG', channel(f.room), f.text, f.kind === 'me', (n) => tags(f.ts, lineId(f.id, n)));
    case 'dm':
      return textLines(userPrefix(f.from.name), f.notice ? 'NOTICE' : 'PRIVMSG', f.to, f.text, false, (n) => tags(f.ts, lineId(f.id, n)));
    case 'event': {
      const t = tags(f.ts);
      const room = f.room ? channel(f.room) : null;
      switch (f.event) {
        case 'join': return room && f.user ? ircLine(userPrefix(f.user), 'JOIN', [room], t, false) : null;
        case 'part': return room && f.user ? ircLine(userPrefix(f.user), 'PART', [room, 'left'], t) : null;
        case 'quit': return f.user ? ircLine(userPrefix(f.user), 'QUIT', [text(f.reason, 'Quit')], t) : null;
        case 'topic': return room ? ircLine(userPrefix(f.by ?? IRC_SERVER), 'TOPIC', [room, f.topic ?? f.reason ?? ''], t) : null;
        case 'kick':
          return room && f.user ? ircLine(userPrefix(f.by ?? IRC_SERVER), 'KICK', [room, f.user, text(f.reason, 'kicked')], t) : null;
        default: {
          // ban, unban, mute, unmute, role, announce: a notice to the room (or to everyone) from the server.
          const done: Record<string, string> = { ban: 'banned', unban: 'unbanned', mute: 'muted', unmute: 'unmuted', role: `now ${f.role ?? ''}` };
          const what = f.event === 'announce'
            ? `announcement${f.by ? ` from ${f.by}` : ''}: ${f.text ?? f.reason ?? ''}`
            : `${f.user ?? ''} ${f.event === 'role' ? 'is ' : 'was '}${done[f.event] ?? f.event}${f.by ? ` by ${f.by}` : ''}${f.reason && f.event !== 'role' ? `: ${f.reason}` : ''}`;
          return ircLine(IRC_SERVER, 'NOTICE', [room ?? '*', what], t);
        }
      }
    }
    default:
      return null;
  }
}

/**
 * Targets one line may name (ISUPPORT TARGMAX, as Ergo's PRIVMSG:4): each DM is a command's work and
 * each channel a presence read, while flood control counts the line once.
 */
export const TARGMAX = { PRIVMSG: 4, NOTICE: 4, JOIN: 10, PART: 10, NAMES: 10 } as const;
