// Recognising `//passwd` on the client side, as chatd parses it (prefix, the name in any case, the
// arguments split on whitespace): the connection learns the new password from it, the terminal UI
// masks its arguments and asks for them when there are none.
import type { ClientFrame } from '../protocol/frames.js';
import { sanitizeText } from '../sanitize.js';

/**
 * The command line after the prefix of a typed line that chatd runs as a command, else null: chatd's
 * own rule (lib/frame-input.ts), which also takes a line whose sanitized text starts with the prefix
 * after blanks (" //passwd old new"), so that a blank lead never makes a password a broadcast. Seen
 * here by the prefix alone, such a line was neither masked nor learnt as the new password.
 */
function afterPrefix(text: string, prefix: string): string | null {
  if (text.startsWith(prefix)) return text.slice(prefix.length);
  if (!sanitizeText(text).trimStart().startsWith(prefix)) return null;
  const at = text.indexOf(prefix);
  return at >= 0 ? text.slice(at + prefix.length) : null;
}

/** The command line after the prefix of a frame that runs a command, else null. */
function commandLine(frame: ClientFrame, prefix: string): string | null {
  if (frame.type === 'command' && typeof frame.line === 'string') return frame.line;
  if (frame.type === 'say' && typeof frame.text === 'string') return afterPrefix(frame.text, prefix);
  return null;
}

/** The arguments of a passwd command line (without prefix), or null for any other line. */
function argsOf(line: string): string[] | null {
  const m = /^\s*passwd(?:\s([\s\S]*))?$/i.exec(line);
  if (!m) return null;
  const rest = (m[1] ?? '').trim();
  return rest ? rest.split(/\s+/) : [];
}

/** The arguments of a frame that is a passwd command (`[]` for none), else null. */
function passwdArgs(frame: ClientFrame, prefix: string): string[] | null {
  const line = commandLine(frame, prefix);
  return line === null ? null : argsOf(line);
}

/** The password a passwd frame sets when chatd accepts it, else null. */
export function newPasswordOf(frame: ClientFrame, prefix: string): string | null {
  const args = passwdArgs(frame, prefix);
  return args && args.length === 2 ? args[1]! : null;
}

/** The arguments of a typed passwd line (`[]` for none), or null for any other line. */
export function typedPasswd(line: string, prefix: string): string[] | null {
  const rest = afterPrefix(line, prefix);
  return rest === null ? null : argsOf(rest);
}

/**
 * The line as it may be shown: a passwd command's arguments become one `*` per character (the same
 * length, so that the terminal's cursor stays where readline thinks it is); other lines unchanged.
 */
export function maskPasswd(line: string, prefix: string): string {
  const rest = afterPrefix(line, prefix);
  if (rest === null) return line;
  const m = /^(\s*passwd)(\s[\s\S]*)$/i.exec(rest);
  if (!m) return line;
  const head = line.length - rest.length + m[1]!.length;
  return line.slice(0, head) + line.slice(head).replace(/\S/g, '*');
}
