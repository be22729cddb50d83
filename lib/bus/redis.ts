// The multi-node bus over Redis (ioredis): one pub/sub channel carries room, DM and moderation
// messages to every node in publish order; presence is a per-node key with a TTL, so a node that
// dies disappears by itself. While Redis is away, each node keeps serving its own sessions.
//
// Namespace: every channel and key starts with a prefix, `chatd:` unless the URL says otherwise
// (`redis://host:6379/0?prefix=staging:`), so several clusters or test runs can share one Redis.
// Pub/sub channels ignore the database number, so `/0` alone would not keep them apart.
import crypto from 'node:crypto';
import { Redis } from 'ioredis';
import { SetupError } from '../errors.js';
import type { Logger } from '../log.js';
import { checkBusMessage, checkPresence } from './inbound.js';
import type { Bus, BusMessage, BusNode, PresenceEntry } from './types.js';
import { withTimeout } from '../timeout.js';

export const DEFAULT_PREFIX = 'chatd:';
const PREFIX_RE = /^[\x21-\x7e]{1,64}$/; // printable ASCII, no spaces
/** Publishes waiting for Redis beyond this are delivered locally instead (Redis is not keeping up). */
const MAX_INFLIGHT = 10_000;
/** Publishers (chatd processes) whose last message number is remembered; a node restart is a new one. */
const MAX_PUBLISHERS = 10_000;
/** Presence is refreshed at least this often, whatever the TTL, so a closed session leaves within 5 s. */
const MAX_REFRESH_MS = 5_000;
/** How long a stop waits for Redis to take this node's goodbye (its presence and name removed). */
const GOODBYE_MS = 500;

/** Splits `?prefix=` off a bus URL; the rest (host, port, /db, password, other options) goes to ioredis. */
export function parseRedisUrl(url: string): { url: string; prefix: string } {
  let u: URL;
  try { u = new URL(url); } catch { throw new SetupError('bad --bus URL: not a URL (use redis://host:6379)', 2); }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new SetupError('bad --bus URL: use redis://host:6379 or rediss://host:6380', 2);
  const prefix = u.searchParams.get('prefix') ?? DEFAULT_PREFIX;
  if (!PREFIX_RE.test(prefix)) throw new SetupError('bad --bus URL: prefix= must be 1-64 printable ASCII characters without spaces', 2);
  u.searchParams.delete('prefix');
  return { url: u.toString(), prefix };
}

/** Names of everything this bus touches in Redis. */
export function redisNames(prefix: string) {
  return {
    channel: `${prefix}bus`,
    nodes: `${prefix}nodes`, // sorted set: node name scored by the expiry of its presence key
    presence: (node: string) => `${prefix}presence:${node}`, // JSON PresenceEntry[], PX = presence TTL
    owner: (node: string) => `${prefix}owner:${node}`, // the live process holding the name, PX = presence TTL
  };
}

/** What this node publishes when its own presence changed: a session joined, left a room, or quit. */
function changesLocalPresence(msg: BusMessage): boolean {
  return msg.t === 'room' && msg.frame.type === 'event' && (msg.frame.event === 'join' || msg.frame.event === 'part' || msg.frame.event === 'quit');
}

export class RedisBus implements Bus {
  readonly kind = 'redis' as const;
  readonly prefix: string;
  private readonly names: ReturnType<typeof redisNames>;
  private readonly pub: Redis;
  private readonly sub: Redis;
  /** Tells this process from an earlier or concurrent one using the same node name. */
  private readonly instance = crypto.randomBytes(8).toString('hex');
  private node: BusNode | null = null;
  private timer: NodeJS.Timeout | null = null;
  private pushScheduled = false;
  /** When the presence push now waiting for Redis began, or null. */
  private pushSince: number | null = null;
  private pushes = 0;
  private subscribed = false;
  private started = false;
  private closing = false;
  private downSince: number | null = null;
  private inflight = 0;
  /** This process's publishes, numbered; and the last number seen from each publisher (see fresh). */
  private seq = 0;
  private readonly seen = new Map<string, number>();
  private lastBacklogLog = 0;
  private lastClashLog = 0;
  private lastOtherClusterLog = 0;
  private lastError = '';
  private readonly where: string;

  /**
   * `ttl`: limits.presenceTtlMs as it is now, read at every push (a SIGHUP reload changes it; taken
   * once at start, a lowered TTL reached Redis only at the next restart).
   */
  constructor(url: string, private readonly nodeName: string, private readonly ttl: () => number, private readonly log: Logger) {
    const parsed = parseRedisUrl(url);
    this.prefix = parsed.prefix;
    this.names = redisNames(parsed.prefix);
    this.where = new URL(parsed.url).host; // for messages: never the password
    const opts = {
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false, // no unbounded queue while Redis is away
      autoResubscribe: false, // we resubscribe ourselves, and only then say the bus is back
      retryStrategy: (n: number) => Math.min(2000, 100 * n),
    };
    this.pub = new Redis(parsed.url, opts);
    this.sub = new Redis(parsed.url, opts);
    for (const [name, c] of [['publisher', this.pub], ['subscriber', this.sub]] as const) {
      c.on('error', (e: Error) => { this.lastError = e.message; this.markDown(`${name}: ${e.message}`); });
      c.on('close', () => { if (c === this.sub) this.subscribed = false; this.markDown(`${name}: connection closed`); });
    }
    this.pub.on('ready', () => this.markUp());
    this.sub.on('ready', () => void this.subscribe());
    this.sub.on('message', (_ch: string, raw: string) => this.onMessage(raw));
  }

  async start(node: BusNode): Promise<void> {
    this.node = node;
    try {
      await Promise.all([this.pub.connect(), this.sub.connect()]);
      await this.subscribe(true);
    } catch (e) {
      throw new Error(`redis unreachable at ${this.where}: ${this.lastError || (e as Error).message}`);
    }
    this.started = true;
    await this.pushPresence();
    this.armRefresh();
  }

  /** The next refresh, a third of the TTL as it is now from now (at most MAX_REFRESH_MS). */
  private armRefresh(): void {
    if (this.closing) return;
    const every = Math.min(MAX_REFRESH_MS, Math.max(200, Math.floor(this.ttl() / 3)));
    this.timer = setTimeout(() => { this.armRefresh(); void this.pushPresence(); }, every);
    this.timer.unref();
  }

  /** (Re)subscribes; the bus counts as up only once the subscription is confirmed. */
  private async subscribe(rethrow = false): Promise<void> {
    try {
      await this.sub.subscribe(this.names.channel);
      this.subscribed = true;
      this.markUp();
    } catch (e) {
      if (rethrow) throw e;
      this.markDown(`subscriber: ${(e as Error).message}`);
    }
  }

  private markDown(why: string): void {
    if (!this.started || this.closing || this.downSince !== null) return;
    this.downSince = Date.now();
    this.log.error('redis unavailable; serving local sessions only', { err: why });
  }

  private markUp(): void {
    if (this.downSince === null || !this.up) return;
    this.log.info('redis back; resynchronizing presence', { downMs: Date.now() - this.downSince });
    this.downSince = null;
    this.pushes = 0; // Redis may have restarted empty: the next push is a fresh claim on our name
    this.node?.busBack?.();
    void this.pushPresence();
  }

  private get up(): boolean { return this.pub.status === 'ready' && this.sub.status === 'ready' && this.subscribed; }

  publish(msg: BusMessage): void {
    if (changesLocalPresence(msg)) this.presenceChanged();
    if (!this.up) { this.node?.deliver(msg); return; }
    if (this.inflight >= MAX_INFLIGHT) {
      const now = Date.now();
      if (now - this.lastBacklogLog > 10_000) {
        this.lastBacklogLog = now;
        this.log.warn('redis publish backlog full; delivering locally only', { inflight: this.inflight });
      }
      this.node?.deliver(msg);
      return;
    }
    this.inflight++;
    const seq = ++this.seq;
    this.pub.publish(this.names.channel, JSON.stringify({ ...msg, src: this.instance, seq, cl: this.node?.clusterTag })).then(
      () => { this.inflight--; },
      (e: Error) => {
        this.inflight--;
        this.markDown(e.message);
        // Failed as far as we know; but Redis may have taken it before the connection went, and then
        // our subscriber has delivered it already.
        if (this.fresh(this.instance, seq)) this.node?.deliver(msg);
      },
    );
  }

  /**
   * Whether the message `seq` of publisher `src` is new here. One publisher's messages arrive in the
   * order it sent them, so anything at or below the last one seen is a copy: ioredis resends the
   * publishes that had no answer when a connection dropped, and Redis may have run them already
   * (every node, the sender's too, delivered the message twice).
   */
  private fresh(src: string, seq: number): boolean {
    const last = this.seen.get(src);
    if (last !== undefined && seq <= last) return false;
    this.seen.delete(src); // most recently heard last: the oldest publishers are forgotten first
    this.seen.set(src, seq);
    if (this.seen.size > MAX_PUBLISHERS) this.seen.delete(this.seen.keys().next().value!);
    return true;
  }

  private onMessage(raw: string): void {
    if (!this.node) return;
    // Checked and its texts sanitized again before anything reads it (lib/bus/inbound.ts).
    const checked = checkBusMessage(raw, this.node.textLimit());
    if ('bad' in checked) { this.log.warn('bad bus message ignored', { why: checked.bad }); return; }
    const { msg, stamp } = checked;
    if (stamp?.cluster && stamp.cluster !== this.node.clusterTag) return this.otherCluster();
    if (stamp && !this.fresh(stamp.src, stamp.seq)) {
      this.log.warn('duplicate bus message dropped', { t: msg.t, src: stamp.src, seq: stamp.seq });
      return;
    }
    // A role or color change alters this node's sessions; the node that published it cannot push that.
    if (msg.t === 'user' || msg.t === 'color') this.presenceChanged();
    try {
      this.node?.deliver(msg);
    } catch (e) {
      // One message that a node cannot deliver must not reach into ioredis's reader and stop the rest.
      this.log.error('bus message not delivered', { t: msg.t, err: (e as Error).message });
    }
  }

  /** Presence is pushed soon after a change (logins, joins, parts, quits, roles), not only on the timer. */
  presenceChanged(): void {
    if (this.pushScheduled) return;
    this.pushScheduled = true;
    setTimeout(() => { this.pushScheduled = false; void this.pushPresence(); }, 50).unref();
  }

  private async pushPresence(): Promise<void> {
    if (!this.node || !this.up || this.closing) return;
    const now = Date.now();
    const ttlMs = this.ttl();
    if (this.pushSince !== null) {
      // One push at a time: each holds this node's whole presence, and a Redis that stopped
      // answering on a connection that stays open (a dead path: no reset, keepalive takes hours)
      // had one more queued in ioredis every refresh, and the bus said "ok" all along while nothing
      // crossed nodes. Unanswered for a whole TTL (our key has expired by now): both connections
      // are dropped and made again; what was unanswered is resent, copies dropped by number (fresh).
      if (now - this.pushSince >= ttlMs) this.stalled(now - this.pushSince);
      return;
    }
    this.pushSince = now;
    const mine = now;
    const { nodes, presence, owner } = this.names;
    try {
      const res = await this.pub.multi()
        .set(owner(this.nodeName), this.instance, 'PX', ttlMs, 'GET')
        .set(presence(this.nodeName), JSON.stringify(this.node.localPresence().map((p) => ({ ...p, cl: this.node!.clusterTag }))), 'PX', ttlMs)
        .zadd(nodes, now + ttlMs, this.nodeName)
        // Liveness is the key's own TTL (Redis's clock); the score only lets the set be trimmed,
        // with one TTL of grace so nodes with slightly different clocks do not remove each other.
        .zremrangebyscore(nodes, '-inf', now - ttlMs)
        .pexpire(nodes, ttlMs * 2) // when the last node is gone, nothing of the cluster stays in Redis
        .exec();
      const failed = res?.find(([err]) => err);
      if (failed) throw failed[0]; // e.g. OOM: the transaction ran, but presence was not stored
      const previous = res?.[0]?.[1] as string | null | undefined;
      if (this.pushes++ > 0 && previous && previous !== this.instance) this.nameClash();
      // A failed command (not a lost connection) may have marked the bus down; a push that works heals it.
      if (this.downSince !== null) this.markUp();
    } catch (e) {
      this.markDown((e as Error).message);
    } finally {
      if (this.pushSince === mine) this.pushSince = null;
    }
  }

  private stalled(ms: number): void {
    this.markDown(`no answer from redis for ${ms} ms`);
    this.pushSince = null;
    this.pub.disconnect(true);
    this.sub.disconnect(true);
  }

  /**
   * A message or a presence entry of another cluster (another database) on our channel and keys: two
   * clusters were given one Redis and one prefix. Ignored, and said loudly: without this, they were
   * one chat (messages crossed, a moderator of one kicked the users of the other).
   */
  private otherCluster(): void {
    const now = Date.now();
    if (now - this.lastOtherClusterLog < 60_000) return;
    this.lastOtherClusterLog = now;
    this.log.error('another cluster (another database) uses this Redis with the same key prefix; its messages and sessions are ignored. Give each cluster its own ?prefix= on --bus', { prefix: this.prefix });
  }

  /** Someone else wrote our owner key between two of our pushes: two live nodes share a name. */
  private nameClash(): void {
    const now = Date.now();
    if (now - this.lastClashLog < 60_000) return;
    this.lastClashLog = now;
    this.log.error('another live node uses this node name; presence and acknowledgements will be wrong. Give every node its own --node-name', { node: this.nodeName });
  }

  async presence(): Promise<PresenceEntry[]> {
    const local = this.node ? this.node.localPresence() : [];
    if (!this.up) return local;
    try {
      const nodes = (await this.pub.zrange(this.names.nodes, '0', '-1')).filter((n) => n !== this.nodeName);
      if (!nodes.length) return local;
      const values = await this.pub.mget(...nodes.map(this.names.presence));
      const remote: PresenceEntry[] = [];
      for (const v of values) {
        if (!v) continue; // expired: that node stopped refreshing (died) more than a TTL ago
        // What does not fit is skipped, and so are the sessions of another cluster (lib/bus/inbound.ts).
        const { entries, foreign } = checkPresence(v, this.node?.clusterTag ?? '');
        remote.push(...entries);
        if (foreign) this.otherCluster();
      }
      return [...local, ...remote];
    } catch (e) {
      this.markDown((e as Error).message);
      return local;
    }
  }

  sharedRedis(): { redis: Redis; prefix: string } | null {
    return this.up && !this.closing ? { redis: this.pub, prefix: this.prefix } : null;
  }

  status(): string {
    return this.downSince === null ? 'ok' : `redis unavailable since ${new Date(this.downSince).toISOString()}; local sessions only`;
  }

  /** Both connections must answer: the subscriber carries every other node's messages. */
  async ping(): Promise<void> {
    if (!this.subscribed) throw new Error('redis subscriber not subscribed');
    await this.pub.ping();
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.closing = true; // from here no push may re-create what is removed below
    try {
      if (this.up) {
        const { nodes, presence, owner } = this.names;
        // Bounded: a silent path to Redis (not noticed yet, which takes up to the presence TTL) answers
        // nothing, and a stop waiting for it ran into its hard deadline and exited 1. Unsaid, the
        // goodbye is done by the presence TTL instead.
        await withTimeout((async () => {
          await this.pub.multi().del(presence(this.nodeName)).zrem(nodes, this.nodeName).exec();
          // Only our own claim on the name is removed; a newer process with the same name keeps its.
          if ((await this.pub.get(owner(this.nodeName))) === this.instance) await this.pub.del(owner(this.nodeName));
        })(), GOODBYE_MS);
      }
    } catch (e) {
      this.log.warn('redis did not answer the goodbye; leaving anyway (presence expires by its TTL)', { err: (e as Error).message });
    }
    this.pub.disconnect();
    this.sub.disconnect();
    this.node = null;
  }
}
