// What chatd uses of a client's certificate, read once per connection. TLSSocket#getPeerCertificate()
// converts the whole certificate into an object (key, DER, extensions) each time it is called, ~0.1 ms;
// a login read it three times (accept, Session, enrollment bookkeeping), a tenth of a room fill's
// main-thread time (BENCHMARKS.md, Performance II).
import type { TLSSocket } from 'node:tls';
import { normalizeUsername } from '../sanitize.js';

export type PeerCert = {
  /** The CN, normalized like a login name, or null when there is none or more than one. */
  user: string | null;
  /** Uppercase colon-separated SHA-256 of the DER, as getPeerCertificate().fingerprint256. */
  fingerprint: string | null;
  validFrom: string;
  validTo: string;
  serial: string;
};

/** The peer's certificate, or null when it sent none. */
export function readPeer(socket: TLSSocket): PeerCert | null {
  const c = socket.getPeerCertificate();
  if (!c || Object.keys(c).length === 0) return null;
  return {
    // No Unicode folding: \u212Aate is not kate.
    user: c.subject && typeof c.subject.CN === 'string' ? normalizeUsername(c.subject.CN) : null,
    fingerprint: c.fingerprint256 || null,
    validFrom: c.valid_from, validTo: c.valid_to, serial: String(c.serialNumber ?? ''),
  };
}
