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

const CR = 0x0d;
const LF = 0x0a;
const NUL = 0x00;

/**
 * Text mode's line ends, made the LF the line decoder splits on: LF, CR LF, a bare CR (Enter on a raw
 * terminal, which waited for a LF that never came, until the login timeout) and telnet's CR NUL each
 * end one line. A CR becomes LF at once and the LF or NUL right after it is dropped, also when it
 * arrives in the next record. Byte by byte is safe: no UTF-8 sequence holds these bytes.
 */
export class LineEnds {
  private afterCr = false;

  push(chunk: Buffer): Buffer {
    if (!this.afterCr && chunk.indexOf(CR) < 0) return chunk;
    const out = Buffer.allocUnsafe(chunk.length);
    let n = 0;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (this.afterCr && (b === LF || b === NUL)) {
        this.afterCr = false;
        continue;
      }
      this.afterCr = b === CR;
      out[n++] = this.afterCr ? LF : b;
    }
    return out.subarray(0, n);
  }
}
