// The output half of a session: frames held and handed to the socket together (with the node's
// WriteCoalescer), the bounded send queue, and the bye. Session (lib/session.ts) adds the input half.
import type { TLSSocket } from 'node:tls';
import { BYE_CODES, ChatdError, type ByeCode, type ErrorCode } from './errors.js';
import type { FrameId, ServerFrame } from './protocol/frames.js';
import { Outgoing, outgoing } from './protocol/outgoing.js';
import { sanitizeText } from './sanitize.js';
import type { Mode, SessionHost, SessionUser } from './session.js';

/** How often, and how long at most, a session over its send queue waits for its peer to read the bye. */
const SENDQ_PROGRESS_MS = 250;
const SENDQ_GRACE_MS = 2000;
/** Bytes a session holds before they are written out at once: a full TLS record's payload. */
const PENDING_OUT_MAX_BYTES = 16 * 1024;

export abstract class SessionOutput {
  abstract readonly id: string;
  abstract user: SessionUser | null;
  /** Text mode only: role colours in rendered lines (config textColor, then //textcolor). */
  color: boolean;
  bytesOut = 0;
  closed = false;
  protected closing = false;
  /** Frames not yet handed to the socket (see write); null when none. */
  private pendingOut: Buffer[] | null = null;
  private pendingOutBytes = 0;
  private sendqExceeded = false;

  constructor(readonly socket: TLSSocket, readonly mode: Mode, protected readonly host: SessionHost) {
    this.color = host.config.textColor;
  }

  /** The session ends: it leaves its rooms and presence (the socket may linger to deliver a bye). */
  protected abstract onClose(): void;

  // ---- output -------------------------------------------------------------------------------
  send(f: ServerFrame | Outgoing): void {
    // Nothing after the bye (or the end): the socket is ended, and a write to it only makes an
    // ERR_STREAM_WRITE_AFTER_END error. On a shutdown with 1,000 sessions in a room, every session's
    // quit event went to every other already-ended session that way: seconds of the restart (issue 18).
    if (this.closed || this.closing) return;
    const data = this.encode(outgoing(f));
    if (data !== null) this.write(data);
  }

  /** This session's bytes for a frame, or null when its protocol has nothing to show for it. */
  protected encode(out: Outgoing): Buffer | null {
    return this.mode === 'json' ? out.json : this.color ? out.textColor : out.text;
  }

  error(code: ErrorCode, message?: string, id?: FrameId): void {
    const e = new ChatdError(code, message);
    this.host.metrics.errors.inc({ code });
    this.send({ type: 'error', code: e.code, message: e.message, ...(id !== undefined ? { id } : {}) });
  }

  /**
   * Frames are held here and written by the node's WriteCoalescer together with every other
   * session's, at the end of the tick (or, under load, a few ms later): one socket.write, one TLS
   * record, of all the frames a session got meanwhile. Held in a plain array rather than a corked
   * socket: a corked stream allocates a request per write and hands Node's writev an array to walk.
   */
  write(data: string | Buffer): void {
    if (this.closed || this.sendqExceeded) return;
    const b = typeof data === 'string' ? Buffer.from(data) : data;
    const output = this.host.output;
    if (this.pendingOut === null) {
      this.pendingOut = [b];
      output.add(this);
    } else {
      this.pendingOut.push(b);
    }
    this.pendingOutBytes += b.length;
    this.bytesOut += b.length;
    output.counted();
    if (this.pendingOutBytes >= PENDING_OUT_MAX_BYTES) this.flushOutput();
    if (this.socket.writableLength + this.pendingOutBytes > this.host.config.limits.sendqBytes && !this.closing) this.overflow();
  }

  /** Bytes queued in chatd for this session: handed to the socket and not yet written out, and held. */
  queuedBytes(): number {
    return this.socket.writableLength + this.pendingOutBytes;
  }

  /**
   * Resolves once what is queued is under half the send queue (at once when it is), or the session
   * ends. What the server sends in bulk to a client that reads (a login's mailbox, a resume's replay,
   * the answers to commands sent together) waits here instead of piling up past the send queue,
   * which is for readers that stop: sent in one burst, it cut off clients that were reading.
   */
  async outputRoom(): Promise<void> {
    const half = this.host.config.limits.sendqBytes / 2;
    if (this.queuedBytes() <= half) return;
    this.flushOutput();
    // Over half of the send queue is over the socket's high-water mark: a write said so, and
    // 'drain' follows once the socket has written it all out.
    while (!this.closed && !this.closing && this.socket.writableLength > half) {
      await new Promise<void>((resolve) => {
        const done = () => { this.socket.off('drain', done); this.socket.off('close', done); resolve(); };
        this.socket.on('drain', done);
        this.socket.on('close', done);
      });
    }
  }

  /** Frames sent as the peer takes them (outputRoom); resolves with how many were sent before the session ended. */
  async sendPaced(frames: readonly ServerFrame[]): Promise<number> {
    let n = 0;
    for (const f of frames) {
      await this.outputRoom();
      if (this.closed || this.closing) break;
      this.send(f);
      n++;
    }
    return n;
  }

  /** Writes out the frames held (called by the WriteCoalescer, when a record's worth is held, and before the end). */
  flushOutput(): void {
    const out = this.pendingOut;
    if (out === null) return;
    this.pendingOut = null;
    const n = this.pendingOutBytes;
    this.pendingOutBytes = 0;
    if (!this.socket.destroyed) this.socket.write(this.host.output.join(out, n));
  }

  /**
   * Over the send queue limit: nothing more is queued, the bye goes after what is queued, and the
   * socket is destroyed as soon as the peer stops taking bytes (at the latest after SENDQ_GRACE_MS).
   * Destroying at once would discard the bye with the queue, so a client that reads, but was sent one
   * answer too large, would be cut off without a word. The session itself ends now: it leaves its
   * rooms and presence at once, only the socket lingers to deliver the bye.
   */
  private overflow(): void {
    this.closing = true;
    this.sendqExceeded = true;
    this.host.metrics.byes.inc({ code: 'SENDQ_EXCEEDED' });
    this.host.log.warn('send queue exceeded', { session: this.id, user: this.user?.name, queued: this.socket.writableLength + this.pendingOutBytes });
    this.flushOutput();
    this.socket.write(this.byeData('SENDQ_EXCEEDED', BYE_CODES.SENDQ_EXCEEDED));
    this.socket.end();
    let left = this.socket.writableLength;
    const deadline = Date.now() + SENDQ_GRACE_MS;
    const check = setInterval(() => {
      const now = this.socket.writableLength;
      // All handed on (now 0): the end already under way closes it; no progress: a slow reader.
      if ((now > 0 && now >= left) || Date.now() >= deadline) { clearInterval(check); this.socket.destroy(); }
      left = now;
    }, SENDQ_PROGRESS_MS).unref();
    this.socket.once('close', () => clearInterval(check));
    this.onClose();
  }

  /** `resume` (a resume token, bye SHUTDOWN only) exists in JSON alone: text mode and IRC have no field for it. */
  protected byeData(code: ByeCode, reason: string, resume?: string): string {
    // Text mode prints the reason as it is: cleaned here too, whatever made it (an operator's ban
    // reason from before chat-admin cleaned them, a message built from stored fields).
    return this.mode === 'json' ? JSON.stringify({ type: 'bye', code, reason, ...(resume ? { resume } : {}) }) + '\n' : `bye ${code}: ${sanitizeText(reason)}\n`;
  }

  /** Says goodbye and closes; optionally an error first (LOGIN_TIMEOUT), or a resume token in the bye (SHUTDOWN). */
  bye(code: ByeCode, reason: string = BYE_CODES[code], errorFirst?: ErrorCode, resume?: string): void {
    if (this.closing || this.closed) return;
    if (errorFirst) this.error(errorFirst);
    this.closing = true;
    this.host.metrics.byes.inc({ code });
    this.write(this.byeData(code, reason, resume));
    this.end();
  }

  /** Ends the connection after pending writes; destroys it if the peer does not read them soon. */
  end(): void {
    this.closing = true;
    this.flushOutput();
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 2000).unref();
  }
}
