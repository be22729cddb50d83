// The multi-node bus over Redis (ioredis): one pub/sub channel carries room, DM and moderation
// messages to every node in publish order; presence is a per-node key with a TTL, so a node that
// dies disappears by itself. While Redis is away, each node keeps serving its own sessions.
import { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import type { Bus, BusMessage, BusNode, PresenceEntry } from './types.js';

const CHANNEL = 'chatd:bus';
const NODES = 'chatd:nodes'; // sorted set: node name scored by the expiry of its presence key
const presenceKey = (node: string) => `chatd:presence:${node}`;

export class RedisBus implements Bus {
  readonly kind = 'redis' as const;
  private readonly pub: Redis;
  private readonly sub: Redis;
  private node: BusNode | null = null;
  private timer: NodeJS.Timeout | null = null;
  private pushScheduled = false;
  private downSince: number | null = null;

  constructor(url: string, private readonly nodeName: string, private readonly ttlMs: number, private readonly log: Logger) {
    const opts = {
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false, // no unbounded queue while Redis is away
      retryStrategy: (n: number) => Math.min(2000, 100 * n),
    };
    this.pub = new Redis(url, opts);
    this.sub = new Redis(url, opts);
    for (const [name, c] of [['publisher', this.pub], ['subscriber', this.sub]] as const) {
      c.on('error', (e: Error) => this.markDown(`${name}: ${e.message}`));
      c.on('ready', () => this.markUp());
    }
    this.sub.on('message', (_ch: string, raw: string) => this.onMessage(raw));
  }

  async start(node: BusNode): Promise<void> {
    this.node = node;
    try {
      await Promise.all([this.pub.connect(), this.sub.connect()]);
    } catch (e) {
      throw new Error(`redis unreachable: ${(e as Error).message}`);
    }
    await this.sub.subscribe(CHANNEL);
    await this.pushPresence();
    this.timer = setInterval(() => void this.pushPresence(), Math.max(200, Math.floor(this.ttlMs / 3)));
  }

  private markDown(why: string): void {
    if (this.downSince === null) {
      this.downSince = Date.now();
      this.log.error('redis unavailable; serving local sessions only', { err: why });
    }
  }

  private markUp(): void {
    if (this.downSince === null) return;
    if (this.pub.status !== 'ready' || this.sub.status !== 'ready') return;
    this.log.info('redis back; resynchronizing presence', { downMs: Date.now() - this.downSince });
    this.downSince = null;
    void this.pushPresence();
  }

  private get up(): boolean { return this.pub.status === 'ready' && this.sub.status === 'ready'; }

  publish(msg: BusMessage): void {
    if (!this.up) { this.node?.deliver(msg); return; }
    this.pub.publish(CHANNEL, JSON.stringify(msg)).catch((e: Error) => {
      this.markDown(e.message);
      this.node?.deliver(msg);
    });
    this.presenceChanged();
  }

  private onMessage(raw: string): void {
    let msg: BusMessage;
    try { msg = JSON.parse(raw); } catch { this.log.warn('bad bus message ignored'); return; }
    this.node?.deliver(msg);
  }

  /** Presence is pushed soon after a change (joins, logins), not only on the TTL timer. */
  presenceChanged(): void {
    if (this.pushScheduled) return;
    this.pushScheduled = true;
    setTimeout(() => { this.pushScheduled = false; void this.pushPresence(); }, 50).unref();
  }

  private async pushPresence(): Promise<void> {
    if (!this.node || !this.up) return;
    const now = Date.now();
    try {
      await this.pub.multi()
        .set(presenceKey(this.nodeName), JSON.stringify(this.node.localPresence()), 'PX', this.ttlMs)
        .zadd(NODES, now + this.ttlMs, this.nodeName)
        .zremrangebyscore(NODES, '-inf', now)
        .exec();
    } catch (e) {
      this.markDown((e as Error).message);
    }
  }

  async presence(): Promise<PresenceEntry[]> {
    const local = this.node ? this.node.localPresence() : [];
    if (!this.up) return local;
    try {
      const nodes = (await this.pub.zrangebyscore(NODES, Date.now(), '+inf')).filter((n) => n !== this.nodeName);
      if (!nodes.length) return local;
      const values = await this.pub.mget(...nodes.map(presenceKey));
      const remote = values.flatMap((v) => (v ? (JSON.parse(v) as PresenceEntry[]) : []));
      return [...local, ...remote];
    } catch (e) {
      this.markDown((e as Error).message);
      return local;
    }
  }

  status(): string {
    return this.downSince === null ? 'ok' : `redis unavailable since ${new Date(this.downSince).toISOString()}; local sessions only`;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    try {
      if (this.up) await this.pub.multi().del(presenceKey(this.nodeName)).zrem(NODES, this.nodeName).exec();
    } catch { /* leaving anyway */ }
    this.pub.disconnect();
    this.sub.disconnect();
    this.node = null;
  }
}
