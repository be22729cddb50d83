// A server frame with its encodings made at most once: a room message is serialized and encoded to
// UTF-8 bytes once for all JSON sessions, and rendered once for all text-mode sessions, not once per
// recipient. (Writing a string makes Node encode it on every socket.write: at 1,000 members that
// was a third of the main thread; bench/BENCHMARKS.md finding 1.)
import { renderFrame, COLOR, MONO, type Theme } from '../render.js';
import type { ServerFrame } from './frames.js';
import { encodeFrame } from './jsonl.js';
import { renderIrc } from '../irc/render.js';

export class Outgoing {
  private jsonCache: Buffer | undefined;
  private textCache: Buffer | null | undefined;
  private colorCache: Buffer | null | undefined;
  private ircCache: Buffer | null | undefined;
  private ircTagCache: Buffer | null | undefined;

  constructor(readonly frame: ServerFrame) {}

  /** The JSON line, as bytes. */
  get json(): Buffer {
    return (this.jsonCache ??= Buffer.from(encodeFrame(this.frame)));
  }

  /** Rendered for text mode without any escape sequence, as bytes; null when the frame has no text form. */
  get text(): Buffer | null {
    if (this.textCache === undefined) this.textCache = this.render(MONO);
    return this.textCache;
  }

  /** Rendered for text mode with role colours (SGR only), for sessions that asked for colour. */
  get textColor(): Buffer | null {
    if (this.colorCache === undefined) this.colorCache = this.render(COLOR);
    return this.colorCache;
  }

  /** The IRC line for frames every member gets alike (messages, events, DMs), with or without IRCv3 tags. */
  irc(withTags: boolean): Buffer | null {
    if (withTags) {
      if (this.ircTagCache === undefined) this.ircTagCache = ircBytes(renderIrc(this.frame, true));
      return this.ircTagCache;
    }
    if (this.ircCache === undefined) this.ircCache = ircBytes(renderIrc(this.frame, false));
    return this.ircCache;
  }

  private render(theme: Theme): Buffer | null {
    const r = renderFrame(this.frame, theme);
    return r === null ? null : Buffer.from(r + '\n');
  }
}

function ircBytes(line: string | null): Buffer | null { return line === null ? null : Buffer.from(line); }

export function outgoing(f: ServerFrame | Outgoing): Outgoing {
  return f instanceof Outgoing ? f : new Outgoing(f);
}
