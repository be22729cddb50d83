// What text mode's peers type, made into the line they meant. Text mode serves plain terminals
// (openssl s_client, ncat, socat): usually the tty's line discipline edits the line before it is
// sent, but a raw terminal, or an erase key the tty does not know, sends the erase characters
// themselves, and a password corrected with them never matched.

/** Backspace (BS, ^H) and DEL (^?), the two erase characters terminals send. */
const ERASE = /[\x08\x7f]/;

/**
 * The line with every BS and DEL applied as the tty would have: each erases the character (code
 * point, as a UTF-8 tty does) before it, and nothing at the start of the line.
 */
export function applyErase(line: string): string {
  if (!ERASE.test(line)) return line;
  const out: string[] = [];
  for (const ch of line) {
    if (ch === '\x08' || ch === '\x7f') out.pop();
    else out.push(ch);
  }
  return out.join('');
}
