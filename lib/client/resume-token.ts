// chat-cli's resume token (PROTOCOL.md "Resume tokens"): the one of the latest login_ok, offered on
// a reconnect before the password so that chatd need not hash it (a restart brings every client
// back at once). Memory only: never written to disk, never in a log, never in a frame a front end
// sees (`--json` prints frames). A refusal forgets it, and the password follows on the same
// connection: the user sees nothing but the speed.
import type { FrameId, LoginFrame, LoginOkFrame } from '../protocol/frames.js';
import type { Answer } from './requests.js';

/**
 * Answers after which the password is tried at once: the token is void (expired, a new server key,
 * a password changed since) or the server predates tokens. Anything else (a lock, a ban, a busy
 * server) is the answer the password would get too.
 */
const FALL_BACK = new Set(['AUTH_FAILED', 'BAD_FRAME']);
/** chatd's tokens are ~80 characters; a longer one is not kept, so a hostile server cannot make us carry megabytes. */
const MAX_TOKEN = 256;

export class ResumeToken {
  private token: string | null = null;
  /** The id of the login frame that offers the token, while its answer is awaited. */
  private offeredAs: FrameId | null = null;


  /** Keeps the token of a login_ok (none: the server issues none now) and returns the frame without it. */
  keep(f: LoginOkFrame): LoginOkFrame {
    const { resume, ...rest } = f;
    this.token = typeof resume === 'string' && resume.length > 0 && resume.length <= MAX_TOKEN ? resume : null;
    return rest;
  }

  /** The login frame that offers the token, with the id its answer will carry. */
  offer(user: string, id: FrameId): LoginFrame | null {
    if (this.token === null) return null;
    this.offeredAs = id;
    return { type: 'login', user, resume: this.token };
  }

  /** The offer's answer came (or the link went): true when the password should follow, the token forgotten. */
  answered(a: Answer | null): boolean {
    this.offeredAs = null;
    if (a === null || a.type !== 'error' || !FALL_BACK.has(a.code)) return false;
    this.token = null;
    return true;
  }

  /** True for the error answering the offer that the password follows: it is no news for a front end. */
  silent(id: FrameId | undefined, code: unknown): boolean {
    return id !== undefined && id === this.offeredAs && typeof code === 'string' && FALL_BACK.has(code);
  }

  /** The password changed (//passwd): the token is void on the server already. */
  forget(): void { this.token = null; }
}
