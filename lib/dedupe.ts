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
/**
 * An answer larger than this (as JSON) is kept as a short stand-in: a user sending `//users` with
 * fresh ids at the flood rate must not make every node (and Redis) hold 256 KiB answers for the
 * whole window. The stand-in still says the frame ran, so nothing runs twice.
 */
export const ANSWER_KEPT_MAX = 16 * 1024;
/** Bytes of kept answers on this node at most (oldest dropped first). */
const LOCAL_BYTES_MAX = 32 * 1024 * 1024;

/** What is kept of an answer: itself, or when large its last frame without the bulk. */
export function keptAnswer(answer: ServerFrame[]): { frames: ServerFrame[]; json: string } {
  const json = JSON.stringify(answer);
  if (json.length <= ANSWER_KEPT_MAX) return { frames: answer, json };
  const last = answer[answer.length - 1];
  const stub: ServerFrame = last && last.type === 'result'
    ? { type: 'result', command: last.command, text: `(already answered; that answer, ${json.length} bytes, was too large to keep: ask again with a new id)`, ...(last.id !== undefined ? { id: last.id } : {}) }
    : last && last.type === 'error' ? last
      : { type: 'result', command: '?', text: '(already answered)' };
  return { frames: [stub], json: JSON.stringify([stub]) };
}

/** What a frame got: `fresh` runs it and then calls done (or abandon when it did nothing). */
export type Claim =
  | { fresh: true; done(answer: ServerFrame[]): void; abandon(): void }
  | { fresh: false; answer: ServerFrame[] };

type Entry = { at: number; answer: ServerFrame[] | null; bytes: number; ready: Promise<void>; settle(): void };

export class Dedupe {
  private readonly local = new Map<string, Entry>();
  private bytes = 0;
  /**
   * Keys the content digest. A frame's content may hold secrets (`//passwd <old> <new>`), and the
   * digest is part of a Redis key for the whole window: unkeyed, it was a fast hash of the passwords.
   * Random per process until useKey gives the cluster's shared one (every node must make the same keys).
   */
  private key: crypto.KeyObject = crypto.createSecretKey(crypto.randomBytes(32));

  constructor(
    private readonly windowMs: () => number,
    private readonly shared: () => { redis: Redis; prefix: string } | null,
    private readonly log: Logger,
  ) {}

  /** The cluster's shared key (a server secret in the database), set before the node takes frames. */
  useKey(key: Buffer): void { this.key = crypto.createSecretKey(key); } // made once, not per frame

  /**
   * `content` is what the frame asks (its kind and text): a client that starts numbering its frames
   * again after a restart reuses ids, and a different frame under a used id is a new frame.
   */
  async claim(user: string, id: FrameId, content: string): Promise<Claim> {
    const window = this.windowMs();
    if (window <= 0) return { fresh: true, done() {}, abandon() {} }; // off: no hashing per frame either
    const digest = crypto.createHmac('sha256', this.key).update(content).digest('base64url').slice(0, 22);
    const key = `${user}:${digest}:${JSON.stringify(id)}`;
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
          entry.bytes = JSON.stringify(answer).length;
          this.bytes += entry.bytes;
          entry.settle();
          return { fresh: false, answer };
        }
      } catch (e) {
        if (e instanceof ChatdError) { this.drop(key); entry.settle(); throw e; }
        this.log.warn('dedupe: redis unavailable; remembering ids on this node only', { err: (e as Error).message });
      }
    }
    let over = false;
    return {
      fresh: true,
      done: (answer) => {
        if (over) return;
        over = true;
        const kept = keptAnswer(answer);
        entry.answer = kept.frames;
        // Still ours unless dropped meanwhile (the count bound): only what is held is counted.
        if (this.local.get(key) === entry) {
          entry.bytes = kept.json.length;
          this.bytes += entry.bytes;
        }
        entry.settle();
        while (this.bytes > LOCAL_BYTES_MAX && this.local.size > 1) this.drop(this.local.keys().next().value as string);
        if (remote) remote.redis.set(rkey, kept.json, 'PX', window).catch(() => {});
      },
      abandon: () => {
        if (over) return;
        over = true;
        this.drop(key);
        entry.settle();
        if (remote) remote.redis.del(rkey).catch(() => {});
      },
    };
  }

  private entry(key: string): Entry {
    let settle!: () => void;
    const ready = new Promise<void>((r) => { settle = r; });
    const e: Entry = { at: Date.now(), answer: null, bytes: 0, ready, settle };
    this.drop(key);
    this.local.set(key, e);
    if (this.local.size > LOCAL_MAX) this.drop(this.local.keys().next().value as string);
    return e;
  }

  private drop(key: string): void {
    const e = this.local.get(key);
    if (!e) return;
    this.bytes -= e.bytes;
    this.local.delete(key);
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
      if (e.answer) this.drop(k);
    }
  }
}
