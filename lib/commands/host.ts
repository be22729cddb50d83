// What commands may use of the node they run on. Commands depend on this interface, not on ChatNode,
// so the registry and every command run against a fake host in specs (no TLS, no database).
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { PresenceEntry } from '../bus/types.js';
import type { DmFrame, EventFrame, EventName, MessageFrame } from '../protocol/frames.js';
import type { Session, SessionUser } from '../session.js';
import type { AuditEntry, Store } from '../store/index.js';
import type { MuteGuard } from '../store/moderation.js';
import type { Registry } from './registry.js';

export interface CommandHost {
  readonly config: Config;
  readonly log: Logger;
  /** The database, bounded by limits.dbTimeoutMs; a failure rejects with SERVICE_UNAVAILABLE. */
  readonly db: Store;
  readonly registry: Registry;
  readonly motd: string;
  busStatus(): string;
  presence(): Promise<PresenceEntry[]>;
  onlineUsers(): Promise<Map<string, PresenceEntry[]>>;
  /** Per message (//msg): a recipient on this node is known without fetching every node's presence. */
  isOnline(user: string): Promise<boolean>;
  /** Throws MUTED when the user may not speak (messages, and broadcasts of staff alike). */
  assertNotMuted(u: SessionUser): void;
  isMuted(user: string): boolean;
  /** When a user's mute ends: a time, null for permanent, undefined when not muted. */
  mutedUntil(user: string): number | null | undefined;
  say(s: Session, raw: string, kind: 'say' | 'me'): MessageFrame;
  dm(s: Session, to: string, raw: string): DmFrame;
  /** A DM to an existing user who is offline: waits in their mailbox (MAILBOX_FULL when full). */
  dmOffline(s: Session, to: string, raw: string): Promise<DmFrame>;
  /** Starts (a message) or ends (null) a user's absence, on every node. */
  setAway(user: SessionUser, message: string | null): void;
  awayOf(user: string): { message: string; since: number } | undefined;
  /** True the first time `sender` writes to `user` during the current absence (one notice each). */
  tellAway(user: string, sender: string): boolean;
  /** Throws FORBIDDEN when joining `room` would pass the rooms-per-user or rooms-in-total cap. */
  admitRoom(s: Session, room: string): Promise<void>;
  join(s: Session, room: string): Promise<void>;
  part(s: Session, room: string): void;
  topicOf(room: string): string;
  /** Stores the topic with its audit row, then shows it here and on every node. */
  setTopic(room: string, topic: string, by: string): Promise<void>;
  recentHistory(room: string, n: number): Promise<MessageFrame[]>;
  /** Resolves once the messages said so far are written (history writes are batched), or after dbTimeoutMs. */
  settleHistory(): Promise<void>;
  publishEvent(event: EventName, fields: Omit<EventFrame, 'type' | 'event' | 'ts'>): void;
  updateUser(user: string, role: { name: string; level: number; color: string }): void;
  /** A new name color for a user's live sessions on every node; their role and level stay what they are. */
  recolor(user: string, color: string): void;
  kill(user: string, code: 'KICKED' | 'BANNED', reason: string): void;
  /** Stores the mute with `audit` (one transaction), then applies it here and tells every node. */
  mute(user: { id: number; username: string }, until: number | null, by: { name: string; level: number }, audit: AuditEntry, guard?: MuteGuard): Promise<void>;
  /** Lifts the mute with `audit` (one transaction), then here and on every node. */
  unmute(user: { id: number; username: string }, audit: AuditEntry, guard?: MuteGuard): Promise<void>;
  /** Checks the old password like a login (throttle, lockout), then stores the new one. */
  changePassword(user: string, remote: string, oldPassword: string, newPassword: string): Promise<void>;
}
