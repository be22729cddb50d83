// What chatd uses of a client's certificate, read once per connection. It is read through
// TLSSocket#getPeerCertificate(), which converts the certificate OpenSSL already holds into an object
// (~57 µs per connection with a 2,048-bit RSA key). getPeerX509Certificate() looks lighter (fields on
// demand) but costs ~150 µs: it parses the DER again, and OpenSSL 3 decodes the public key through its
// provider machinery, which is most of a parse (BENCHMARKS.md, Performance II, finding 20).
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
  if (!c || !c.raw) return null; // no certificate: an empty object
  // The subject object is built from the certificate's attributes, not parsed from a string, so a CN
  // holding "\nCN=admin" stays one value (and no login name); two CNs make an array, no user either.
  const cn = c.subject?.CN as string | string[] | undefined;
  return {
    // No Unicode folding: \u212Aate is not kate.
    user: typeof cn === 'string' ? normalizeUsername(cn) : null,
    fingerprint: c.fingerprint256 || null,
    validFrom: c.valid_from, validTo: c.valid_to, serial: c.serialNumber,
  };
}
