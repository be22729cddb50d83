// The protocol side of chat-cli, with no terminal code: mutual TLS (ALPN chatd/1), JSON Lines
// decoding, login, requests with ids and their one direct answer, an ordered send queue that backs
// off on RATE_LIMITED, keepalive, and the reconnect loop (backoff with jitter, login again, rejoin the
// rooms, history without duplicates). Front ends (lib/client/ui.ts, lib/client/script.ts) listen to
// its events and decide what to print.
import { EventEmitter } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import { CliError } from '../errors.js';
import type {
  ClientFrame, ErrorFrame, FrameId, HistoryFrame, LoginOkFrame, MessageFrame, ResultFrame, ServerFrame,
} from '../protocol/frames.js';
import { MAX_LINE_BYTES } from '../limits.js';
import { LineDecoder } from '../protocol/jsonl.js';
import { normalizeRoom, sanitizeText } from '../sanitize.js';
import { ALPN } from '../protocol/frames.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import { newPasswordOf } from './passwd.js';
import { SeenIds } from './seen.js';

export type ConnectionOptions = {
  host: string;
  port: number;
  /** PEM contents (already read and checked by the caller). */
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
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
};

/** The direct answer to a client frame: the own message with `ack`, a `result`, an `error` (or `login_ok`). */
export type Answer = MessageFrame | ResultFrame | ErrorFrame | LoginOkFrame;

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
  /** The joined rooms or the current room changed. */
  rooms: [];
  /** Closed for good at our request (close(), //quit). */
  closed: [];
  /** Closed for good because of an error that retrying cannot fix (exit 1 with this message). */
  fatal: [err: CliError];
};

export type State = 'idle' | 'connecting' | 'ready' | 'down' | 'closed';

/** Login answers that retrying cannot fix, on the first connection and after it. */
const FATAL_LOGIN = new Set(['AUTH_FAILED', 'AUTH_LOCKED', 'CERT_MISMATCH', 'CERT_REVOKED', 'BANNED', 'BAD_FRAME']);
/** bye codes that end the client: reconnecting would undo a moderator's decision or flood again. */
const FATAL_BYE = new Set(['BANNED', 'KICKED', 'CERT_REVOKED', 'FLOOD']);
/** OpenSSL verification results: the server's certificate is not one we trust. */
const VERIFY_CODES = new Set([
  'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_CRL', 'UNABLE_TO_DECRYPT_CERT_SIGNATURE', 'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'CERT_SIGNATURE_FAILURE', 'CERT_NOT_YET_VALID', 'CERT_HAS_EXPIRED', 'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'CERT_CHAIN_TOO_LONG', 'CERT_REVOKED',
  'INVALID_CA', 'PATH_LENGTH_EXCEEDED', 'INVALID_PURPOSE', 'CERT_UNTRUSTED', 'CERT_REJECTED', 'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);
/** Server frames can be large (a history of 200 long messages); anything beyond this is not chatd. */
const MAX_SERVER_LINE = 8 * 1024 * 1024;
const WELCOME_TIMEOUT_MS = 10_000;
const LOGIN_TIMEOUT_MS = 30_000;
/** After a RATE_LIMITED answer, frames are spaced this far apart for a while (under chatd's 5/s refill). */
const SLOW_SPACING_MS = 250;
const SLOW_FOR_MS = 10_000;

/** A connection attempt that ended; `reason` is a short human phrase. */
export class Disconnected extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'Disconnected';
  }
}

/** A server string made safe to show in a status line or an error message. */
export function clean(v: unknown, max = 300): string {
  const s = typeof v === 'string' ? sanitizeText(v) : '';
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

/** One line naming a TLS problem that retrying cannot fix, or null for ordinary network errors. */
export function tlsProblem(err: NodeJS.ErrnoException, host: string): CliError | null {
  const code = String(err.code ?? '');
  if (VERIFY_CODES.has(code)) {
    return new CliError(`TLS: server certificate not trusted (${code}: ${err.message}); check --ca and that --host ${host} is named in the server certificate`);
  }
  const alert = /^ERR_SSL_(?:TLSV1|TLSV13|SSLV3)_ALERT_(.+)$/.exec(code);
  if (alert) {
    const what = alert[1]!.toLowerCase().replace(/_/g, ' ');
    const ours = /certificate|unknown ca|bad certificate|decrypt error/.test(what);
    return new CliError(`TLS: the server rejected the handshake (${what}, ${code})${ours ? '; check that --cert and --key are a client certificate issued by the server\'s CA' : ''}`);
  }
  return null;
}

function networkReason(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ECONNREFUSED': return 'connection refused';
    case 'ECONNRESET': return 'connection reset by peer';
    case 'ETIMEDOUT': return 'connection timed out';
    case 'EHOSTUNREACH': return 'host unreachable';
    case 'ENETUNREACH': return 'network unreachable';
    case 'ENOTFOUND': return 'host not found';
    case 'EAI_AGAIN': return 'host name lookup failed (temporary)';
    case 'EPIPE': return 'connection closed while writing';
    default: return err.message || String(err.code ?? err);
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function formatDelay(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

type Pending = {
  resolve(f: Answer): void; reject(e: Error): void; timer: NodeJS.Timeout; internal: boolean;
  /** A history command: the history frame that comes before its result is what it asked for. */
  asksHistory: boolean;
};
type Job = {
  frame: ClientFrame; resolve(f: Answer): void; reject(e: Error): void;
  /** A plain line (no command) as the server would store it, set while it waits for its answer. */
  sent?: { at: number; room: string | null; text: string };
  /** Its message, found in the history sent after a reconnect: it arrived, only the answer was lost. */
  landed?: MessageFrame;
};

// How much earlier than our send a message may be stamped by the server's clock and still be ours.
const CLOCK_SKEW_MS = 60_000;
// After a reconnect, how long to wait for the history sent on login before sending queued lines.
const REJOIN_HISTORY_WAIT_MS = 2_000;

/** One TLS connection attempt and what is known about it. */
class Link {
  reason = 'connection closed by the server';
  /** Made after an established session dropped (its join histories may not reach back far enough). */
  reconnect = false;
  fatal: CliError | null = null;
  ready = false;
  abandoned = false;
  lastHeard = Date.now();
  pinged = false;
  watchdog: NodeJS.Timeout | null = null;
  welcome: Promise<void>;
  closed: Promise<void>;
  /** The first history frame the server sent by itself (on login: the lobby's). */
  firstHistory: Promise<void>;
  isClosed = false;
  onWelcome!: () => void;
  onHistory!: () => void;
  private onClosed!: () => void;

  constructor(readonly socket: tls.TLSSocket) {
    this.welcome = new Promise((r) => (this.onWelcome = r));
    this.closed = new Promise((r) => (this.onClosed = r));
    this.firstHistory = new Promise((r) => (this.onHistory = r));
  }

  markClosed(): void { this.isClosed = true; this.onClosed(); }

  /** Rejects with Disconnected when the link closes first, or with a timeout. */
  async within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        p,
        this.closed.then(() => { throw new Disconnected(this.reason); }),
        new Promise<never>((_, rej) => { timer = setTimeout(() => rej(new Disconnected(`no ${what} within ${ms / 1000} s`)), ms); }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  write(f: ClientFrame): void {
    if (!this.isClosed && !this.socket.destroyed) this.socket.write(JSON.stringify(f) + '\n');
  }
}

export class ChatConnection extends EventEmitter<ConnectionEvents> {
  state: State = 'idle';
  /** The command prefix the server announced in its welcome. */
  prefix = '//';
  user: LoginOkFrame['user'] | null = null;
  /** Rooms joined, in joining order, as the user left them (restored after a reconnect). */
  rooms: string[] = [];
  current: string | null = null;

  private link: Link | null = null;
  private closing = false;
  private seq = 0;
  private readonly pending = new Map<FrameId, Pending>();
  private readonly queue: Job[] = [];
  private pumping = false;
  private readonly seen: SeenIds;
  /** Rooms of which at least one message was shown. */
  private readonly roomsShown = new Set<string>();
  private readonly reconnectBackoff: Backoff;
  private readonly rateBackoff: Backoff;
  private slowUntil = 0;
  private lastSentAt = 0;
  private reconnecting = false;
  /** The id of our own quit frame, whose answer is internal. */
  private quitId: string | null = null;
  private wake: (() => void) | null = null;
  private readonly idleTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly answerTimeoutMs: number;
  /** The password of the next login: the one given, until a //passwd of this session changes it (memory only). */
  private password: string;

  constructor(readonly opts: ConnectionOptions) {
    super();
    this.password = opts.password;
    this.seen = new SeenIds(opts.seenMax ?? 10_000);
    this.reconnectBackoff = new Backoff(opts.backoff);
    this.rateBackoff = new Backoff({ initialMs: 250, maxMs: 5_000, ...opts.rateBackoff });
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 90_000;
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 10_000;
    this.answerTimeoutMs = opts.answerTimeoutMs ?? 60_000;
  }

  get where(): string { return `${this.opts.host}:${this.opts.port}`; }

  /**
   * Connects and logs in. Rejects with a CliError when the first connection fails for any reason
   * (refused, certificate, login): only an established session reconnects.
   */
  async start(): Promise<LoginOkFrame> {
    if (this.state !== 'idle') throw new Error('start() called twice');
    this.state = 'connecting';
    try {
      return await this.session(false);
    } catch (e) {
      this.state = 'closed';
      if (e instanceof CliError) throw e;
      throw new CliError(`cannot connect to ${this.where}: ${e instanceof Disconnected ? e.reason : (e as Error).message}`);
    }
  }

  /**
   * Sends a line as a say (a line starting with the prefix is a command on the server). Lines are
   * sent one at a time in order, each after the previous one's answer; RATE_LIMITED is retried after
   * a backoff, and a line whose answer was lost with the connection is sent again after the reconnect,
   * unless the history sent on rejoining shows that it arrived (see claimLanded; commands are always
   * sent again). Resolves with the answer (an error frame is an answer too).
   */
  say(text: string, room?: string): Promise<Answer> {
    return this.enqueue({ type: 'say', text, ...(room !== undefined ? { room } : {}) });
  }

  /** Any client frame through the ordered queue (say, command). */
  enqueue(frame: ClientFrame): Promise<Answer> {
    if (this.state === 'closed' || this.closing) return Promise.reject(new Error('connection closed'));
    // chatd answers an over-long line with FRAME_TOO_LARGE and closes: refused here, or the line would
    // be sent again after every reconnect.
    const bytes = Buffer.byteLength(JSON.stringify({ ...frame, id: 'c000000000' }));
    if (bytes > MAX_LINE_BYTES) return Promise.reject(new Error(`line too long to send (${bytes} bytes as a frame; the limit is ${MAX_LINE_BYTES})`));
    return new Promise<Answer>((resolve, reject) => {
      this.queue.push({ frame, resolve, reject });
      void this.pump();
    });
  }

  /**
   * A command of the connection's own (help, users…), outside the ordered queue, not resent after a
   * reconnect. Its frames are marked internal.
   */
  async internal(line: string): Promise<Answer> {
    if (this.state !== 'ready' || !this.link) throw new Disconnected('not connected');
    return this.request(this.link, { type: 'command', line }, true);
  }

  /** Ends the session on purpose: quit, close, no reconnect. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.closing = true;
    this.wake?.();
    for (const j of this.queue.splice(0)) j.reject(new Error('connection closed'));
    const link = this.link;
    if (link && !link.isClosed) {
      this.quitId = `q${++this.seq}`;
      link.write({ type: 'quit', id: this.quitId });
      link.socket.end();
      await Promise.race([link.closed, sleep(1000)]);
      link.socket.destroy();
    }
    if ((this.state as State) !== 'closed') {
      this.state = 'closed';
      this.emit('closed');
    }
  }

  // ---- one connection ------------------------------------------------------------------------

  /** Opens TLS, waits for welcome, logs in and (after a reconnect) rejoins. */
  private async session(reconnect: boolean): Promise<LoginOkFrame> {
    const link = await this.open();
    link.reconnect = reconnect;
    this.link = link;
    try {
      await link.within(link.welcome, WELCOME_TIMEOUT_MS, 'welcome from the server');
      const ok = await this.request(link, { type: 'login', user: this.opts.user, password: this.password }, true, LOGIN_TIMEOUT_MS, false);
      if (ok.type === 'error') {
        const code = clean(ok.code) || 'INTERNAL';
        const msg = `${code}: ${clean(ok.message)}`;
        if (!reconnect || FATAL_LOGIN.has(code)) throw new CliError(msg);
        throw new Disconnected(`login refused (${msg})`);
      }
      if (ok.type !== 'login_ok') throw new Disconnected('unexpected answer to login');
      this.user = ok.user;
      if (reconnect) {
        // A line in flight when the connection dropped may have arrived: its message would be in
        // this history (see claimLanded). Rejoining waits for each room's history in turn.
        // Without it (a timeout, a close) the line is simply sent again, as before.
        if (this.queue[0]?.sent) await link.within(link.firstHistory, REJOIN_HISTORY_WAIT_MS, 'history').catch(() => {});
        await this.rejoin(link);
      } else {
        const room = clean(ok.room) || 'lobby';
        this.rooms = [room];
        this.current = room;
        this.emit('rooms');
      }
      if (link.isClosed) throw new Disconnected(link.reason);
      link.ready = true;
      this.state = 'ready';
      this.emit('ready', { reconnected: reconnect });
      void this.pump();
      return ok;
    } catch (e) {
      link.abandoned = true;
      link.socket.destroy();
      if (link.fatal) throw link.fatal;
      throw e;
    }
  }

  /** TCP + TLS with our certificate, the server's checked against --ca, ALPN chatd/1. */
  private open(): Promise<Link> {
    const { host, port, ca, cert, key } = this.opts;
    return new Promise<Link>((resolve, reject) => {
      const socket = tls.connect({
        host, port, ca, cert, key,
        // No SNI for an IP address; a name is both the SNI and what the certificate must cover.
        ...(net.isIP(host) ? {} : { servername: host }),
        ALPNProtocols: [ALPN],
        rejectUnauthorized: true,
        minVersion: 'TLSv1.2',
      });
      const timer = setTimeout(() => fail(new Disconnected(`no TLS handshake within ${this.connectTimeoutMs / 1000} s`)), this.connectTimeoutMs);
      const fail = (e: Error) => {
        clearTimeout(timer);
        socket.on('error', () => {}); // a late second error of a socket given up on is nobody's business
        socket.destroy();
        reject(e);
      };
      const onError = (err: NodeJS.ErrnoException) => fail(tlsProblem(err, host) ?? new Disconnected(networkReason(err)));
      const onClose = () => fail(new Disconnected('connection closed during the TLS handshake'));
      socket.once('error', onError);
      socket.once('close', onClose);
      socket.once('secureConnect', () => {
        clearTimeout(timer);
        socket.removeListener('error', onError);
        socket.removeListener('close', onClose);
        if (socket.alpnProtocol !== ALPN) {
          socket.destroy();
          return reject(new CliError(`${host}:${port} did not agree to ALPN ${ALPN}: not a chatd server, or one too old for this client`));
        }
        resolve(this.wire(socket));
      });
    });
  }

  private wire(socket: tls.TLSSocket): Link {
    const link = new Link(socket);
    socket.setNoDelay(true);
    const decoder = new LineDecoder(MAX_SERVER_LINE, (line) => this.onLine(link, line), () => {
      link.reason = 'the server sent an over-long line';
      socket.destroy();
    });
    socket.on('data', (d: Buffer) => {
      link.lastHeard = Date.now();
      link.pinged = false;
      decoder.push(d);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      const fatal = tlsProblem(err, this.opts.host);
      if (fatal) link.fatal = fatal;
      else link.reason = networkReason(err);
    });
    socket.on('end', () => socket.end());
    socket.on('close', () => this.onClose(link));
    const tick = Math.max(50, Math.min(1000, this.idleTimeoutMs / 4));
    link.watchdog = setInterval(() => this.keepalive(link), tick);
    return link;
  }

  /** A ping when the server has been quiet for a third of the idle limit; dead after the whole of it. */
  private keepalive(link: Link): void {
    const silent = Date.now() - link.lastHeard;
    if (silent >= this.idleTimeoutMs) {
      link.reason = `no data from the server for ${Math.round(silent / 1000)} s`;
      link.socket.destroy();
    } else if (silent >= this.idleTimeoutMs / 3 && !link.pinged && link.ready) {
      link.pinged = true;
      link.write({ type: 'ping' });
    }
  }

  private onClose(link: Link): void {
    if (link.watchdog) clearInterval(link.watchdog);
    link.markClosed();
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      clearTimeout(p.timer);
      p.reject(new Disconnected(link.reason));
    }
    if (this.link === link) this.link = null;
    if (this.closing) {
      for (const j of this.queue.splice(0)) j.reject(new Error('connection closed'));
      if (this.state !== 'closed') {
        this.state = 'closed';
        this.emit('closed');
      }
      return;
    }
    // Handshake-phase failures are reported by session() to start() or to the reconnect loop.
    if (!link.ready || link.abandoned) return;
    if (link.fatal) return this.fail(link.fatal);
    this.state = 'down';
    this.emit('down', link.reason);
    void this.reconnectLoop();
  }

  private fail(err: CliError): void {
    if (this.state === 'closed') return;
    this.closing = true;
    this.state = 'closed';
    for (const j of this.queue.splice(0)) j.reject(err);
    this.emit('fatal', err);
  }

  private async reconnectLoop(): Promise<void> {
    if (this.reconnecting) return;
    this.reconnecting = true;
    try {
      while (!this.closing) {
        const delay = this.reconnectBackoff.next();
        this.emit('status', `reconnecting to ${this.where} in ${formatDelay(delay)} (attempt ${this.reconnectBackoff.attempts})`);
        await new Promise<void>((r) => {
          const t = setTimeout(r, delay);
          this.wake = () => { clearTimeout(t); r(); };
        });
        this.wake = null;
        if (this.closing) return;
        this.state = 'connecting';
        try {
          await this.session(true);
          this.reconnectBackoff.reset();
          return;
        } catch (e) {
          if (this.closing) return;
          if (e instanceof CliError) return this.fail(e);
          this.state = 'down';
          this.emit('status', `reconnect failed: ${e instanceof Disconnected ? e.reason : (e as Error).message}`);
        }
      }
    } finally {
      this.reconnecting = false;
    }
  }

  /** After a reconnect the server has us in lobby only: join the other rooms again, then the current one. */
  private async rejoin(link: Link): Promise<void> {
    const want = [...this.rooms];
    const current = this.current;
    const run = async (line: string) => {
      const a = await this.request(link, { type: 'command', line }, true);
      if (a.type === 'error') this.emit('status', `could not ${line}: ${clean(a.code)} ${clean(a.message)}`);
    };
    for (const room of want) if (room !== 'lobby') await run(`join ${room}`);
    if (!want.includes('lobby')) await run('part lobby');
    const last = want.filter((r) => r !== 'lobby').pop() ?? (want.includes('lobby') ? 'lobby' : null);
    if (current && current !== last) await run(`join ${current}`);
    const list = want.map((r) => `#${r}`).join(' ');
    this.emit('status', `reconnected as ${this.opts.user}${list ? `; in ${list}` : ''}`);
  }

  // ---- requests ------------------------------------------------------------------------------

  /**
   * Sends a frame with a fresh id and resolves with its direct answer. RATE_LIMITED is retried with
   * backoff (and later frames are spaced out for a while). Rejects with Disconnected if the link
   * closes first.
   */
  private async request(link: Link, frame: ClientFrame, internal: boolean, timeoutMs = this.answerTimeoutMs, retry = true): Promise<Answer> {
    for (;;) {
      const spacing = Date.now() < this.slowUntil ? this.lastSentAt + SLOW_SPACING_MS - Date.now() : 0;
      if (spacing > 0) await sleep(spacing);
      if (link.isClosed) throw new Disconnected(link.reason);
      const id = `${internal ? 'i' : 'c'}${++this.seq}`;
      const answer = new Promise<Answer>((resolve, reject) => {
        const timer = setTimeout(() => {
          this.pending.delete(id);
          reject(new Error(`no answer from the server within ${Math.round(timeoutMs / 1000)} s`));
        }, timeoutMs);
        this.pending.set(id, { resolve, reject, timer, internal, asksHistory: this.asksHistory(frame) });
      });
      this.lastSentAt = Date.now();
      link.write({ ...frame, id } as ClientFrame);
      const a = await answer;
      if (retry && a.type === 'error' && a.code === 'RATE_LIMITED') {
        const first = Date.now() >= this.slowUntil;
        this.slowUntil = Date.now() + SLOW_FOR_MS;
        // chatd says when its bucket has a token again; other servers get the backoff alone.
        const hint = typeof a.message === 'string' ? /\bnext in (\d{1,6}) ms\b/.exec(a.message) : null;
        const delay = Math.max(this.rateBackoff.next(), hint ? Math.min(Number(hint[1]), 10_000) : 0);
        if (first) this.emit('status', `rate limited by the server; slowing down and resending (${formatDelay(delay)})`);
        await sleep(delay);
        continue;
      }
      if (retry) this.rateBackoff.reset();
      return a;
    }
  }

  /** Sends queued frames one at a time, each after the previous answer, while the session is up. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.queue.length && this.state === 'ready' && this.link && !this.closing) {
        const job = this.queue[0]!;
        if (job.landed) {
          this.queue.shift();
          job.resolve(job.landed);
          continue;
        }
        const f = job.frame;
        job.sent = f.type === 'say' && typeof f.text === 'string' && !f.text.startsWith(this.prefix)
          ? { at: Date.now(), room: f.room !== undefined ? normalizeRoom(f.room) : this.current, text: sanitizeText(f.text) }
          : undefined;
        let a: Answer;
        try {
          a = await this.request(this.link, job.frame, false);
        } catch (e) {
          if (e instanceof Disconnected) continue; // stays first; sent again once logged in again
          this.queue.shift();
          job.reject(e as Error);
          continue;
        }
        this.queue.shift();
        if (a.type === 'result' && a.command === 'passwd') this.password = newPasswordOf(job.frame, this.prefix) ?? this.password;
        job.resolve(a);
      }
    } finally {
      this.pumping = false;
    }
  }

  // ---- incoming frames -----------------------------------------------------------------------

  private onLine(link: Link, line: string): void {
    if (link.isClosed || link.abandoned || !line.trim()) return;
    let f: unknown;
    try { f = JSON.parse(line); } catch { return; } // not a frame: nothing to show, nothing to answer
    if (!f || typeof f !== 'object' || Array.isArray(f) || typeof (f as { type?: unknown }).type !== 'string') return;
    this.onFrame(link, f as ServerFrame);
  }

  private onFrame(link: Link, f: ServerFrame): void {
    const id = (f as { id?: unknown }).id;
    const idKey = typeof id === 'string' || typeof id === 'number' ? id : undefined;
    let historyKey = idKey;
    switch (f.type) {
      case 'ping':
        link.write({ type: 'pong', ...(idKey !== undefined ? { id: idKey } : {}) });
        break;
      case 'welcome':
        if (typeof f.prefix === 'string' && /^[!-~]{1,8}$/.test(f.prefix)) this.prefix = f.prefix;
        link.onWelcome();
        break;
      case 'bye': {
        const code = clean(f.code) || '?';
        const reason = clean(f.reason);
        link.reason = `bye ${code}${reason ? `: ${reason}` : ''}`;
        if (FATAL_BYE.has(code)) link.fatal = new CliError(`${code}: ${reason || 'closed by the server'}`);
        break;
      }
      case 'message':
      case 'dm':
        if (typeof f.id === 'string' && !this.seen.add(f.id)) return; // shown already (history overlap)
        if (f.type === 'message' && typeof f.room === 'string') this.roomsShown.add(f.room);
        break;
      case 'history':
        // DESIGN: a history frame is a side effect and carries no id; the one a history command asked
        // for comes before that command's result (older servers gave it the command's id).
        if (idKey === undefined) historyKey = this.historyAsker();
        // History sent on join and login overlaps what was shown; a //history the user asked for does not.
        if (historyKey === undefined && Array.isArray(f.messages)) {
          const fresh = f.messages.filter((m) => !(m && typeof m === 'object' && typeof m.id === 'string' && !this.seen.add(m.id)));
          for (const m of fresh) this.claimLanded(m);
          const room = typeof f.room === 'string' ? clean(f.room) : '';
          // Nothing in it was shown before, yet we had seen this room: more was said while we were
          // away than the server sends on joining.
          if (link.reconnect && room && fresh.length > 0 && fresh.length === f.messages.length && this.roomsShown.has(room)) {
            this.emit('status', `#${room}: more was said while you were away than shown here; ${this.prefix}history 200 shows more`);
          }
          if (room && fresh.length) this.roomsShown.add(room);
          f = { ...f, messages: fresh } as HistoryFrame;
          link.onHistory();
        }
        break;
      case 'result':
        if (f.command === 'quit') this.closing = true; // the server ends the connection next
        break;
    }

    const answerKey = f.type === 'message' ? (f as MessageFrame).ack : f.type === 'history' ? historyKey : idKey;
    const p = answerKey !== undefined ? this.pending.get(answerKey) : undefined;
    const isAnswer = p !== undefined && (f.type === 'message' || f.type === 'result' || f.type === 'error' || f.type === 'login_ok');
    if (f.type === 'result' && (!p || !p.internal)) this.trackRooms(f);
    const meta: FrameMeta = {
      // login_ok answers our own login, but it is the news every front end shows.
      internal: f.type !== 'login_ok' && ((p?.internal ?? false) || (idKey !== undefined && idKey === this.quitId)),
      mine: p !== undefined && !p.internal,
      retrying: isAnswer && f.type === 'error' && f.code === 'RATE_LIMITED',
    };
    this.emit('frame', f, meta);
    if (isAnswer) {
      this.pending.delete(answerKey!);
      clearTimeout(p.timer);
      p.resolve(f as Answer);
    }
  }

  private asksHistory(frame: ClientFrame): boolean {
    const line = frame.type === 'command' ? frame.line : frame.type === 'say' && frame.text.startsWith(this.prefix) ? frame.text.slice(this.prefix.length) : null;
    return typeof line === 'string' && /^\s*history(\s|$)/i.test(line);
  }

  /** The request id of a history command waiting for its answer, if one is. */
  private historyAsker(): FrameId | undefined {
    for (const [key, p] of this.pending) if (p.asksHistory) return key;
    return undefined;
  }

  /**
   * Exactly once for plain lines: a message of ours we never saw, in the room we sent to, with the
   * text as the server stores it, stamped after we sent it, is the line whose answer was lost.
   * (Any other message of ours was seen: each answer is our own message. Another session of the same
   * user saying the same words in the same room during the outage would be mistaken for it.)
   */
  private claimLanded(m: MessageFrame): void {
    const job = this.queue[0];
    if (!job?.sent || job.landed || !this.user || !m || typeof m.ts !== 'string') return;
    if (m.kind === 'say' && m.from?.name === this.user.name && m.room === job.sent.room && m.text === job.sent.text
      && Date.parse(m.ts) >= job.sent.at - CLOCK_SKEW_MS) {
      job.landed = m;
    }
  }

  /** The rooms a user asked for, from the results of join and part (restored after a reconnect). */
  private trackRooms(f: ResultFrame): void {
    const data = (f.data ?? {}) as { room?: unknown; current?: unknown };
    const room = typeof data.room === 'string' ? clean(data.room) : '';
    if (!room) return;
    if (f.command === 'join') {
      this.rooms = [...this.rooms.filter((r) => r !== room), room];
      this.current = room;
    } else if (f.command === 'part') {
      this.rooms = this.rooms.filter((r) => r !== room);
      this.current = typeof data.current === 'string' ? clean(data.current) : null;
    } else {
      return;
    }
    this.emit('rooms');
  }
}
