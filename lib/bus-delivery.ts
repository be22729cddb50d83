// Bus messages arriving at this node, applied to its own sessions: room and DM fan-out, broadcasts,
// and the moderation and presence state every node mirrors. Its own module because it is the one
// hot path of the node (every message to every member) and reads the node's state without owning it.
import type { AwayList } from './away.js';
import type { BusMessage } from './bus/types.js';
import type { Mailboxes } from './dms.js';
import type { Metrics } from './metrics.js';
import type { MuteList } from './mutes.js';
import type { EventFrame } from './protocol/frames.js';
import { Outgoing } from './protocol/outgoing.js';
import { PresenceBatches } from './presence-batch.js';
import type { RoomHistory } from './room-history.js';
import type { Session } from './session.js';

/** The node state a delivery reads and updates; the maps are the node's own (shared, not copied). */
export interface DeliveryState {
  readonly nodeName: string;
  readonly metrics: Metrics;
  readonly rooms: ReadonlyMap<string, Set<Session>>;
  readonly byUser: ReadonlyMap<string, Set<Session>>;
  readonly roomHistory: RoomHistory;
  readonly mailboxes: Mailboxes;
  readonly mutes: MuteList;
  readonly topics: Map<string, string>;
  readonly away: AwayList;
  /** limits.presenceBatchMs: how long join, part and quit events may be held to be sent together. */
  presenceBatchMs(): number;
  restyle(sessions: Iterable<Session>, r: { role?: string; level: number; color: string }): void;
  /**
   * A user's sessions here, those logged in but not attached yet (not in byUser) included: an IRC
   * client may stay so between SASL and registration for up to limits.loginTimeoutMs, and a kill or a
   * new role must reach it there too, or it registers banned, or with the role it had.
   */
  sessionsOf(user: string): ReadonlySet<Session> | undefined;
  /** A role change heard of: logins of the user in flight read their account again (lib/account-changes.ts). */
  accountChanged(user: string): void;
  /** Every session here hears that `user`'s away state changed. */
  awayChanged(user: string, message: string | null): void;
}

/** The events that are batched (lib/presence-batch.ts): one per member per login, logout or part. */
const PRESENCE = new Set(['join', 'part', 'quit']);

export class BusDelivery {
  private readonly presence: PresenceBatches;

  constructor(private readonly node: DeliveryState) {
    this.presence = new PresenceBatches(node.rooms, () => node.presenceBatchMs(), (n) => node.metrics.deliveries.inc(n));
  }

  /** `s` was added to `room`'s members: it gets the presence events from now on, not those held. */
  joined(room: string, s: Session): void { this.presence.joined(room, s); }

  /** Sends every held presence event (shutdown). */
  flushPresence(): void { this.presence.flushAll(); }

  deliver(msg: BusMessage): void {
    switch (msg.t) {
      case 'room': {
        // Remembered in delivery order (not when said), which is the order a resuming join replays.
        if (msg.frame.type === 'message') this.node.roomHistory.remember(msg.frame);
        if (msg.frame.type === 'event' && PRESENCE.has(msg.frame.event)) {
          const told = msg.origin?.node === this.node.nodeName ? msg.origin.session : undefined;
          const frame = this.accountPresence(msg.room, msg.frame, told);
          return frame ? this.presence.add(msg.room, new Outgoing(frame), told) : undefined;
        }
        this.presence.flushRoom(msg.room); // what was held comes first
        const members = this.node.rooms.get(msg.room);
        if (!members) return;
        const out = new Outgoing(msg.frame);
        // The sender's own session gets its message with the ack of its frame; everyone else the shared bytes.
        const ack = msg.origin?.node === this.node.nodeName ? msg.origin.ack : undefined;
        if (msg.frame.type !== 'message' || ack === undefined) return this.fanout(members, out);
        const acked = { ...msg.frame, ack };
        const sender = msg.origin!.session;
        this.node.metrics.deliveries.inc(members.size);
        for (const s of members) s.send(s.id === sender ? acked : out);
        return;
      }
      case 'dm': {
        const out = new Outgoing(msg.frame);
        const targets = new Set([...(this.node.byUser.get(msg.to) ?? []), ...(this.node.byUser.get(msg.from) ?? [])]);
        if (msg.mailbox && this.node.byUser.get(msg.to)?.size) this.node.mailboxes.delivered([msg.frame.id]);
        this.fanout(targets, out);
        return;
      }
      case 'all': {
        const out = new Outgoing(msg.frame);
        for (const set of this.node.byUser.values()) this.fanout(set, out);
        return;
      }
      case 'kill':
        for (const s of [...(this.node.sessionsOf(msg.user) ?? [])]) s.bye(msg.code, msg.reason);
        return;
      case 'user':
        this.node.accountChanged(msg.user);
        this.node.restyle(this.node.sessionsOf(msg.user) ?? [], msg);
        return;
      case 'color':
        for (const s of this.node.sessionsOf(msg.user) ?? []) if (s.user) s.user = { ...s.user, color: msg.color };
        return;
      case 'mute': this.node.mutes.set(msg.user, msg.until); return;
      case 'unmute': this.node.mutes.set(msg.user, undefined); return;
      case 'topic': this.node.topics.set(msg.room, msg.topic); return;
      case 'away':
        this.node.away.set(msg.user, msg.message, msg.since, msg.account);
        this.node.awayChanged(msg.user, msg.message);
        return;
    }
  }

  /**
   * join, part and quit as the members here should see them: an account's, not a session's. A user
   * in a room from IRC and from chat-cli at once is one nick in the channel; when one of the two left,
   * IRC clients were told PART or QUIT and dropped a user who was still there and still talking (and
   * a QUIT from every channel). So an event about someone who still has, or already had, a session in
   * the room on this node is not passed on, and a quit of someone still on this node in other rooms
   * is a part. `origin`: the joining session itself, which is not "already there". Sessions of the
   * same account on other nodes are not seen here: that case still shows both.
   */
  private accountPresence(room: string, frame: EventFrame, origin: string | undefined): EventFrame | null {
    const mine = frame.user === undefined ? undefined : this.node.byUser.get(frame.user);
    if (!mine) return frame;
    for (const s of mine) if (s.id !== origin && s.rooms.has(room)) return null;
    return frame.event === 'quit' ? { ...frame, event: 'part' } : frame;
  }

  /** One counter update per fan-out, with the recipient count: never one per recipient. */
  private fanout(targets: Iterable<Session> & { size: number }, out: Outgoing): void {
    this.node.metrics.deliveries.inc(targets.size);
    for (const s of targets) s.send(out);
  }
}
