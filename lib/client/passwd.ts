// Recognising `//passwd` on the client side, as chatd parses it (prefix, the name in any case, the
// arguments split on whitespace): the connection learns the new password from it, the terminal UI
// masks its arguments and asks for them when there are none.
import type { ClientFrame } from '../protocol/frames.js';

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The command line after the prefix of a frame that runs a command, else null. */
function commandLine(frame: ClientFrame, prefix: string): string | null {
  if (frame.type === 'command' && typeof frame.line === 'string') return frame.line;
  if (frame.type === 'say' && typeof frame.text === 'string' && frame.text.startsWith(prefix)) return frame.text.slice(prefix.length);
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
  return line.startsWith(prefix) ? argsOf(line.slice(prefix.length)) : null;
}

/**
 * The line as it may be shown: a passwd command's arguments become one `*` per character (the same
 * length, so that the terminal's cursor stays where readline thinks it is); other lines unchanged.
 */
export function maskPasswd(line: string, prefix: string): string {
  const m = new RegExp(`^(${escape(prefix)}\\s*passwd)(\\s[\\s\\S]*)$`, 'i').exec(line);
  return m ? m[1]! + m[2]!.replace(/\S/g, '*') : line;
}
