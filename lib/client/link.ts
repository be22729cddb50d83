// One TLS connection of chat-cli to chatd: mutual TLS with the server's certificate checked against
// --ca, ALPN chatd/1, JSON Lines split into lines, keepalive, and what is known about how it ended.
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import tls from 'node:tls';
import { SetupError } from '../errors.js';
import type { ClientFrame } from '../protocol/frames.js';
import { ALPN } from '../protocol/frames.js';
import { LineDecoder } from '../protocol/jsonl.js';
import { certRefused, Disconnected, networkReason, tlsProblem } from './link-errors.js';
import type { TlsSessions } from './tls-session.js';

/** Server frames can be large (a history of 200 long messages); anything beyond this is not chatd. */
const MAX_SERVER_LINE = 8 * 1024 * 1024;

export type LinkOptions = {
  host: string;
  port: number;
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
  /** TCP connect + TLS handshake. */
  connectTimeoutMs: number;
  /** Silence from the server after which the connection counts as dead. */
  idleTimeoutMs: number;
  /** The --cert path, to name it when the server refuses the certificate. */
  certFile?: string;
  /** The session tickets of this connection's server: the latest is offered, the new ones kept. */
  tlsSessions?: TlsSessions;
};

export type LinkHandlers = {
  onLine(link: Link, line: string): void;
  /** After the socket closed, once. */
  onClose(link: Link): void;
};

export class Link {
  reason = 'connection closed by the server';
  /** Made after an established session dropped (its join histories may not reach back far enough). */
  reconnect = false;
  fatal: SetupError | null = null;
  ready = false;
  abandoned = false;
  isClosed = false;
  /** The TLS handshake resumed an earlier session (a ticket of a previous connection). */
  readonly resumed: boolean;
  welcome: Promise<void>;
  closed: Promise<void>;
  /** The first history frame the server sent by itself (on login: the lobby's). */
  firstHistory: Promise<void>;
  onWelcome!: () => void;
  onHistory!: () => void;
  /** A room whose next history frame (the one sent with login_ok) is left out: its resume replays it. */
  skipHistoryOf: string | null = null;
  private onClosed!: () => void;
  private lastHeard = Date.now();
  private heard = false;
  private pinged = false;
  private readonly watchdog: NodeJS.Timeout;

  constructor(readonly socket: tls.TLSSocket, private readonly idleTimeoutMs: number, handlers: LinkHandlers, host: string, certFile?: string) {
    this.welcome = new Promise((r) => (this.onWelcome = r));
    this.closed = new Promise((r) => (this.onClosed = r));
    this.firstHistory = new Promise((r) => (this.onHistory = r));
    this.resumed = socket.isSessionReused();
    socket.setNoDelay(true);
    const decoder = new LineDecoder(MAX_SERVER_LINE, (line) => handlers.onLine(this, line), () => {
      this.reason = 'the server sent an over-long line';
      socket.destroy();
    });
    socket.on('data', (d: Buffer) => {
      this.lastHeard = Date.now();
      this.heard = true;
      this.pinged = false;
      decoder.push(d);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      const fatal = tlsProblem(err, host, certFile);
      if (fatal) this.fatal = fatal;
      else this.reason = networkReason(err);
    });
    socket.on('end', () => {
      // chatd sends its welcome as soon as it accepts a connection: an orderly close before any byte
      // is chatd refusing the certificate after the handshake (it sends no alert for that).
      if (!this.heard && !this.fatal) this.fatal = certRefused(certFile);
      socket.end();
    });
    socket.on('close', () => {
      clearInterval(this.watchdog);
      this.isClosed = true;
      this.onClosed();
      handlers.onClose(this);
    });
    const tick = Math.max(50, Math.min(1000, idleTimeoutMs / 4));
    this.watchdog = setInterval(() => this.keepalive(), tick);
  }

  /** Rejects with Disconnected when the link closes first, or with a timeout. */
  async within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
    const ac = new AbortController();
    try {
      return await Promise.race([
        p,
        this.closed.then(() => { throw new Disconnected(this.reason); }),
        sleep(ms, undefined, { signal: ac.signal }).then(() => { throw new Disconnected(`no ${what} within ${ms / 1000} s`); }),
      ]);
    } finally {
      ac.abort();
    }
  }

  write(f: ClientFrame): void {
    if (!this.isClosed && !this.socket.destroyed) this.socket.write(JSON.stringify(f) + '\n');
  }

  /** A ping when the server has been quiet for a third of the idle limit; dead after the whole of it. */
  private keepalive(): void {
    const silent = Date.now() - this.lastHeard;
    if (silent >= this.idleTimeoutMs) {
      this.reason = `no data from the server for ${Math.round(silent / 1000)} s`;
      this.socket.destroy();
    } else if (silent >= this.idleTimeoutMs / 3 && !this.pinged && this.ready) {
      this.pinged = true;
      this.write({ type: 'ping' });
    }
  }
}

/** TCP + TLS with our certificate, the server's checked against --ca, ALPN chatd/1. */
export function openLink(o: LinkOptions, handlers: LinkHandlers): Promise<Link> {
  const { host, port, ca, cert, key } = o;
  const session = o.tlsSessions?.get();
  return new Promise<Link>((resolve, reject) => {
    const socket = tls.connect({
      host, port, ca, cert, key,
      ...(session ? { session } : {}),
      // No SNI for an IP address; a name is both the SNI and what the certificate must cover.
      ...(net.isIP(host) ? {} : { servername: host }),
      ALPNProtocols: [ALPN],
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
    });
    o.tlsSessions?.keep(socket);
    const timer = setTimeout(() => fail(new Disconnected(`no TLS handshake within ${o.connectTimeoutMs / 1000} s`)), o.connectTimeoutMs);
    const fail = (e: Error) => {
      clearTimeout(timer);
      socket.on('error', () => {}); // a late second error of a socket given up on is nobody's business
      socket.destroy();
      reject(e);
    };
    const onError = (err: NodeJS.ErrnoException) => fail(tlsProblem(err, host, o.certFile) ?? new Disconnected(networkReason(err)));
    const onClose = () => fail(new Disconnected('connection closed during the TLS handshake'));
    socket.once('error', onError);
    socket.once('close', onClose);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      socket.removeListener('error', onError);
      socket.removeListener('close', onClose);
      if (socket.alpnProtocol !== ALPN) {
        socket.destroy();
        return reject(new SetupError(`${host}:${port} did not agree to ALPN ${ALPN}: not a chatd server, or one too old for this client`));
      }
      resolve(new Link(socket, o.idleTimeoutMs, handlers, host, o.certFile));
    });
  });
}
