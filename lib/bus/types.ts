// What crosses nodes. With the memory bus these go straight back to the local node; with Redis every
// node (the sender's included) receives them in publish order and delivers to its own sessions only.
import type { ByeCode } from '../errors.js';
import type { DmFrame, EventFrame, FrameId, MessageFrame } from '../protocol/frames.js';

export type Origin = { node: string; session: string; ack?: FrameId };

export type BusMessage =
  | { t: 'room'; room: string; frame: MessageFrame | EventFrame; origin?: Origin }
  | { t: 'dm'; to: string; from: string; frame: DmFrame; origin?: Origin; mailbox?: true }
  | { t: 'all'; frame: EventFrame }
  | { t: 'kill'; user: string; code: ByeCode; reason: string }
  | { t: 'user'; user: string; role: string; level: number; color: string }
  /** A user's own name color (//color): the color only, never a role or level (those may change meanwhile). */
  | { t: 'color'; user: string; color: string }
  | { t: 'mute'; user: string; until: number | null }
  | { t: 'unmute'; user: string }
  | { t: 'topic'; room: string; topic: string }
  | { t: 'away'; user: string; account?: number; message: string | null; since: number };

/** One live session as `users` and `connections` show it, on any node. */
export type PresenceEntry = {
  id: string; user: string; role: string; level: number; color: string; rooms: string[]; remote: string; node: string;
  since: number; lastActive: number; tls: string; fingerprint: string | null; mode: 'json' | 'text' | 'irc'; bytesIn: number; bytesOut: number;
};

/** The node a bus serves: where messages are delivered and where local presence comes from. */
export interface BusNode {
  readonly nodeName: string;
  deliver(msg: BusMessage): void;
  /**
   * The bus is back after an outage: what other nodes said meanwhile never reached this node, so its
   * memory of recent messages has a hole, and a resume served from it would skip what is in it.
   */
  busBack?(): void;
  localPresence(): PresenceEntry[];
  /** limits.maxText: the longest text a message from the bus may carry (lib/bus/inbound.ts). */
  textLimit(): number;
  /** The same for every node on one database: messages and presence of another cluster are ignored. */
  readonly clusterTag: string;
}

export interface Bus {
  readonly kind: 'memory' | 'redis';
  start(node: BusNode): Promise<void>;
  publish(msg: BusMessage): void;
  /** Every live session on every node this bus can see. */
  presence(): Promise<PresenceEntry[]>;
  /**
   * Redis bus only: its connection and key prefix for cluster-wide login counters
   * (lib/auth/counters.ts), or null while Redis is down.
   */
  sharedRedis?(): { redis: import('ioredis').Redis; prefix: string } | null;
  /** "ok", or a sentence saying what is degraded (shown by `connections`). */
  status(): string;
  /** Resolves when the bus answers a round trip (Redis PING); for readiness probes. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
