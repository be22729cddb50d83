// The TLS listener: mutual TLS, ALPN mode selection, connection caps, certificate reload, graceful stop.
import { setTimeout as sleep } from 'node:timers/promises';
import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { addressKey } from './address-key.js';
import type { Config } from './config.js';
import { SetupError } from './errors.js';
import type { ChatNode } from './node.js';
import { readPeer } from './auth/peer.js';
import { Session } from './session.js';
import { listenOn } from './listen.js';
import { chooseAlpn } from './alpn.js';
import { ALPN, ENROLL_ALPN } from './protocol/frames.js';
import { certificateRefusal, noCertificateRefusal, refusalOf, RefusalLog, type Refusal } from './tls-refusals.js';
import { serveEnrollment } from './enroll/connection.js';
import type { EnrollService } from './enroll/service.js';
import { rotateTicketKeys, ticketOptions } from './tls-tickets.js';
import { KeyedBuckets } from './ratelimit.js';


export type TlsFiles = { cert: string; key: string; ca: string };
export type TlsPem = { cert: Buffer; key: Buffer; ca: Buffer };

/**
 * The secure-context settings, for the listener at start and for every SIGHUP reload alike: a reload
 * that spelled them out again once dropped `minVersion` and let TLS 1.2 clients in (issue 12).
 * Every setting that lives in the secure context (versions, ciphers, curves) belongs here and only here;
 * the client-certificate policy and ALPN are listener options, which a reload does not touch.
 * Session tickets are made with keys derived from the server key and the CA (lib/tls-tickets.ts), so
 * that a restart or a reload keeps them resumable.
 */
export function secureContextOptions(config: Config, pem: TlsPem, now = Date.now()): tls.SecureContextOptions {
  return { ...pem, minVersion: config.tlsMinVersion, ...ticketOptions(pem, now) };
}

/** Reads and checks the PEM files: each readable, and the key matching the certificate. */
export function loadTls(files: TlsFiles): TlsPem {
  const read = (what: string, p: string) => {
    try { return fs.readFileSync(p); } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new SetupError(`cannot read ${what} file ${p}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message}`);
    }
  };
  const pem = { cert: read('--cert', files.cert), key: read('--key', files.key), ca: read('--ca', files.ca) };
  try {
    tls.createSecureContext(pem);
  } catch (e) {
    const msg = (e as Error).message;
    if (/key values mismatch/i.test(msg)) throw new SetupError(`--key ${files.key} does not match --cert ${files.cert}`);
    throw new SetupError(`bad certificate material (${files.cert}, ${files.key}, ${files.ca}): ${msg}`);
  }
  return pem;
}

/**
 * A listener's TLS material: its secure context from the PEM files, rebuilt on SIGHUP, and its
 * session-ticket key moved on as each period ends, derived from the PEM in use (lib/tls-tickets.ts).
 * The chat and the IRC listener each keep one.
 */
export class ListenerTls {
  private pem: TlsPem;
  private tickets: { stop(): void } | null = null;

  constructor(private readonly config: Config, readonly files: TlsFiles) {
    this.pem = loadTls(files);
  }

  /** The secure-context options to create the listener with. */
  options(): tls.SecureContextOptions { return secureContextOptions(this.config, this.pem); }

  /** Keeps `server`'s ticket key current from now on (until stop()). */
  rotate(server: tls.Server): void { this.tickets = rotateTicketKeys(server, () => this.pem); }

  /** Reads the files again into `server`; throws, and keeps the old context, when one is broken. */
  reload(server: tls.Server): void {
    const pem = loadTls(this.files);
    server.setSecureContext(secureContextOptions(this.config, pem));
    this.pem = pem;
  }

  stop(): void { this.tickets?.stop(); }
}

/** Node's codes for a client-initiated renegotiation: refused outright, or past its own limit of 3 per 10 min. */
const RENEGOTIATION_ERRORS = new Set(['ERR_TLS_RENEGOTIATION_DISABLED', 'ERR_TLS_SESSION_ATTACK']);

/**
 * TLS 1.2 renegotiation costs the server a full handshake each time and serves no client of chatd, so it
 * is refused. Node reports a refused one only as an 'error' event and leaves the connection open (issue
 * 20: behind an empty error handler, 300 renegotiations went through), so the connection is closed here.
 */
export function refuseRenegotiation(socket: tls.TLSSocket, refusals: RefusalLog): void {
  socket.disableRenegotiation();
  socket.on('error', (e: NodeJS.ErrnoException) => {
    if (!e.code || !RENEGOTIATION_ERRORS.has(e.code)) return;
    refusals.refused({ remote: remoteOf(socket), code: e.code, reason: 'TLS renegotiation refused; connection closed' });
    socket.destroy();
  });
}

/**
 * The client's address, also once Node has destroyed the socket: when it drops a client certificate
 * that did not verify it reports the handshake error afterwards, and the TLS socket has forgotten its
 * peer by then. The TCP socket under it (`_parent`, set by Node for every server-side TLS socket) still
 * knows, since admit() asked it first.
 */
export function remoteOf(socket: tls.TLSSocket): string {
  return socket.remoteAddress ?? (socket as unknown as { _parent?: net.Socket })._parent?.remoteAddress ?? '?';
}

/**
 * A handshake the client-certificate policy does not admit, on the chat or the IRC port: counted as
 * failed, logged within budget, closed. One place for both ports, so that they cannot drift apart.
 */
export function refuseHandshake(socket: tls.TLSSocket, node: ChatNode, refusals: RefusalLog, refusal: Refusal): void {
  node.metrics.handshakes.inc({ result: 'failed' });
  refusals.refused(refusal);
  socket.destroy();
}

/** A handshake the policy admits, on either port: counted, and counted as resumed when it was. */
export function countAdmitted(socket: tls.TLSSocket, node: ChatNode): void {
  node.metrics.handshakes.inc({ result: 'ok' });
  if (socket.isSessionReused()) node.metrics.resumed.inc();
}

/** A handshake that failed, on the chat or the IRC port: counted, logged within budget, closed. */
export function onHandshakeError(node: ChatNode, refusals: RefusalLog): (err: Error, s: tls.TLSSocket) => void {
  return (err, s) => {
    const remote = remoteOf(s);
    const refusal = refusalOf(err, s, remote);
    node.metrics.handshakes.inc({ result: 'failed' });
    if (refusal) refusals.refused(refusal);
    else node.log.debug('tls handshake abandoned by the client', { remote, err: err.message });
    s.destroy();
  };
}

/**
 * The host's own addresses, which the new-connection rate does not limit (as Ergo exempts localhost):
 * health checks, a local proxy and the operator's own tools connect from there, often many times in
 * a row, and whoever can connect from there can do worse than knock. The connection caps still apply.
 */
const HOST_ITSELF = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

export class ChatServer {
  readonly server: tls.Server;
  private readonly perIp = new Map<string, number>();
  /** New connections per address (limits.connIpBurst, connIpRate), as configured when last checked. */
  private readonly connRate: { buckets: KeyedBuckets; burst: number; rate: number };
  private total = 0;
  private stopping = false;
  private readonly refusals: RefusalLog;
  private readonly tls: ListenerTls;

  constructor(readonly config: Config, readonly node: ChatNode, files: TlsFiles, private readonly enroll: EnrollService | null = null) {
    this.refusals = new RefusalLog(node.log, undefined, undefined, undefined, undefined, () => config.limits.ipv6PrefixLength);
    this.tls = new ListenerTls(config, files);
    const { connIpBurst: burst, connIpRate: rate } = config.limits;
    this.connRate = { buckets: new KeyedBuckets(burst, rate), burst, rate };
    this.server = tls.createServer({
      ...this.tls.options(),
      // Checked in accept(), not by the handshake: a client without a certificate may still enroll
      // (ALPN chatd-enroll/1), and only that, even with --client-cert required.
      requestCert: true,
      rejectUnauthorized: false,
      ALPNCallback: chooseAlpn,
      handshakeTimeout: config.limits.handshakeTimeoutMs,
    });
    this.server.on('connection', (raw: net.Socket) => this.admit(raw));
    this.server.on('secureConnection', (s: tls.TLSSocket) => this.accept(s));
    this.server.on('tlsClientError', onHandshakeError(node, this.refusals));
    this.tls.rotate(this.server);
  }

  /** Connection caps, checked on the raw TCP socket before any TLS work is spent on it (the IRC listener's too). */
  admit(raw: net.Socket): void {
    const lim = this.config.limits;
    const ip = raw.remoteAddress ?? '?';
    const key = addressKey(ip, lim.ipv6PrefixLength); // an IPv6 host's whole /64 counts as one address
    const n = this.perIp.get(key) ?? 0;
    // Every new connection takes a token, refused ones too: a client that keeps knocking stays refused.
    const tooFast = !this.stopping && !this.connToken(key, ip);
    if (this.stopping || tooFast || n >= lim.maxConnPerIp || this.total >= lim.maxConnTotal) {
      // Within the refusal log's budget: one line per refused connection would let a flood fill the disk.
      if (this.stopping) this.node.log.debug('connection refused: shutting down', { remote: ip });
      else if (tooFast) this.refusals.refused({ remote: ip, code: 'CONN_RATE_PER_IP', reason: `too many new connections from this address (over ${lim.connIpBurst} at once, then ${lim.connIpRate}/s)` });
      else this.refusals.refused({ remote: ip, code: n >= lim.maxConnPerIp ? 'CONN_LIMIT_PER_IP' : 'CONN_LIMIT_TOTAL', reason: `connection limit reached (${n} from this address, ${this.total} in all)` });
      raw.destroy();
      return;
    }
    this.perIp.set(key, n + 1);
    this.total++;
    raw.once('close', () => {
      this.total--;
      const left = (this.perIp.get(key) ?? 1) - 1;
      if (left > 0) this.perIp.set(key, left); else this.perIp.delete(key);
    });
  }

  /**
   * One new connection of the address `key` (the peer `ip`): false when it made more than limits.connIpBurst at once
   * and connIpRate a second since (a burst of 0 turns the check off). A config reload applies to
   * the buckets already kept; they are forgotten once full again, so the map stays bounded.
   */
  private connToken(key: string, ip: string): boolean {
    const { connIpBurst: burst, connIpRate: rate } = this.config.limits;
    if (burst <= 0 || HOST_ITSELF.has(ip)) return true;
    const r = this.connRate;
    if (r.burst !== burst || r.rate !== rate) { r.buckets.configure(burst, rate); r.burst = burst; r.rate = rate; }
    return r.buckets.get(key).take();
  }

  private accept(socket: tls.TLSSocket): void {
    // A client may come without a certificate (to enroll, or with --client-cert optional), but never with a bad one.
    const peer = readPeer(socket);
    const hasCert = peer !== null;
    if (hasCert && !socket.authorized) return refuseHandshake(socket, this.node, this.refusals, certificateRefusal(socket, remoteOf(socket)));
    // Before anything is served: an enrollment connection needs no certificate, so it is the one an
    // anonymous peer could renegotiate on (TLS 1.2) to make us burn handshakes.
    refuseRenegotiation(socket, this.refusals);
    if (socket.alpnProtocol === ENROLL_ALPN) {
      if (!this.enroll) { socket.destroy(); return; }
      this.node.metrics.handshakes.inc({ result: 'ok' });
      serveEnrollment(socket, this.enroll, this.config.limits, this.node.log, remoteOf(socket));
      return;
    }
    if (!hasCert && this.config.clientCert === 'required') return refuseHandshake(socket, this.node, this.refusals, noCertificateRefusal(remoteOf(socket)));
    countAdmitted(socket, this.node);
    const mode = socket.alpnProtocol === ALPN ? 'json' : 'text';
    const session = new Session(socket, mode, this.node, this.node.nodeName, peer);
    this.node.add(session);
  }

  listen(): Promise<net.AddressInfo> {
    return listenOn(this.server, this.config.port, this.config.host, '', this.node.log);
  }

  /** SIGHUP: new certificate, key and CA for new connections; a broken file keeps the old ones. */
  reload(): boolean {
    try {
      this.tls.reload(this.server);
    } catch (e) {
      this.node.log.error('certificate reload refused; keeping the old ones', { err: (e as Error).message });
      return false;
    }
    this.node.log.info('certificates reloaded', { cert: this.tls.files.cert });
    // Enrollment names the CA in enroll_hello and signs with its key: it follows the CA now trusted.
    try {
      this.enroll?.reload(this.tls.files.ca, this.config.caKey);
    } catch (e) {
      this.node.log.error('enrollment CA reload refused; enrollment keeps the old CA and key', { err: (e as Error).message });
    }
    return true;
  }

  /** Stops accepting, says bye SHUTDOWN to everyone, flushes history, closes. */
  async close(graceMs = this.config.limits.shutdownGraceMs): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.tls.stop();
    this.refusals.summarize();
    const closed = new Promise<void>((r) => this.server.close(() => r()));
    const deadline = Date.now() + graceMs - 500;
    await this.node.shutdown(Math.max(0, deadline - Date.now()));
    // Let the bye frames reach their readers; a reader that does not take them is cut at the deadline.
    while (this.node.sessions.size && Date.now() < deadline) await sleep(20);
    for (const s of this.node.sessions) s.socket.destroy();
    await Promise.race([closed, sleep(500)]);
  }
}
