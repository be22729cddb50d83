// IRC messages (RFC 1459/2812 with IRCv3 message-tags): parsing what a client sends and building what
// the server sends. Nothing here knows chatd; the session decides what a message means.

export type IrcMessage = { tags: Map<string, string>; prefix: string | null; command: string; params: string[] };

/** RFC 1459: 512 bytes including CR LF for everything but the tags. */
export const IRC_MAX_BODY = 510;
/** IRCv3 message-tags: the tag section a client may send, the leading '@' and trailing space included. */
export const IRC_MAX_CLIENT_TAGS = 4096;
/** The longest line read at all (tags of a server-sized 8,191 bytes plus a body); longer ones end the session. */
export const IRC_MAX_LINE = 8191 + 512;

const TAG_UNESCAPE: Record<string, string> = { ':': ';', s: ' ', '\\': '\\', r: '\r', n: '\n' };

function unescapeTag(v: string): string {
  return v.replace(/\\(.?)/g, (_, c: string) => TAG_UNESCAPE[c] ?? c);
}

export function escapeTag(v: string): string {
  return v.replace(/[\\; \r\n]/g, (c) => ({ '\\': '\\\\', ';': '\\:', ' ': '\\s', '\r': '\\r', '\n': '\\n' })[c]!);
}

/** Why a line cannot be taken: too long in its body or its tags. */
export function overLimit(line: string): boolean {
  let body = line;
  if (line.startsWith('@')) {
    const sp = line.indexOf(' ');
    const tags = sp < 0 ? line : line.slice(0, sp + 1);
    if (Buffer.byteLength(tags) > IRC_MAX_CLIENT_TAGS) return true;
    body = sp < 0 ? '' : line.slice(sp + 1);
  }
  return Buffer.byteLength(body) > IRC_MAX_BODY;
}

/** A parsed line, or null for a blank or command-less one. The command is upper-cased. */
export function parseIrc(line: string): IrcMessage | null {
  let i = 0;
  const tags = new Map<string, string>();
  const skipSpaces = () => { while (line[i] === ' ') i++; };
  if (line[i] === '@') {
    const sp = line.indexOf(' ', i);
    if (sp < 0) return null;
    for (const t of line.slice(i + 1, sp).split(';')) {
      if (!t) continue;
      const eq = t.indexOf('=');
      tags.set(eq < 0 ? t : t.slice(0, eq), eq < 0 ? '' : unescapeTag(t.slice(eq + 1)));
    }
    i = sp;
  }
  skipSpaces();
  let prefix: string | null = null;
  if (line[i] === ':') {
    const sp = line.indexOf(' ', i);
    if (sp < 0) return null;
    prefix = line.slice(i + 1, sp);
    i = sp;
  }
  skipSpaces();
  const params: string[] = [];
  let command = '';
  while (i < line.length) {
    if (line[i] === ':' && command) { params.push(line.slice(i + 1)); break; }
    let sp = line.indexOf(' ', i);
    if (sp < 0) sp = line.length;
    const word = line.slice(i, sp);
    if (!command) command = word.toUpperCase(); else params.push(word);
    i = sp;
    skipSpaces();
  }
  if (!command) return null;
  return { tags, prefix, command, params };
}

/**
 * One line to send, CR LF included. Every parameter loses CR, LF and NUL (chatd texts are sanitized
 * already; this keeps a stray one from splitting a line into two commands), and the last one is written
 * as a trailing parameter (':'), as servers do and clients expect, unless `trailing` is false (JOIN's
 * channel, mode strings) and it need not be (empty, a space, a leading ':').
 */
export function ircLine(prefix: string | null, command: string, params: readonly string[], tags?: string, trailing = true): string {
  let out = tags ? `@${tags} ` : '';
  if (prefix) out += `:${prefix} `;
  out += command;
  params.forEach((raw, n) => {
    const p = raw.replace(/[\r\n\0]/g, ' ');
    const last = n === params.length - 1;
    if (last && (trailing || p === '' || p.includes(' ') || p.startsWith(':'))) out += ` :${p}`;
    // A middle parameter is one word that does not start with ':' (which would make the rest of the
    // line one trailing parameter): an echoed target like `:x` or `a b` must not shift the fields.
    else out += ` ${p.replace(/ /g, '_').replace(/^:+/, '') || '*'}`;
  });
  return out + '\r\n';
}
