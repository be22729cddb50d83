// When a new TLS session's first bytes may reach OpenSSL.
import type { TLSSocket } from 'node:tls';

/**
 * Holds every write on a socket that has just finished its handshake until the I/O callback that
 * reported the handshake has returned; they then go out in the order they were made.
 *
 * Node emits 'secureConnection' from inside the read that completed the handshake. A write made
 * there (the welcome frame) reaches SSL_write while that read is still unwinding, and the socket
 * then keeps ~13 KiB more native memory for as long as it lives: measured with a bare node:tls
 * server holding 3,000 idle sessions, 56.6 KiB per session with the welcome written in the
 * handler, 43.5 with nothing written, 43.7 with the welcome corked and released on setImmediate
 * (process.nextTick is still too early: 56.7). BENCHMARKS.md, finding 8.
 */
export function holdFirstWrites(socket: TLSSocket): void {
  socket.cork();
  setImmediate(() => socket.uncork());
}
