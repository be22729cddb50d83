// What chatd uses of a client's certificate, read once per connection. It is read through
// TLSSocket#getPeerX509Certificate(), whose fields are computed only when asked for:
// getPeerCertificate() converts the whole certificate into an object (key, modulus, DER, extensions),
// ~30 µs warm and ~70 µs in a room fill, a twentieth of a login's main-thread time (BENCHMARKS.md,
// Performance II, finding 18).
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
  const x = socket.getPeerX509Certificate();
  if (!x) return null;
  const names = commonNames(x.subject);
  return {
    // No Unicode folding: \u212Aate is not kate.
    user: names.length === 1 ? normalizeUsername(names[0]) : null,
    fingerprint: x.fingerprint256 || null,
    validFrom: x.validFrom, validTo: x.validTo, serial: x.serialNumber,
  };
}

/**
 * The CN values of a subject as X509Certificate#subject prints it: one attribute per line, and
 * control and RFC 2253 special characters escaped (a CN holding "\nCN=admin" stays one line, its
 * backslash no login name has). A multi-valued RDN shares a line ("CN=a + CN=b"): one value that is
 * no login name either.
 */
export function commonNames(subject: string): string[] {
  return subject.split('\n').filter((l) => l.startsWith('CN=')).map((l) => l.slice(3));
}
