// Request/answer bookkeeping of chat-cli: every frame it sends gets a fresh id, and each id waits for
// its one direct answer (the own message with `ack`, a `result`, an `error`, or `login_ok`). A
// RATE_LIMITED answer is waited out and the frame sent again, with later frames spaced out a while.
import crypto from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClientFrame, ErrorFrame, FrameId, LoginOkFrame, MessageFrame, RenewedFrame, ResultFrame } from '../protocol/frames.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import type { Link } from './link.js';
import { Disconnected, formatDelay } from './link-errors.js';

/** The direct answer to a client frame: the own message with `ack`, a `result`, an `error` (or `login_ok`). */
export type Answer = MessageFrame | ResultFrame | ErrorFrame | LoginOkFrame | RenewedFrame;

export type Pending = {
  resolve(f: Answer): void; reject(e: Error): void; timer: NodeJS.Timeout;
  /** Made by the connection itself (help, users, rejoin, login): its frames are marked internal. */
  internal: boolean;
  /** A history command: the history frame that comes before its result is what it asked for. */
  asksHistory: boolean;
};

/** After a RATE_LIMITED answer, frames are spaced this far apart for a while (under chatd's 5/s refill). */
const SLOW_SPACING_MS = 250;
const SLOW_FOR_MS = 10_000;

export type RequestsOptions = {
  /** How long a request may wait for its direct answer. */
  answerTimeoutMs: number;
  /** Delays between RATE_LIMITED retries of one frame (default 250 ms doubling to 5 s). */
  rateBackoff?: BackoffOptions;
  /** The command prefix the server announced (a say starting with it is a command). */
  prefix(): string;
  /** A line for humans (safe to print). */
  status(text: string): void;
};

export class Requests {
  private seq = 0;
  /**
   * chatd remembers frame ids per user (DESIGN.md "Conversations": a repeated id is answered, not run
   * again), so ids must not repeat across runs of chat-cli: each run tags its own.
   */
  private readonly run = crypto.randomBytes(4).toString('hex');
  private readonly pending = new Map<FrameId, Pending>();
  private readonly rateBackoff: Backoff;
  private slowUntil = 0;
  private lastSentAt = 0;

  constructor(private readonly o: RequestsOptions) {
    this.rateBackoff = new Backoff({ initialMs: 250, maxMs: 5_000, ...o.rateBackoff });
  }

  /** A fresh id for a frame that expects no answer through here (quit). */
  nextId(tag: string): string { return `${tag}${++this.seq}.${this.run}`; }

  /**
   * Sends a frame with a fresh id and resolves with its direct answer. RATE_LIMITED is retried with
   * backoff (and later frames are spaced out for a while). Rejects with Disconnected if the link
   * closes first.
   */
  async send(link: Link, frame: ClientFrame, internal: boolean, timeoutMs = this.o.answerTimeoutMs, retry = true, fixedId?: string): Promise<Answer> {
    for (;;) {
      const spacing = Date.now() < this.slowUntil ? this.lastSentAt + SLOW_SPACING_MS - Date.now() : 0;
      if (spacing > 0) await sleep(spacing);
      if (link.isClosed) throw new Disconnected(link.reason);
      // A frame of the send queue keeps its id across reconnects: sent again, it runs once.
      const id = fixedId ?? this.nextId(internal ? 'i' : 'c');
      const answer = new Promise<Answer>((resolve, reject) => {
        const timer = setTimeout(() => {
          this.pending.delete(id);
          reject(new Error(`no answer from the server within ${Math.round(timeoutMs / 1000)} s`));
        }, timeoutMs);
        this.pending.set(id, { resolve, reject, timer, internal, asksHistory: this.asksHistory(frame) });
      });
      this.lastSentAt = Date.now();
      link.write({ ...frame, id } as ClientFrame);
      const a = await answer;
      if (retry && a.type === 'error' && a.code === 'RATE_LIMITED') {
        const first = Date.now() >= this.slowUntil;
        this.slowUntil = Date.now() + SLOW_FOR_MS;
        // chatd says when its bucket has a token again; other servers get the backoff alone.
        const hint = typeof a.message === 'string' ? /\bnext in (\d{1,6}) ms\b/.exec(a.message) : null;
        const delay = Math.max(this.rateBackoff.next(), hint ? Math.min(Number(hint[1]), 10_000) : 0);
        if (first) this.o.status(`rate limited by the server; slowing down and resending (${formatDelay(delay)})`);
        await sleep(delay);
        continue;
      }
      if (retry) this.rateBackoff.reset();
      return a;
    }
  }

  /** The request waiting under this id, if one is. */
  get(key: FrameId | undefined): Pending | undefined {
    return key === undefined ? undefined : this.pending.get(key);
  }

  /** Resolves the request waiting under this id with its answer. */
  settle(key: FrameId, answer: Answer): void {
    const p = this.pending.get(key);
    if (!p) return;
    this.pending.delete(key);
    clearTimeout(p.timer);
    p.resolve(answer);
  }

  /** The link closed: no waiting request will get its answer on it. */
  rejectAll(err: Error): void {
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      clearTimeout(p.timer);
      p.reject(err);
    }
  }

  /** The request id of a history command waiting for its answer, if one is. */
  historyAsker(): FrameId | undefined {
    for (const [key, p] of this.pending) if (p.asksHistory) return key;
    return undefined;
  }

  private asksHistory(frame: ClientFrame): boolean {
    const prefix = this.o.prefix();
    const line = frame.type === 'command' ? frame.line : frame.type === 'say' && frame.text.startsWith(prefix) ? frame.text.slice(prefix.length) : null;
    return typeof line === 'string' && /^\s*history(\s|$)/i.test(line);
  }
}
