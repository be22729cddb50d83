// The TLS session chat-cli offers when it connects again: the latest session ticket the server sent
// on the previous connection. Offering it lets the server skip the certificate exchange and the RSA
// signatures of a full mutual-TLS handshake (chatd's ticket keys survive its restarts: see
// lib/tls-tickets.ts). Kept in memory only, for this process's own reconnects: a ticket carries the
// session's resumption secret. A ticket the server no longer accepts costs nothing but the full
// handshake that follows, which OpenSSL does by itself.
import type tls from 'node:tls';

export class TlsSessions {
  private latest: Buffer | null = null;

  /** The session to offer, if a previous connection left one. */
  get(): Buffer | undefined { return this.latest ?? undefined; }

  /** Keeps every ticket this socket receives (TLS 1.3 sends them after the handshake, often two). */
  keep(socket: tls.TLSSocket): void {
    socket.on('session', (s: Buffer) => { this.latest = s; });
  }

}
