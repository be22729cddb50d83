// chat-cli's certificate renewal: after the first login, when under a third of the certificate's
// validity is left, a new key is made here and its certificate asked for (renew → renewed); both
// files are replaced atomically. The old certificate keeps working until its own expiry. What comes
// back replaces it only if it is one this profile can log in with: for this user and the new key,
// issued and signed by the CA the profile trusts (the one the server itself was checked against),
// a client certificate valid now. A server that sent anything else (another CA's, a self-signed
// one, an expired one) would otherwise leave the user with nothing that works.
import crypto from 'node:crypto';
import fs from 'node:fs';
import type { ClientFrame } from '../protocol/frames.js';
import type { Answer } from './requests.js';
import { newKeyAndCsr } from './keys.js';
import { clean } from './link-errors.js';
import { writeAtomic } from './profile.js';
import { pemBlocks } from '../enroll/invite.js';

/** The id-kp-clientAuth extended key usage (RFC 5280 §4.2.1.12). */
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
/** How far ahead of this machine's clock a certificate may start (a server whose clock is ahead). */
const CLOCK_SKEW_MS = 10 * 60_000;

/** True when under a third of the certificate's validity is left. */
export function renewalDue(certPem: string | Buffer, now = Date.now()): boolean {
  const x = new crypto.X509Certificate(certPem);
  const from = Date.parse(x.validFrom);
  const to = Date.parse(x.validTo);
  return to - now < (to - from) / 3;
}

/**
 * Why `certPem`, which chatd issued for `user` and the new `keyPem` (enrollment, renewal), cannot be
 * put in the profile, or null when it can.
 */
export function issuedCertProblem(certPem: string, user: string, keyPem: string, caPem: string | Buffer, now = Date.now()): string | null {
  let x: crypto.X509Certificate;
  try { x = new crypto.X509Certificate(certPem); } catch { return 'the server sent something that is not a certificate'; }
  if (pemBlocks(certPem).length !== 1) return 'the server sent more than one certificate';
  if (x.subject !== `CN=${user}` || !x.checkPrivateKey(crypto.createPrivateKey(keyPem))) return 'the server sent a certificate that is not for this key';
  if (x.ca) return 'the server sent a CA certificate';
  if (x.keyUsage && !x.keyUsage.includes(CLIENT_AUTH)) return 'the server sent a certificate that is not for client authentication';
  const cas = pemBlocks(caPem.toString()).flatMap((b) => { try { return [new crypto.X509Certificate(b)]; } catch { return []; } });
  if (!cas.some((ca) => ca.ca && x.checkIssued(ca) && x.verify(ca.publicKey))) return `the server sent a certificate not signed by the CA this profile trusts (${clean(x.issuer)})`;
  if (Date.parse(x.validFrom) > now + CLOCK_SKEW_MS) return `the server sent a certificate not valid before ${new Date(x.validFrom).toISOString()}`;
  if (Date.parse(x.validTo) <= now) return `the server sent a certificate that expired ${new Date(x.validTo).toISOString()}`;
  return null;
}

/**
 * The afterLogin hook of a ChatConnection that renews `certFile`/`keyFile` when due; `caPem` is the
 * CA the connection trusts, which the new certificate must chain to.
 */
export function renewer(user: string, certFile: string, keyFile: string, caPem: string | Buffer, status: (s: string) => void) {
  return async (ask: (frame: ClientFrame) => Promise<Answer>): Promise<void> => {
    let pem: Buffer;
    try { pem = fs.readFileSync(certFile); } catch { return; }
    if (!renewalDue(pem)) return;
    const { keyPem, csrPem } = await newKeyAndCsr(user);
    const a = await ask({ type: 'renew', csr: csrPem });
    const until = new crypto.X509Certificate(pem).validTo;
    if (a.type === 'error') {
      status(a.code === 'ENROLL_DISABLED'
        ? `your certificate expires ${new Date(until).toISOString()} and this server cannot renew it; ask an operator for a new invite`
        : `certificate renewal failed (${clean(a.code)}: ${clean(a.message)}); it expires ${new Date(until).toISOString()}`);
      return;
    }
    if (a.type !== 'renewed' || typeof a.cert !== 'string') return status('certificate renewal: unexpected answer from the server');
    const problem = issuedCertProblem(a.cert, user, keyPem, caPem)
      // A renewal that ends sooner than what it replaces would lock the user out early (a server sent one valid for 3 s).
      ?? (Date.parse(new crypto.X509Certificate(a.cert).validTo) < Date.parse(until) ? 'the server sent a certificate that ends before the one it replaces' : null);
    if (problem) return status(`certificate renewal: ${problem}; keeping the old one (it expires ${new Date(until).toISOString()})`);
    const x = new crypto.X509Certificate(a.cert);
    // Key first: until the certificate follows, the old certificate and the new key do not match,
    // which a crash in between would leave behind, but neither file is ever half written.
    writeAtomic(keyFile, keyPem, 0o600);
    // The certificate as parsed, re-encoded: what the server sent around it (bytes a `cat` of the file
    // would send to the terminal) is not kept.
    writeAtomic(certFile, x.toString(), 0o644);
    status(`certificate renewed; valid until ${new Date(x.validTo).toISOString()}`);
  };
}
