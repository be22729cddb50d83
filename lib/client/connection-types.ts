// The shapes a front end of ChatConnection sees: its options, its events, the meta of each frame and
// its states. Their own module so that front ends and specs can name them without the class, and so
// that connection.ts holds only the session logic (connection.ts re-exports them).
import type { SetupError } from '../errors.js';
import type { ClientFrame, ServerFrame } from '../protocol/frames.js';
import type { BackoffOptions } from './backoff.js';
import type { RetryInfo } from './reconnect.js';
import type { Answer } from './requests.js';

export type ConnectionOptions = {
  host: string;
  port: number;
  /** PEM contents (already read and checked by the caller). */
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
  /** The --cert path, named when the server refuses the certificate. */
  certFile?: string;
  user: string;
  password: string;
  /** Reconnect delays (default 250 ms doubling to 10 s, equal jitter). */
  backoff?: BackoffOptions;
  /** Delays between RATE_LIMITED retries of one frame (default 250 ms doubling to 5 s). */
  rateBackoff?: BackoffOptions;
  /** Silence from the server after which the connection counts as dead (default 90 s, as chatd's own). */
  idleTimeoutMs?: number;
  /** TCP connect + TLS handshake (default 10 s). */
  connectTimeoutMs?: number;
  /** How long a request may wait for its direct answer (default 60 s). */
  answerTimeoutMs?: number;
  /** Message ids remembered for de-duplication (default 10,000). */
  seenMax?: number;
  /**
   * Runs after the first login, before the session counts as ready (certificate renewal): `ask` sends
   * a frame of the connection's own and resolves with its answer. A failure is a status line, not fatal.
   */
  afterLogin?: (ask: (frame: ClientFrame) => Promise<Answer>) => Promise<void>;
};

export type FrameMeta = {
  /** Answers (and side effects) of requests the connection made itself: help, users, rejoin, login. */
  internal: boolean;
  /** Carries the id of a request made through say() or request() by the front end. */
  mine: boolean;
  /** A RATE_LIMITED error the connection handles by waiting and sending the frame again. */
  retrying: boolean;
};

export type ConnectionEvents = {
  /** Every frame from the server, after de-duplication, in arrival order. */
  frame: [frame: ServerFrame, meta: FrameMeta];
  /** A line for humans about the connection (safe to print: no server text unsanitized). */
  status: [text: string];
  /** Logged in (first time or again). */
  ready: [info: { reconnected: boolean }];
  /** An established session was lost; a reconnect follows. */
  down: [reason: string];
  /** A reconnect attempt follows after a wait (retryLines/retryLine in reconnect.ts say it). */
  retry: [info: RetryInfo];
  /** The joined rooms or the current room changed. */
  rooms: [];
  /** Closed for good at our request (close(), //quit). */
  closed: [];
  /** Closed for good because of an error that retrying cannot fix (exit 1 with this message). */
  fatal: [err: SetupError];
};

export type State = 'idle' | 'connecting' | 'ready' | 'down' | 'closed';
