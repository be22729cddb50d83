// Exactly-once frames (DESIGN.md "Conversations"): the id of a say or command frame is remembered per
// user for limits.dedupeWindowMs together with the answer it got, so that a client resending a frame
// whose answer was lost (a cut connection) gets that answer again instead of a second execution.
// With the Redis bus the ids are shared by every node (keys under the bus prefix, with a TTL); while
// Redis is away each node remembers its own.
import crypto from 'node:crypto';
import type { Redis } from 'ioredis';
import { ChatdError } from './errors.js';
import type { Logger } from './log.js';
import type { FrameId, ServerFrame } from './protocol/frames.js';

/** Held in Redis while the first copy of a frame runs. */
const PENDING = 'pending';
/** How often, and how long at most, a repeat waits for the first copy's answer on another node. */
const POLL_MS = 50;
const WAIT_MS = 5_000;
/** Entries this node keeps at most (oldest dropped first): ~20 ids per second for the whole window. */
const LOCAL_MAX = 100_000;

/** What a frame got: `fresh` runs it and then calls done (or abandon when it did nothing). */
export type Claim =
  | { fresh: true; done(answer: ServerFrame[]): void; abandon(): void }
  | { fresh: false; answer: ServerFrame[] };

type Entry = { at: number; answer: ServerFrame[] | null; ready: Promise<void>; settle(): void };

export class Dedupe {
  private readonly local = new Map<string, Entry>();

  constructor(
    private readonly windowMs: () => number,
    private readonly shared: () => { redis: Redis; prefix: string } | null,
    private readonly log: Logger,
  ) {}

  /**
   * `content` is what the frame asks (its kind and text): a client that starts numbering its frames
   * again after a restart reuses ids, and a different frame under a used id is a new frame.
   */
  async claim(user: string, id: FrameId, content: string): Promise<Claim> {
    const digest = crypto.createHash('sha256').update(content).digest('base64url').slice(0, 22);
    const key = `${user}:${digest}:${JSON.stringify(id)}`;
    const window = this.windowMs();
    if (window <= 0) return { fresh: true, done() {}, abandon() {} };
    this.prune(window);
    const seen = this.local.get(key);
    if (seen) {
      await seen.ready;
      if (seen.answer) return { fresh: false, answer: seen.answer };
    }
    const entry = this.entry(key);
    const remote = this.shared();
    const rkey = remote ? `${remote.prefix}dedupe:${key}` : '';
    if (remote) {
      try {
        const answer = await this.awaitRemote(remote.redis, rkey, window);
        if (answer) {
          entry.answer = answer;
          entry.settle();
          return { fresh: false, answer };
        }
      } catch (e) {
        if (e instanceof ChatdError) { this.local.delete(key); entry.settle(); throw e; }
        this.log.warn('dedupe: redis unavailable; remembering ids on this node only', { err: (e as Error).message });
      }
    }
    let over = false;
    return {
      fresh: true,
      done: (answer) => {
        if (over) return;
        over = true;
        entry.answer = answer;
        entry.settle();
        if (remote) remote.redis.set(rkey, JSON.stringify(answer), 'PX', window).catch(() => {});
      },
      abandon: () => {
        if (over) return;
        over = true;
        this.local.delete(key);
        entry.settle();
        if (remote) remote.redis.del(rkey).catch(() => {});
      },
    };
  }

  private entry(key: string): Entry {
    let settle!: () => void;
    const ready = new Promise<void>((r) => { settle = r; });
    const e: Entry = { at: Date.now(), answer: null, ready, settle };
    this.local.delete(key);
    this.local.set(key, e);
    if (this.local.size > LOCAL_MAX) this.local.delete(this.local.keys().next().value as string);
    return e;
  }

  /**
   * Claims the key in Redis: null when this copy is the first (it runs), else the first copy's
   * answer, waited for while it runs on another node.
   */
  private async awaitRemote(redis: Redis, rkey: string, window: number): Promise<ServerFrame[] | null> {
    for (let waited = 0; ; waited += POLL_MS) {
      if ((await redis.set(rkey, PENDING, 'PX', window, 'NX')) !== null) return null;
      const v = await redis.get(rkey);
      if (v !== null && v !== PENDING) {
        try { return JSON.parse(v) as ServerFrame[]; } catch { return null; }
      }
      // null: expired or abandoned between the two calls; the next round claims it.
      if (waited >= WAIT_MS) throw new ChatdError('SERVICE_UNAVAILABLE', 'the first copy of this frame is still running; try again shortly');
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }

  private prune(window: number): void {
    const old = Date.now() - window;
    for (const [k, e] of this.local) {
      if (e.at >= old) break; // insertion order is age order
      if (e.answer) this.local.delete(k);
    }
  }
}
