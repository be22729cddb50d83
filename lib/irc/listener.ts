// The IRC listener (--irc-port): a second TLS server with the chat listener's secure context (one
// secureContextOptions()), client-certificate policy and connection caps (counted together), whose sessions
// speak IRC. Kept beside lib/server.ts rather than in it: the chat listener chooses JSON or text by
// ALPN, this one has a single protocol, and IRC clients send no ALPN at all.
import { readPeer } from '../auth/peer.js';
import { setTimeout as sleep } from 'node:timers/promises';
import net from 'node:net';
import tls from 'node:tls';
import type { Config } from '../config.js';
import type { ChatNode } from '../node.js';
import { countAdmitted, ListenerTls, onHandshakeError, refuseHandshake, refuseRenegotiation, remoteOf, type ChatServer, type TlsFiles } from '../server.js';
import { certificateRefusal, noCertificateRefusal, RefusalLog } from '../tls-refusals.js';
import { IrcSession } from './session.js';
import { listenOn } from '../listen.js';

export class IrcServer {
  readonly server: tls.Server;
  private stopping = false;
  private readonly refusals: RefusalLog;
  private readonly tls: ListenerTls;

  /** `chat` counts this port's connections with its own against the same caps (maxConnPerIp, maxConnTotal). */
  constructor(readonly config: Config, readonly node: ChatNode, files: TlsFiles, chat: ChatServer) {
    this.refusals = new RefusalLog(node.log, undefined, undefined, undefined, undefined, () => config.limits.ipv6PrefixLength);
    this.tls = new ListenerTls(config, files);
    this.server = tls.createServer({
      ...this.tls.options(),
      requestCert: true,
      rejectUnauthorized: config.clientCert === 'required',
      handshakeTimeout: config.limits.handshakeTimeoutMs,
    });
    this.server.on('connection', (raw: net.Socket) => {
      if (this.stopping) raw.destroy(); else chat.admit(raw);
    });
    this.server.on('secureConnection', (s: tls.TLSSocket) => this.accept(s));
    this.server.on('tlsClientError', onHandshakeError(node, this.refusals));
    this.tls.rotate(this.server);
  }

  private accept(socket: tls.TLSSocket): void {
    const peer = readPeer(socket);
    if (!socket.authorized && peer !== null) return refuseHandshake(socket, this.node, this.refusals, certificateRefusal(socket, remoteOf(socket)));
    // rejectUnauthorized does not make OpenSSL ask a resumed session for a certificate: a ticket of
    // the chat port's enrollment (no certificate; the two listeners share ticket keys) resumed here
    // has none, and Node calls it authorized. So the policy is checked here too, as on the chat port.
    if (peer === null && this.config.clientCert === 'required') return refuseHandshake(socket, this.node, this.refusals, noCertificateRefusal(remoteOf(socket)));
    countAdmitted(socket, this.node);
    refuseRenegotiation(socket, this.refusals);
    this.node.add(new IrcSession(socket, this.node, peer));
  }

  listen(): Promise<net.AddressInfo> {
    return listenOn(this.server, this.config.ircPort, this.config.host, 'for IRC ', this.node.log);
  }

  /** SIGHUP: the same files as the chat listener, read again; a broken one keeps the old context. */
  reload(): boolean {
    try {
      this.tls.reload(this.server);
      return true;
    } catch {
      return false; // the chat listener logs the refusal for both
    }
  }

  /** Stops accepting; the node says goodbye to IRC sessions with every other session on shutdown. */
  async close(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.tls.stop();
    this.refusals.summarize();
    await Promise.race([new Promise<void>((r) => this.server.close(() => r())), sleep(500)]);
  }
}
