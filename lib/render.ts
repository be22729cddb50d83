// The renderer shared by the server's text mode and chat-cli: server frame + theme → terminal lines.
// Frames carry sanitized text without colour; colour is added here only, from the sender's role, and
// only as SGR sequences (ESC[…m) made by ansi-colors. Every text field is sanitized again before it is
// printed (defense in depth against a malicious or buggy server), names and rooms included.
import colors from 'ansi-colors';
import type { DmFrame, EventFrame, MessageFrame, ServerFrame } from './protocol/frames.js';
import { sanitizeLines, sanitizeText } from './sanitize.js';

export type Theme = { readonly color: boolean };
/** No escape sequence at all: specs, pipes, NO_COLOR. */
export const MONO: Theme = Object.freeze({ color: false });
export const COLOR: Theme = Object.freeze({ color: true });

/** COLOR on a terminal unless NO_COLOR is set (https://no-color.org), MONO for pipes and files. */
export function themeFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): Theme {
  if (env.NO_COLOR) return MONO;
  return stream.isTTY ? COLOR : MONO;
}

// A private ansi-colors instance: enabling it cannot leak into other users of the shared default one,
// and FORCE_COLOR does not switch it off behind the theme's back. Whether to colour is the Theme's call.
const ansi = colors.create();
ansi.enabled = true;

/**
 * The colours paint() knows: the ansi-colors foreground palette (black … white, gray/grey) and its
 * bright variants (redBright …), which is what a role's colour is chosen from, plus the renderer's own
 * dim and bold. Anything else paints nothing.
 */
const { keys } = ansi as unknown as { keys: Record<'color' | 'bright', string[]> };
export const PALETTE: readonly string[] = Object.freeze([...keys.color, ...keys.bright]);

/** The palette's name for `name` in any case ('CYANBRIGHT' → 'cyanBright'), or undefined. */
export function paletteColor(name: string): string | undefined {
  const want = name.toLowerCase();
  return PALETTE.find((c) => c.toLowerCase() === want);
}

/**
 * Colours that look alike on a terminal: a colour and its bright variant (red, redBright), and
 * gray/grey with blackBright (all three are SGR 90). Who may not look like staff may take none of them.
 */
export function colorFamily(color: string): string {
  const c = color.toLowerCase();
  return c === 'gray' || c === 'grey' ? 'black' : c.replace(/bright$/, '');
}
const PAINTERS = new Map<string, (s: string) => string>(
  [...PALETTE, 'dim', 'bold'].map((name) => [name, (ansi as unknown as Record<string, (s: string) => string>)[name]!]),
);

/** s in the named colour, or s unchanged with MONO, for an empty s, or for an unknown colour name. */
export function paint(theme: Theme, color: string, s: string): string {
  const painter = theme.color && s !== '' ? PAINTERS.get(color) : undefined;
  return painter === undefined ? s : painter(s);
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** HH:MM:SS in local time; "--:--:--" for a timestamp that does not parse. */
export function clock(ts: string | Date): string {
  const d = ts instanceof Date ? ts : new Date(ts);
  if (Number.isNaN(d.getTime())) return '--:--:--';
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

/**
 * Two or more blanks in a row: whitespace of any width (\s: spaces, NBSP, U+2000–U+200A, U+3000 …)
 * and U+2800 BRAILLE PATTERN BLANK, which looks like one. Padding a text with them up to a terminal's
 * width made what followed start a row of its own ("ok" + 200 spaces + "10:00:00 #lobby -- eve is
 * now admin"): a line the server never sent. A rendered line shows such a run as one space; the text
 * itself (frames, history) keeps it, since sanitizing turns each tab or line break into its own space.
 */
const BLANK_RUN = /[\s\u2800]{2,}/gu;

/**
 * A label a user sets for others to read inside results (an away message, a topic), kept on one
 * line: a result keeps its blank runs (tables, the motd), so padding in the label itself could push
 * what follows to a row of its own, a chat line the server never sent.
 */
export function oneLine(text: string): string {
  return text.replace(BLANK_RUN, ' ');
}

// Frames may come from a server we do not trust, so no field is assumed to exist or to be a string.
// Every field here is one line: its blank runs go (BLANK_RUN); results and the motd keep theirs.
const text = (v: unknown): string => (typeof v === 'string' ? sanitizeText(v).replace(BLANK_RUN, ' ') : '');
const time = (v: unknown): string => (typeof v === 'string' || v instanceof Date ? clock(v) : '--:--:--');
const room = (v: unknown): string => `#${text(v).replace(/^#/, '')}`;

/** A sender's name in its role colour. */
function who(from: unknown, theme: Theme): string {
  const f = (from ?? {}) as { name?: unknown; color?: unknown };
  return paint(theme, typeof f.color === 'string' ? f.color : '', text(f.name) || '?');
}

/** `HH:MM:SS #room name: text`, or `HH:MM:SS #room * name text` for /me. */
function renderMessage(m: MessageFrame, theme: Theme): string {
  const head = `${time(m.ts)} ${room(m.room)}`;
  const name = who(m.from, theme);
  return m.kind === 'me' ? `${head} * ${name} ${text(m.text)}` : `${head} ${name}: ${text(m.text)}`;
}

function renderDm(m: DmFrame, theme: Theme): string {
  return `${time(m.ts)} [dm] ${who(m.from, theme)} -> ${text(m.to) || '?'}: ${text(m.text)}`;
}

/** The words after "--" of an event line: "bob was banned by mod (spam)". */
function describeEvent(e: EventFrame): string {
  const user = text(e.user) || '?';
  const by = text(e.by);
  const byPart = by ? ` by ${by}` : '';
  const reason = text(e.reason);
  const why = reason ? ` (${reason})` : '';
  switch (e.event) {
    case 'join': return `${user} joined`;
    case 'part': return `${user} left${why}`;
    case 'quit': return `${user} quit${why}`;
    case 'kick': return `${user} was kicked${byPart}${why}`;
    case 'ban': return `${user} was banned${byPart}${why}`;
    case 'unban': return `${user} was unbanned${byPart}${why}`;
    case 'mute': return `${user} was muted${byPart}${why}`;
    case 'unmute': return `${user} was unmuted${byPart}${why}`;
    case 'role': return `${user} is now ${text(e.role) || '?'}${by ? ` (set by ${by})` : ''}`;
    case 'topic': return `topic is now: ${text(e.topic ?? e.reason)}${by ? ` (set by ${by})` : ''}`;
    case 'announce': return `announce: ${text(e.text ?? e.reason)}${by ? ` (from ${by})` : ''}`;
    default: return `${user} ${text(e.event) || 'event'}${byPart}${why}`; // a newer server's event
  }
}

function renderEvent(e: EventFrame, theme: Theme): string {
  const where = e.room === undefined ? '' : ` ${room(e.room)}`;
  return paint(theme, 'dim', `${time(e.ts)}${where} -- ${describeEvent(e)}`);
}

/**
 * The terminal form of a server frame (possibly several lines joined by "\n"), or null when the frame
 * has nothing to show (ping, pong, an empty history or result, an unknown type).
 */
export function renderFrame(frame: ServerFrame, theme: Theme): string | null {
  switch (frame.type) {
    case 'message':
      return renderMessage(frame, theme);
    case 'dm':
      return renderDm(frame, theme);
    case 'event':
      return renderEvent(frame, theme);
    case 'result':
      return sanitizeLines(frame.text) || null;
    case 'error':
      return paint(theme, 'red', `error ${text(frame.code) || 'INTERNAL'}: ${text(frame.message)}`);
    case 'history': {
      const messages: unknown[] = Array.isArray(frame.messages) ? frame.messages : [];
      const lines = messages
        .filter((m): m is MessageFrame => typeof m === 'object' && m !== null)
        .map((m) => renderMessage(m, theme));
      return lines.length > 0 ? lines.join('\n') : null;
    }
    case 'login_ok': {
      const user = frame.user ?? {};
      const line = `logged in as ${who(user, theme)} (${text(user.role) || '?'})`;
      const motd = sanitizeLines(frame.motd);
      return motd ? `${line}\n${motd}` : line;
    }
    case 'welcome':
      return `connected to ${text(frame.server) || '?'}`;
    case 'bye': {
      const reason = text(frame.reason);
      return `disconnected: ${text(frame.code) || '?'}${reason ? ` ${reason}` : ''}`;
    }
    case 'ping':
    case 'pong':
      return null;
    default:
      return null;
  }
}
