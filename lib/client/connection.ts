// The protocol side of chat-cli, with no terminal code: one session with chatd over a TLS link
// (link.ts), logged in, its frames de-duplicated (shown-messages.ts) and routed to the requests waiting
// for them (requests.ts, send-queue.ts), reconnecting when an established session drops (reconnect.ts).
// Its options and events are typed in connection-types.ts.
// Front ends (lib/client/ui.ts, lib/client/script.ts) listen to its events and decide what to print.
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { SetupError } from '../errors.js';
import { normalizeRoom } from '../sanitize.js';
import type { ClientFrame, FrameId, HistoryFrame, LoginOkFrame, MessageFrame, ResultFrame, ServerFrame } from '../protocol/frames.js';
import { MAX_LINE_BYTES } from '../limits.js';
import type { ConnectionEvents, ConnectionOptions, FrameMeta, State } from './connection-types.js';
import { openLink, type Link } from './link.js';
import { clean, Disconnected, FATAL_BYE, FATAL_LOGIN } from './link-errors.js';
import { newPasswordOf } from './passwd.js';
import { Reconnector, resume } from './reconnect.js';
import { Requests, type Answer } from './requests.js';
import { ResumeToken } from './resume-token.js';
import { SendQueue } from './send-queue.js';
import { MAX_ROOMS, ShownMessages } from './shown-messages.js';
import { TlsSessions } from './tls-session.js';

export type { Answer } from './requests.js';
export type { ConnectionEvents, ConnectionOptions, FrameMeta, State } from './connection-types.js';

const WELCOME_TIMEOUT_MS = 10_000;
const LOGIN_TIMEOUT_MS = 30_000;

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
  /** A search's result, answered once the history of its matches has come. */
  private searchAnswer: { key: FrameId; result: ResultFrame; internal: boolean } | null = null;
  private readonly requests: Requests;
  private readonly queue: SendQueue;
  private readonly reconnector: Reconnector;
  /** Message ids shown and the last one per room: what a reconnect resumes after. */
  private readonly shown: ShownMessages;
  /** The latest TLS session ticket from the server, offered when reconnecting (memory only). */
  private readonly tlsSessions = new TlsSessions();
  /** The id of our own quit frame, whose answer is internal. */
  private quitId: string | null = null;
  private readonly idleTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  /** The password of the next login: the one given, until a //passwd of this session changes it (memory only). */
  private password: string;
  /** The resume token of the latest login_ok, offered on a reconnect before the password (memory only). */
  private readonly resume = new ResumeToken();

  constructor(readonly opts: ConnectionOptions) {
    super();
    this.password = opts.password;
    this.shown = new ShownMessages(opts.seenMax ?? 10_000, { prefix: () => this.prefix, status: (text) => this.emit('status', text) });
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 90_000;
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 10_000;
    this.requests = new Requests({
      answerTimeoutMs: opts.answerTimeoutMs ?? 60_000,
      ...(opts.rateBackoff ? { rateBackoff: opts.rateBackoff } : {}),
      prefix: () => this.prefix,
      status: (text) => this.emit('status', text),
    });
    this.queue = new SendQueue({
      prefix: () => this.prefix,
      current: () => this.current,
      user: () => this.user,
      live: () => (this.state === 'ready' && !this.closing ? this.link : null),
      answered: (frame, a) => {
        if (a.type === 'result' && a.command === 'passwd') {
          this.password = newPasswordOf(frame, this.prefix) ?? this.password;
          this.resume.forget();
        }
      },
    }, this.requests);
    this.reconnector = new Reconnector(opts.backoff);
  }

  get where(): string { return `${this.opts.host}:${this.opts.port}`; }

  /**
   * Connects and logs in. Rejects with a SetupError when the first connection fails for any reason
   * (refused, certificate, login): only an established session reconnects.
   */
  async start(): Promise<LoginOkFrame> {
    if (this.state !== 'idle') throw new Error('start() called twice');
    this.state = 'connecting';
    try {
      return await this.session(false);
    } catch (e) {
      this.state = 'closed';
      if (e instanceof SetupError) throw e;
      throw new SetupError(`cannot connect to ${this.where}: ${e instanceof Disconnected ? e.reason : (e as Error).message}`);
    }
  }

  /**
   * Sends a line as a say (a line starting with the prefix is a command on the server). Lines are
   * sent one at a time in order, each after the previous one's answer; RATE_LIMITED is retried after
   * a backoff, and a line whose answer was lost with the connection is sent again after the reconnect,
   * unless the history sent on rejoining shows that it arrived (commands are always sent again).
   * Resolves with the answer (an error frame is an answer too).
   */
  say(text: string, room?: string): Promise<Answer> {
    return this.enqueue({ type: 'say', text, ...(room !== undefined ? { room } : {}) });
  }

  /** Any client frame through the ordered queue (say, command). */
  enqueue(frame: ClientFrame): Promise<Answer> {
    if (this.state === 'closed' || this.closing) return Promise.reject(new Error('connection closed'));
    // chatd answers an over-long line with FRAME_TOO_LARGE and closes: refused here, or the line would
    // be sent again after every reconnect.
    const bytes = Buffer.byteLength(JSON.stringify({ ...frame, id: 'c000000000.00000000' }));
    if (bytes > MAX_LINE_BYTES) return Promise.reject(new Error(`line too long to send (${bytes} bytes as a frame; the limit is ${MAX_LINE_BYTES})`));
    return this.queue.push(frame);
  }

  /**
   * A command of the connection's own (help, users…), outside the ordered queue, not resent after a
   * reconnect. Its frames are marked internal.
   */
  async internal(line: string): Promise<Answer> {
    if (this.state !== 'ready' || !this.link) throw new Disconnected('not connected');
    return this.requests.send(this.link, { type: 'command', line }, true);
  }

  /** Ends the session on purpose: quit, close, no reconnect. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.closing = true;
    this.reconnector.interrupt();
    this.queue.rejectAll(new Error('connection closed'));
    const link = this.link;
    if (link && !link.isClosed) {
      this.quitId = this.requests.nextId('q');
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

  // ---- one session ---------------------------------------------------------------------------

  /** Opens TLS, waits for welcome, logs in and (after a reconnect) rejoins. */
  private async session(reconnect: boolean): Promise<LoginOkFrame> {
    const { host, port, ca, cert, key, certFile } = this.opts;
    const link = await openLink(
      { host, port, ca, cert, key, certFile, connectTimeoutMs: this.connectTimeoutMs, idleTimeoutMs: this.idleTimeoutMs, tlsSessions: this.tlsSessions },
      { onLine: (l, line) => this.onLine(l, line), onClose: (l) => this.onClose(l) },
    );
    link.reconnect = reconnect;
    this.link = link;
    try {
      await link.within(link.welcome, WELCOME_TIMEOUT_MS, 'welcome from the server');
      let ok = reconnect ? await this.relogin(link) : await this.login(link, this.password);
      // A //passwd whose answer was lost with the connection may have taken effect: then only its
      // new password logs in (once; chatd keeps a connection open after a refused login).
      const changed = reconnect && ok.type === 'error' && ok.code === 'AUTH_FAILED' ? this.lostPasswd() : null;
      if (changed !== null) {
        const again = await this.login(link, changed);
        if (again.type === 'login_ok') {
          this.password = changed;
          this.queue.settleFirst({ type: 'result', command: 'passwd', text: 'password changed' });
          this.emit('status', 'your //passwd took effect before the connection dropped: logged in with the new password');
          ok = again;
        }
      }
      if (ok.type === 'error') {
        const code = clean(ok.code) || 'INTERNAL';
        const msg = `${code}: ${clean(ok.message)}`;
        if (!reconnect || FATAL_LOGIN.has(code)) throw new SetupError(msg);
        throw new Disconnected(`login refused (${msg})`);
      }
      if (ok.type !== 'login_ok') throw new Disconnected('unexpected answer to login');
      this.user = ok.user;
      if (reconnect) {
        // A line in flight when the connection dropped is sent again with its id (SendQueue): chatd
        // runs it once. What was said meanwhile comes with the resumed rooms, after what was shown.
        const join = (room: string): Promise<Answer> => this.requests.send(link, this.shown.rejoin(room), true);
        await resume(this.rooms, this.current, join, (line) => this.requests.send(link, { type: 'command', line }, true), (t) => this.emit('status', t));
        const list = this.rooms.map((r) => `#${r}`).join(' ');
        // Whether the server took our TLS session ticket: a full handshake otherwise (a new server key or CA).
        this.emit('status', `reconnected as ${this.opts.user}${list ? `; in ${list}` : ''}${link.resumed ? '; TLS session resumed' : ''}`);
      } else {
        const room = clean(ok.room) || 'lobby';
        this.rooms = [room];
        this.current = room;
        this.emit('rooms');
        if (this.opts.afterLogin) {
          await this.opts.afterLogin((frame) => this.requests.send(link, frame, true, LOGIN_TIMEOUT_MS, false))
            .catch((e) => this.emit('status', `after login: ${(e as Error).message}`));
        }
      }
      if (link.isClosed) throw new Disconnected(link.reason);
      link.ready = true;
      this.state = 'ready';
      this.emit('ready', { reconnected: reconnect });
      void this.queue.pump();
      return ok;
    } catch (e) {
      link.abandoned = true;
      link.socket.destroy();
      if (link.fatal) throw link.fatal;
      throw e;
    }
  }

  private login(link: Link, password: string): Promise<Answer> {
    return this.requests.send(link, { type: 'login', user: this.opts.user, password }, true, LOGIN_TIMEOUT_MS, false);
  }

  /**
   * A reconnect: the resume token first (chatd checks it without a password hash), then, if it was
   * refused as void, the password on the same connection (chatd keeps it open after a refusal).
   */
  private async relogin(link: Link): Promise<Answer> {
    const id = this.requests.nextId('r');
    const offer = this.resume.offer(this.opts.user, id);
    if (offer) {
      let a: Answer;
      try {
        a = await this.requests.send(link, offer, true, LOGIN_TIMEOUT_MS, false, id);
      } catch (e) {
        this.resume.answered(null);
        throw e;
      }
      if (!this.resume.answered(a)) return a;
    }
    return this.login(link, this.password);
  }

  /** The new password of a passwd command that went out and whose answer was lost, if one did. */
  private lostPasswd(): string | null {
    const frame = this.queue.inFlight;
    return frame ? newPasswordOf(frame, this.prefix) : null;
  }

  private onClose(link: Link): void {
    this.requests.rejectAll(new Disconnected(link.reason));
    this.searchAnswer = null;
    if (this.link === link) this.link = null;
    if (this.closing) {
      this.queue.rejectAll(new Error('connection closed'));
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
    void this.reconnector.run({
      where: this.where,
      closing: () => this.closing,
      attempt: async () => {
        this.state = 'connecting';
        await this.session(true);
      },
      down: () => { this.state = 'down'; },
      fail: (err) => this.fail(err),
      retry: (info) => this.emit('retry', info),
    });
  }

  private fail(err: SetupError): void {
    if (this.state === 'closed') return;
    this.closing = true;
    this.state = 'closed';
    this.queue.rejectAll(err);
    this.searchAnswer = null;
    this.emit('fatal', err);
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
    let historyKey: FrameId | undefined = idKey;
    // A refused resume token is followed by the password at once: nothing a front end should show.
    if (f.type === 'error' && this.resume.silent(idKey, f.code)) return this.requests.settle(idKey!, f);
    switch (f.type) {
      case 'ping':
        link.write({ type: 'pong', ...(idKey !== undefined ? { id: idKey } : {}) });
        break;
      case 'welcome':
        if (typeof f.prefix === 'string' && /^[!-~]{1,8}$/.test(f.prefix)) this.prefix = f.prefix;
        link.onWelcome();
        break;
      case 'bye': {
        f = this.resume.keepFromBye(f); // as for login_ok: front ends never see the token
        const code = clean(f.code) || '?';
        const reason = clean(f.reason);
        link.reason = `bye ${code}${reason ? `: ${reason}` : ''}`;
        if (FATAL_BYE.has(code)) link.fatal = new SetupError(`${code}: ${reason || 'closed by the server'}`);
        break;
      }
      case 'message':
      case 'dm':
        if (!this.shown.add(f)) {
          // Shown already (from a resumed room's replay), yet the answer to a line sent again: it settles.
          const ack = f.type === 'message' ? f.ack : undefined;
          if (ack !== undefined && this.requests.get(ack)) this.requests.settle(ack, f as MessageFrame);
          return;
        }
        break;
      case 'login_ok':
        f = this.resume.keep(f); // the token stays here: front ends (--json prints frames) never see it
        // After a reconnect the lobby's last messages, sent with login_ok, would come before what the
        // resumed lobby replays: they are left to the replay, which has them in order.
        if (link.reconnect && typeof f.room === 'string' && this.shown.resumes(f.room)) link.skipHistoryOf = f.room;
        break;
      case 'history':
        // A search's matches follow its result (DESIGN), which was held back for them (below).
        if ((f as HistoryFrame).search === true && this.searchAnswer) {
          const held = this.searchAnswer;
          this.searchAnswer = null;
          this.emit('frame', f, { internal: held.internal, mine: !held.internal, retrying: false });
          this.requests.settle(held.key, held.result);
          return;
        }
        // DESIGN: a history frame is a side effect and carries no id; the one a history command asked
        // for comes before that command's result (older servers gave it the command's id).
        if (idKey === undefined) historyKey = this.requests.historyAsker();
        // History sent on join and login overlaps what was shown; a //history the user asked for does not.
        if (historyKey === undefined && Array.isArray(f.messages)) f = this.shown.freshHistory(link, f);
        break;
      case 'result':
        if (f.command === 'quit') this.closing = true; // the server ends the connection next
        break;
    }

    const answerKey = f.type === 'message' ? (f as MessageFrame).ack : f.type === 'history' ? historyKey : idKey;
    const p = this.requests.get(answerKey);
    const isAnswer = p !== undefined && (f.type === 'message' || f.type === 'result' || f.type === 'error' || f.type === 'login_ok' || f.type === 'renewed');
    if (f.type === 'result' && (!p || !p.internal)) this.trackRooms(f);
    const meta: FrameMeta = {
      // login_ok answers our own login, but it is the news every front end shows.
      internal: f.type !== 'login_ok' && ((p?.internal ?? false) || (idKey !== undefined && idKey === this.quitId)),
      mine: p !== undefined && !p.internal,
      retrying: isAnswer && f.type === 'error' && f.code === 'RATE_LIMITED',
    };
    this.emit('frame', f, meta);
    // A search result is settled with the history of its matches that comes next, so that --send
    // prints both before it exits.
    if (isAnswer && f.type === 'result' && f.command === 'search') {
      this.searchAnswer = { key: answerKey!, result: f, internal: p!.internal };
      return;
    }
    if (isAnswer) this.requests.settle(answerKey!, f as Answer);
  }

  /** The rooms a user asked for, from the results of join and part (restored after a reconnect). */
  private trackRooms(f: ResultFrame): void {
    const data = (f.data ?? {}) as { room?: unknown; current?: unknown };
    // A room name, and no more rooms than MAX_ROOMS (far above what one user can join): 40,000 join
    // results from a hostile server, each a new room copied into the list, blocked the client for minutes.
    const room = normalizeRoom(data.room);
    if (!room) return;
    if (f.command === 'join') {
      if (!this.rooms.includes(room) && this.rooms.length >= MAX_ROOMS) return;
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
