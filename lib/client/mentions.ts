// Mentions in chat-cli (DESIGN.md "Conversations"): a line naming the user (a whole word, any case)
// is highlighted, and the terminal bell rings on a mention or a DM (--bell off|mention|all).
import type { ServerFrame } from '../protocol/frames.js';

export type BellMode = 'off' | 'mention' | 'all';
export const BELL_MODES: readonly BellMode[] = ['off', 'mention', 'all'];

/** Letters, digits and _ around the name make it part of another word ("bobby" is not "bob"). */
export function mentions(text: string, name: string): boolean {
  if (typeof name !== 'string' || !name || typeof text !== 'string') return false;
  // Only the syntax characters: with the `u` flag an escaped "-" (which USERNAME_RE allows) is an
  // invalid escape, and the SyntaxError ended chat-cli on the first line of anyone else.
  const escaped = name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  return new RegExp(`(?<![\\p{L}\\p{N}_])${escaped}(?![\\p{L}\\p{N}_])`, 'iu').test(text);
}

/**
 * A live message or DM from someone else that names `me` (DMs count: they are addressed to me).
 * `me` is the name in the server's login_ok, so it is checked like any field of an untrusted frame.
 */
export function mentionsMe(f: ServerFrame, me: string | null): boolean {
  if (typeof me !== 'string' || !me || (f.type !== 'message' && f.type !== 'dm') || f.from?.name === me || typeof f.text !== 'string') return false;
  return f.type === 'dm' ? f.to === me : mentions(f.text, me);
}

/** Whether a live frame rings the bell: mentions and DMs to me with `mention`, any message of others with `all`. */
export function rings(f: ServerFrame, me: string | null, mode: BellMode): boolean {
  if (mode === 'off' || typeof me !== 'string' || !me || (f.type !== 'message' && f.type !== 'dm') || f.from?.name === me) return false;
  return mode === 'all' || mentionsMe(f, me);
}
