// One table of every wire code of DESIGN.md with its default message (fastify-style catalogue).
// Building an error has no side effects; the session decides whether to close afterwards.

export const ERROR_CODES = {
  BAD_FRAME: 'malformed frame',
  FRAME_TOO_LARGE: 'frame exceeds 16 KiB',
  UNKNOWN_TYPE: 'unknown frame type',
  NOT_LOGGED_IN: 'log in first',
  AUTH_FAILED: 'invalid username or password',
  AUTH_LOCKED: 'too many failed logins; try again later',
  CERT_MISMATCH: 'login name does not match the client certificate',
  CERT_REVOKED: 'client certificate has been revoked',
  BANNED: 'you are banned',
  UNKNOWN_COMMAND: 'unknown command',
  FORBIDDEN: 'not permitted',
  BAD_ARGS: 'bad arguments',
  NO_SUCH_USER: 'no such user',
  NO_SUCH_ROOM: 'no such room',
  RATE_LIMITED: 'slow down',
  MUTED: 'you are muted',
  TEXT_TOO_LONG: 'text too long',
  EMPTY_TEXT: 'empty text',
  LOGIN_TIMEOUT: 'login timed out',
  SERVICE_UNAVAILABLE: 'service temporarily unavailable; try again shortly',
  INTERNAL: 'internal error',
  ENROLL_DISABLED: 'enrollment is not enabled on this server',
  ENROLL_INVALID: 'this invite is not valid; ask for a new one',
  BAD_CSR: 'certificate request refused',
  WEAK_PASSWORD: 'password too weak',
  MAILBOX_FULL: 'their mailbox is full; try again when they have read it',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export const BYE_CODES = {
  SHUTDOWN: 'server shutting down',
  KICKED: 'kicked',
  BANNED: 'banned',
  IDLE: 'no activity',
  FLOOD: 'excess flood',
  SENDQ_EXCEEDED: 'send queue exceeded',
  LOGIN_TIMEOUT: 'login timed out',
  CERT_REVOKED: 'client certificate revoked',
} as const;

export type ByeCode = keyof typeof BYE_CODES;

export class ChatdError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string = ERROR_CODES[code]) {
    super(message);
    this.name = 'ChatdError';
    this.code = code;
  }
}

/**
 * Setting chatd up failed: a flag, a file, a config, a database or Redis URL, a connection at start.
 * Thrown by the store and the bus as well as the binaries; the binaries print it as one clear line
 * and exit with its code (DESIGN.md: 1 runtime failure, 2 bad usage).
 */
export class SetupError extends Error {
  constructor(message: string, readonly exitCode: 1 | 2 = 1) {
    super(message);
    this.name = 'SetupError';
  }
}
