// The frames of the JSON Lines protocol (DESIGN.md "Wire protocol"), typed once.
import type { ByeCode, ErrorCode } from '../errors.js';

/** The ALPN protocol id that selects JSON Lines; a connection without ALPN gets text mode. */
export const ALPN = 'chatd/1';
/** The ALPN protocol id of enrollment: the only one a client without a certificate may speak. */
export const ENROLL_ALPN = 'chatd-enroll/1';

export type FrameId = string | number;

// client → server
/** With `resume` (a token from an earlier login_ok) instead of `password`: a cheap reconnect (PROTOCOL.md). */
export type LoginFrame = { type: 'login'; user: string; password: string; id?: FrameId } | { type: 'login'; user: string; resume: string; id?: FrameId };
export type SayFrame = { type: 'say'; text: string; room?: string; id?: FrameId };
export type CommandFrame = { type: 'command'; line: string; id?: FrameId };
export type PingFrame = { type: 'ping'; id?: FrameId };
export type PongFrame = { type: 'pong'; id?: FrameId };
export type QuitFrame = { type: 'quit'; id?: FrameId };
/** A logged-in session asks for a certificate for a new key (DESIGN.md "Enrollment and certificate lifecycle"). */
export type RenewFrame = { type: 'renew'; csr: string; id?: FrameId };
/** Joins a room like `//join`; with `since` (a message id) it replays every message after it (gap-free resume). */
export type JoinFrame = { type: 'join'; room: string; since?: string; id?: FrameId };
export type ClientFrame = LoginFrame | SayFrame | CommandFrame | PingFrame | PongFrame | QuitFrame | RenewFrame | JoinFrame;

// server → client
export type UserRef = { name: string; role: string; color: string };
export type WelcomeFrame = { type: 'welcome'; server: string; version: string; protocol: 1; prefix: string; cert_user: string | null };
/** `resume`: JSON sessions with a client certificate, unless limits.resumeTokenTtlMs is 0 (PROTOCOL.md). */
export type LoginOkFrame = {
  type: 'login_ok'; user: UserRef & { level: number }; room: string; motd: string; notice?: string; resume?: string; id?: FrameId;
};
/**
 * `notice`: sent as an IRC NOTICE, which no client or bot may answer automatically (RFC 2812 3.3.2);
 * IRC users get it as a NOTICE again, the others as any message.
 */
export type MessageFrame = {
  type: 'message'; id: string; ts: string; room: string; from: UserRef; text: string; kind: 'say' | 'me'; ack?: FrameId; notice?: true;
};
/** `offline`: it waited in the mailbox while the recipient was offline (DESIGN.md "Conversations"). `notice`: as for MessageFrame. */
export type DmFrame = { type: 'dm'; id: string; ts: string; from: UserRef; to: string; text: string; offline?: boolean; notice?: true };
export type EventName = 'join' | 'part' | 'quit' | 'kick' | 'ban' | 'unban' | 'mute' | 'unmute' | 'role' | 'topic' | 'announce' | 'away';
export type EventFrame = {
  type: 'event'; event: EventName; room?: string; user?: string; by?: string; reason?: string; ts: string;
  role?: string; topic?: string; text?: string;
};
export type ResultFrame = { type: 'result'; command: string; text: string; data?: unknown; id?: FrameId };
export type ErrorFrame = { type: 'error'; code: ErrorCode; message: string; id?: FrameId };
export type HistoryFrame = {
  type: 'history'; room: string; messages: MessageFrame[]; id?: FrameId;
  /** The matches of a search, after its result. */ search?: true;
  /** A resuming join: more was missed than limits.resumeMax. */ truncated?: boolean;
};
export type ServerPingFrame = { type: 'ping'; id?: FrameId };
export type ServerPongFrame = { type: 'pong'; id?: FrameId };
export type ByeFrame = {
  type: 'bye'; code: ByeCode; reason: string;
  /** bye SHUTDOWN of a JSON session with a client certificate: a fresh resume token (PROTOCOL.md). */ resume?: string;
};
export type RenewedFrame = { type: 'renewed'; cert: string; not_after: string; id?: FrameId };
export type ServerFrame =
  | WelcomeFrame | LoginOkFrame | MessageFrame | DmFrame | EventFrame | ResultFrame | ErrorFrame | HistoryFrame
  | ServerPingFrame | ServerPongFrame | ByeFrame | RenewedFrame;

export const CLIENT_FRAME_TYPES = new Set(['login', 'say', 'command', 'ping', 'pong', 'quit', 'renew', 'join']);
