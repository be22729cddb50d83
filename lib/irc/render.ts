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

/**
 * The line for a shared frame, with IRCv3 tags (server-time, msgid) or without; null for frames that
 * have no shared IRC form (those are per-session) or that IRC clients have no use for.
 */
export function renderIrc(f: ServerFrame, withTags: boolean): string | null {
  const tags = (ts: string, id?: string) => (withTags ? `time=${ts}${id ? `;msgid=${escapeTag(id)}` : ''}` : undefined);
  switch (f.type) {
    case 'message': {
      const body = f.kind === 'me' ? `\x01ACTION ${f.text}\x01` : f.text;
      return ircLine(userPrefix(f.from.name), f.notice ? 'NOTICE' : 'PRIVMSG', [channel(f.room), body], tags(f.ts, f.id));
    }
    case 'dm':
      return ircLine(userPrefix(f.from.name), f.notice ? 'NOTICE' : 'PRIVMSG', [f.to, f.text], tags(f.ts, f.id));
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
export const TARGMAX = { PRIVMSG: 4, NOTICE: 4, JOIN: 10, NAMES: 10 } as const;
