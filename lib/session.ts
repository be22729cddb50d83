// One connection: its protocol state (greeting → authed → closed), input checks in a fixed order
// (size, flood, parse) and keepalive; the output half (held frames, the bounded send queue, the bye) is
// SessionOutput (lib/session-output.ts). What a frame means is the host's job.
import type { TLSSocket } from 'node:tls';
import type { LoginProof } from './auth/login.js';
import type { Config } from './config.js';
import { ChatdError } from './errors.js';
import type { Logger } from './log.js';
import type { Metrics } from './metrics.js';
import type { ClientFrame, FrameId, ServerFrame } from './protocol/frames.js';
import { LineDecoder, frameId, parseClientFrame } from './protocol/jsonl.js';
import { TokenBucket, WindowCounter } from './ratelimit.js';
import { readPeer, type PeerCert } from './auth/peer.js';
import type { WriteCoalescer } from './write-coalescer.js';
import { SessionOutput } from './session-output.js';
import { holdFirstWrites } from './first-write.js';
import { DelayQueues } from './delay-queue.js';
import { RoomSet } from './room-set.js';
import { applyErase, LineEnds } from './text-input.js';

export type SessionUser = { id: number; name: string; role: string; level: number; color: string };
export type Mode = 'json' | 'text' | 'irc';

/** What a session needs from the node it belongs to. */
export interface SessionHost {
  readonly config: Config;
  readonly log: Logger;
  readonly metrics: Metrics;
  /** Writes the frames the node's sessions hold, together (lib/write-coalescer.ts). */
  readonly output: WriteCoalescer;
  /** Checks credentials (a password, or a resume token); resolves to the user, or rejects with a ChatdError. */
  login(session: Session, user: string, proof: LoginProof): Promise<SessionUser>;
  /** Sends login_ok, joins the lobby, history. */
  attach(session: Session, id?: FrameId): Promise<void>;
  /** A say (text, possibly a prefixed command) or a command line (no prefix) of a logged-in session. */
  input(session: Session, frame: { kind: 'say'; text: string; room?: string; id?: FrameId } | { kind: 'command'; line: string; id?: FrameId }): Promise<void>;
  welcomeFor(session: Session): ServerFrame;
  /** A logged-in session's `renew`: sends `renewed`, or rejects with a ChatdError. */
  renew(session: Session, csr: string, id?: FrameId): Promise<void>;
  detach(session: Session): void;
  /** The `join` frame of a logged-in session: answered like //join, replaying what came after `since`. */
  joinFrame(session: Session, room: string, since: string | undefined, id?: FrameId): Promise<void>;
}

let counter = 0;

/** The session a socket or a line decoder belongs to: their listeners are shared functions, not closures per session. */
const OWNER = Symbol('chatd.session');
type Owned<T> = T & { [OWNER]: Session };


/** The id of a JSON line, or undefined when it has none (or is not JSON). */
function idOf(line: string): FrameId | undefined {
  try { return frameId(JSON.parse(line)); } catch { return undefined; }
}

export class Session extends SessionOutput {
  readonly id: string;
  readonly remote: string;
  readonly since = Date.now();
  readonly certUser: string | null;
  readonly fingerprint: string | null;
  readonly tlsVersion: string;
  user: SessionUser | null = null;
  rooms = new RoomSet();
  current: string | null = null;
  lastActive = Date.now();
  bytesIn = 0;
  /** Bytes of input lines accepted but not yet handled (queued behind a slow login or command). */
  pendingInputBytes = 0;

  private lastHeard = Date.now();
  private inputPaused = false;
  private chain: Promise<void> = Promise.resolve();
  protected readonly decoder: LineDecoder;
  /** Text mode only: its peers' line ends (bare CR, CR NUL) made LF before the decoder sees them. */
  private readonly lineEnds: LineEnds | null;
  /** Created by the first line, dropped by the keepalive tick once full again: a full bucket is what a new one is. */
  private floodBucket: TokenBucket | null = null;
  /** Created by the first refused line. */
  private floodHitCounter: WindowCounter | null = null;
  /** Text mode, before login: the name typed, and failed tries. */
  private textStage: { user?: string; tries: number } | null = null;

  /**
   * Every session's login timeout and keepalive tick: one timer per delay, not one per session
   * (lib/delay-queue.ts). Keepalive ticks every min(ping interval, idle timeout) / 2 (moved by a
   * reload that changes them), the login timeout fires once; both stop when the session closes.
   */
  private static readonly loginDeadlines = new DelayQueues<Session>((s, q) => {
    if (s.loggingIn()) s.bye('LOGIN_TIMEOUT', `no login within ${Math.round(q.delayMs / 1000)} s`, 'LOGIN_TIMEOUT');
  });
  private static readonly keepalives = new DelayQueues<Session>((s, q) => {
    s.keepalive();
    if (!s.closed) Session.keepalives.of(q.delayMs).arm(s);
  });

  /**
   * `peer`: the client certificate, when the listener has read it already (it is read once). Its
   * dates and serial are wanted once, at login (enrollment bookkeeping): the node drops it then.
   */
  constructor(socket: TLSSocket, mode: Mode, host: SessionHost, nodeName: string, public peer: PeerCert | null = readPeer(socket)) {
    super(socket, mode, host);
    const lim = host.config.limits;
    this.id = `${nodeName ? nodeName + '-' : ''}${(++counter).toString(36)}`;
    this.remote = socket.remoteAddress ?? '?';
    this.certUser = peer?.user ?? null;
    this.fingerprint = peer?.fingerprint ?? null;
    this.tlsVersion = socket.getProtocol() ?? '?';
    const decoder = new LineDecoder(lim.maxLineBytes, Session.decodedLine, Session.decodedOverflow) as Owned<LineDecoder>;
    decoder[OWNER] = this;
    this.decoder = decoder;
    this.lineEnds = mode === 'text' ? new LineEnds() : null;

    socket.setNoDelay(true); // Nagle adds ~35 ms to p99 (DESIGN "Benchmarks")
    holdFirstWrites(socket);
    (socket as Owned<TLSSocket>)[OWNER] = this;
    socket.on('data', Session.socketData);
    socket.on('error', Session.socketError);
    socket.on('close', Session.socketClose);
    socket.on('end', Session.socketEnd);

    if (lim.loginTimeoutMs > 0) Session.loginDeadlines.of(lim.loginTimeoutMs).arm(this);
    if (mode !== 'text' && lim.pingIntervalMs > 0) {
      Session.keepalives.of(keepaliveTickMs(lim)).arm(this);
    } else {
      // Text-mode peers (openssl s_client) cannot answer a ping frame; TCP keepalive finds dead ones.
      socket.setKeepAlive(true, lim.pingIntervalMs || 30_000);
    }
    if (mode !== 'irc') this.send(host.welcomeFor(this)); // an IRC client speaks first (CAP, NICK)
    if (mode === 'text') this.write('login: ');
  }

  // The socket's and the decoder's listeners: Node and LineDecoder call them with `this` set to
  // the socket or the decoder, whose OWNER is the session.
  private static socketData(this: Owned<TLSSocket>, d: Buffer): void {
    const s = this[OWNER];
    s.bytesIn += d.length;
    s.lastHeard = Date.now();
    s.decoder.push(s.lineEnds === null ? d : s.lineEnds.push(d));
  }

  private static socketError(): void {} // 'close' follows; a reset peer is not an event worth a log line

  private static socketClose(this: Owned<TLSSocket>): void { this[OWNER].onClose(); }

  /**
   * The peer ended its side: Node ends ours too (no half-open), so nothing more can reach it. The
   * session ends like any other (destroyed if what is queued is not read within 2 s): a peer that
   * stopped reading with output queued and then sent its FIN kept the socket, and the session in its
   * rooms and presence, until something more was written to it (never, in text mode in a quiet room).
   */
  private static socketEnd(this: Owned<TLSSocket>): void {
    const s = this[OWNER];
    if (!s.closing) s.end();
  }

  private static decodedLine(this: Owned<LineDecoder>, line: string, bytes: number): void { this[OWNER].onLine(line, bytes); }

  private static decodedOverflow(this: Owned<LineDecoder>): void { this[OWNER].onOverflow(); }

  protected get flood(): TokenBucket {
    const lim = this.host.config.limits;
    return (this.floodBucket ??= new TokenBucket(lim.floodBurst, lim.floodRate));
  }

  private get floodHits(): WindowCounter {
    const lim = this.host.config.limits;
    return (this.floodHitCounter ??= new WindowCounter(lim.floodKickCount, lim.floodKickWindowMs));
  }

  /** Someone's away state changed (away, or back: null). Only IRC tells its client (away-notify). */
  awayChanged(_user: string, _message: string | null): void {}

  /** The config was reloaded (SIGHUP): this session's flood control and line limit follow it. */
  reconfigure(): void {
    const lim = this.host.config.limits;
    this.floodBucket?.configure(lim.floodBurst, lim.floodRate);
    this.floodHitCounter?.configure(lim.floodKickCount, lim.floodKickWindowMs);
    this.decoder.maxBytes = lim.maxLineBytes;
    // The keepalive tick follows a changed ping interval or idle timeout (it once kept the one the
    // session began with: a shorter idle timeout cut live sessions late, turning pings on reached none
    // of them). Moved only when it changes: a reload of the same values does not postpone a tick.
    if (this.mode === 'text' || this.closed) return;
    const tick = lim.pingIntervalMs > 0 ? keepaliveTickMs(lim) : 0;
    if (tick && Session.keepalives.of(tick).has(this)) return;
    Session.keepalives.cancel(this);
    if (tick) Session.keepalives.of(tick).arm(this);
  }

  // ---- input --------------------------------------------------------------------------------
  protected onOverflow(): void {
    this.error('FRAME_TOO_LARGE', `line exceeds ${this.host.config.limits.maxLineBytes} bytes`);
    this.closing = true;
    this.end();
  }

  /**
   * Every line, in both modes, before and after login: size (the decoder), then flood, then parse.
   * Blank lines and pongs cost a token like any line: a blank line at the text-mode login prompt is
   * answered with a new prompt, and anything free of charge is something a peer can send forever.
   * An honest client sends a pong per ping interval and no blank lines to speak of.
   */
  protected onLine(line: string, bytes: number): void {
    if (this.closing) return;
    if (!this.flood.take()) return this.refuse(line);
    if (this.mode === 'text') return this.enqueue(() => this.onTextLine(line), bytes);
    if (line.trim() === '') return;
    const parsed = parseClientFrame(line);
    if ('error' in parsed) return this.error(parsed.error.code, parsed.error.message, parsed.id);
    const frame = parsed.frame;
    if (frame.type === 'pong') return; // lastHeard is already updated
    this.enqueue(() => this.onFrame(frame), bytes, frame.id);
  }

  /** A line over the flood limit is dropped; persistent flooding ends the session. */
  protected refuse(line: string): void {
    // The refused frame's id is read only so that its error can echo it; at most floodKickCount
    // lines per window get that far before bye FLOOD.
    const id = this.mode === 'json' ? idOf(line) : undefined;
    // The numbers in the message let a person (or a client) pace itself instead of guessing.
    const lim = this.host.config.limits;
    this.error('RATE_LIMITED', `too many frames; slow down: ${lim.floodRate}/s after a burst of ${lim.floodBurst}, next in ${this.flood.waitMs()} ms`, id);
    if (this.floodHits.hit()) this.bye('FLOOD');
  }

  /**
   * Frames are handled one at a time, in arrival order, even when one waits on the database. What
   * waits is bounded: past limits.maxPendingInputBytes the socket is paused (TCP pushes back on the
   * peer) until the queue is worked off. Nor does a frame run while this session's output is over
   * half its send queue (outputRoom): commands sent together (five //history 200) each answered
   * within their budget, and together cut off the client reading them. Whatever a handler throws
   * becomes exactly one error echoing the frame's id.
   */
  protected enqueue(job: () => Promise<void> | void, bytes: number, id?: FrameId): void {
    this.pendingInputBytes += bytes;
    if (this.pendingInputBytes > this.host.config.limits.maxPendingInputBytes && !this.inputPaused) {
      this.inputPaused = true;
      this.socket.pause();
    }
    const run = () => (this.queuedBytes() > this.host.config.limits.sendqBytes / 2 ? this.outputRoom().then(job) : job());
    this.chain = this.chain.then(run).catch((e) => {
      if (e instanceof ChatdError) return this.error(e.code, e.message, id);
      this.host.log.error('session handler failed', { session: this.id, err: String((e as Error)?.stack ?? e) });
      this.error('INTERNAL', undefined, id);
    }).finally(() => {
      this.pendingInputBytes -= bytes;
      if (this.inputPaused && this.pendingInputBytes <= this.host.config.limits.maxPendingInputBytes) {
        this.inputPaused = false;
        this.socket.resume();
      }
    });
  }

  private async onFrame(f: ClientFrame): Promise<void> {
    if (this.closing) return;
    switch (f.type) {
      case 'ping':
        return this.send({ type: 'pong', ...(f.id !== undefined ? { id: f.id } : {}) });
      case 'quit':
        return this.quit(f.id);
      case 'login':
        if (this.user) return this.error('BAD_FRAME', 'already logged in', f.id);
        await this.doLogin(f.user, 'resume' in f ? { resume: f.resume } : { password: f.password }, f.id);
        return;
      case 'say':
        if (!this.user) return this.error('NOT_LOGGED_IN', undefined, f.id);
        this.lastActive = Date.now();
        return this.host.input(this, { kind: 'say', text: f.text, room: f.room, id: f.id });
      case 'command':
        if (!this.user) return this.error('NOT_LOGGED_IN', undefined, f.id);
        this.lastActive = Date.now();
        return this.host.input(this, { kind: 'command', line: f.line, id: f.id });
      case 'renew':
        if (!this.user) return this.error('NOT_LOGGED_IN', undefined, f.id);
        return this.host.renew(this, f.csr, f.id);
      case 'join':
        if (!this.user) return this.error('NOT_LOGGED_IN', undefined, f.id);
        this.lastActive = Date.now();
        return this.host.joinFrame(this, f.room, f.since, f.id);
    }
  }

  quit(id?: FrameId): void {
    this.send({ type: 'result', command: 'quit', text: 'goodbye', ...(id !== undefined ? { id } : {}) });
    this.end();
  }

  private async doLogin(user: string, proof: LoginProof, id?: FrameId): Promise<boolean> {
    try {
      this.user = await this.host.login(this, user, proof);
      this.host.metrics.logins.inc({ result: 'ok' });
    } catch (e) {
      if (!(e instanceof ChatdError)) throw e;
      this.host.metrics.logins.inc({ result: e.code });
      this.error(e.code, e.message, id);
      return false;
    }
    if (this.closing) return false;
    this.loggedIn();
    await this.host.attach(this, id);
    return true;
  }

  private async onTextLine(typed: string): Promise<void> {
    if (this.closing) return;
    const line = applyErase(typed); // the name, the password and chat lines alike
    if (this.user) {
      if (line.trim() === '') return;
      this.lastActive = Date.now();
      return this.host.input(this, { kind: 'say', text: line });
    }
    const stage = (this.textStage ??= { tries: 0 });
    if (stage.user === undefined) {
      if (!line.trim()) return this.write('login: ');
      stage.user = line.trim();
      return this.write('password: ');
    }
    // No password is empty: an Enter pressed by mistake asks again rather than spending a try and
    // counting towards the name's lockout.
    if (line === '') return this.write('password: ');
    const user = stage.user;
    stage.user = undefined;
    if (await this.doLogin(user, { password: line }, undefined)) return;
    if (++stage.tries >= this.host.config.limits.textLoginTries) {
      this.write('bye\n');
      return this.end();
    }
    this.write('login: ');
  }

  /** Not (yet) a session in the chat: the login timeout ends it. IRC overrides: its login ends with registration. */
  protected loggingIn(): boolean {
    return this.user === null;
  }

  /** Logged in: the login timeout no longer applies. */
  protected loggedIn(): void {
    Session.loginDeadlines.cancel(this);
    this.textStage = null;
  }

  private keepalive(): void {
    if (this.floodBucket?.full()) this.floodBucket = null;
    const lim = this.host.config.limits;
    const silent = Date.now() - this.lastHeard;
    if (lim.idleTimeoutMs > 0 && silent >= lim.idleTimeoutMs) return this.bye('IDLE', `no data for ${Math.round(silent / 1000)} s`);
    if (silent >= lim.pingIntervalMs) this.send({ type: 'ping' });
  }

  protected onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.closing = true;
    Session.loginDeadlines.cancel(this);
    Session.keepalives.cancel(this);
    this.host.detach(this);
  }
}

/** How often a session's keepalive looks at its silence: twice per ping interval or idle timeout, the shorter. */
function keepaliveTickMs(lim: Config['limits']): number {
  return Math.min(lim.pingIntervalMs, lim.idleTimeoutMs || lim.pingIntervalMs) / 2;
}
