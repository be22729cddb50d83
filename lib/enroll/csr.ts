// Certificate requests of enrollment and renewal: the user's key is made on their machine and only
// its public half comes here, in a PKCS#10 request that proves possession (its signature) and names
// the user (CN). Anything else is BAD_CSR, before anything is stored.
import type forge from 'node-forge';
import { nodeForge } from '../forge.js';
import { ChatdError } from '../errors.js';

/** The smallest RSA modulus accepted (NIST SP 800-57: 2048 bits until 2030). */
export const MIN_RSA_BITS = 2048;
/**
 * The largest modulus and public exponent accepted. forge checks the signature in JavaScript on the
 * event loop, at a cost that grows with the exponent's bits times the modulus's squared: an
 * 8192-bit exponent on an 8192-bit modulus fits in the PEM cap and took ~4 s, before anything could
 * tell the signature was forged. 64 bits is OpenSSL's own limit on RSA exponents (e is 65537 in practice).
 */
export const MAX_RSA_BITS = 8192;
const MAX_EXPONENT_BITS = 64;
/** A 4096-bit request is under 2 KiB of PEM; the cap keeps forge's parser on small input. */
const MAX_CSR_CHARS = 8192;

export type CheckedCsr = { publicKey: forge.pki.rsa.PublicKey; bits: number };

const bad = (why: string) => new ChatdError('BAD_CSR', `certificate request refused: ${why}`);

/** Parses and checks a CSR for `user`; throws ChatdError BAD_CSR saying why. */
export function checkCsr(pem: unknown, user: string): CheckedCsr {
  if (typeof pem !== 'string' || !pem.includes('-----BEGIN CERTIFICATE REQUEST-----')) throw bad('not a PEM certificate request');
  if (pem.length > MAX_CSR_CHARS) throw bad('too large');
  let csr: forge.pki.CertificateSigningRequest;
  try {
    csr = nodeForge().pki.certificationRequestFromPem(pem);
  } catch {
    throw bad('unparsable, or not an RSA key');
  }
  // The key's size first: its signature is checked only once that is known to be cheap.
  const key = csr.publicKey as forge.pki.rsa.PublicKey | null;
  if (!key || !key.n || !key.e) throw bad('not an RSA key');
  const bits = key.n.bitLength();
  if (bits < MIN_RSA_BITS) throw bad(`RSA key of ${bits} bits; at least ${MIN_RSA_BITS} are required`);
  if (bits > MAX_RSA_BITS) throw bad(`RSA key of ${bits} bits; at most ${MAX_RSA_BITS} are accepted`);
  if (key.e.bitLength() > MAX_EXPONENT_BITS) throw bad(`RSA public exponent over ${MAX_EXPONENT_BITS} bits`);
  // An odd exponent of 3 or more (CA/Browser Forum baseline, RFC 8017): with e = 1 the "signature" is
  // the padded digest itself, which anyone can write for any modulus (another user's, the CA's), so
  // it proves possession of nothing, and every signature by that key is as easy to forge; an even e
  // is no RSA key at all.
  const three = new (nodeForge().jsbn.BigInteger)('3');
  if (key.e.compareTo(three) < 0 || !key.e.testBit(0)) throw bad('RSA public exponent must be odd and at least 3 (65537 is usual)');
  let signed = false;
  try { signed = csr.verify(); } catch { signed = false; }
  if (!signed) throw bad('its signature does not verify');
  const cns = csr.subject.attributes.filter((a) => a.shortName === 'CN' || a.name === 'commonName');
  if (cns.length !== 1 || cns[0]!.value !== user) throw bad(`its common name must be exactly "${user}"`);
  return { publicKey: key, bits };
}
