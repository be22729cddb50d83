// A server frame with its encodings made at most once: a room message is serialized once for all
// JSON sessions and rendered once for all text-mode sessions, not once per recipient.
import { renderFrame, COLOR } from '../render.js';
import type { ServerFrame } from './frames.js';
import { encodeFrame } from './jsonl.js';

export class Outgoing {
  private jsonCache: string | undefined;
  private textCache: string | null | undefined;

  constructor(readonly frame: ServerFrame) {}

  get json(): string {
    return (this.jsonCache ??= encodeFrame(this.frame));
  }

  /** Rendered for text mode (role colors, SGR only), or null when the frame has no text form. */
  get text(): string | null {
    if (this.textCache === undefined) {
      const r = renderFrame(this.frame, COLOR);
      this.textCache = r === null ? null : r + '\n';
    }
    return this.textCache;
  }
}

export function outgoing(f: ServerFrame | Outgoing): Outgoing {
  return f instanceof Outgoing ? f : new Outgoing(f);
}
