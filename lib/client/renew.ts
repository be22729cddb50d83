// chat-cli's certificate renewal: after the first login, when under a third of the certificate's
// validity is left, a new key is made here and its certificate asked for (renew → renewed); both
// files are replaced atomically. The old certificate keeps working until its own expiry.
import crypto from 'node:crypto';
import fs from 'node:fs';
import type { ClientFrame } from '../protocol/frames.js';
import type { Answer } from './requests.js';
import { newKeyAndCsr } from './keys.js';
import { clean } from './link-errors.js';
import { writeAtomic } from './profile.js';

/** True when under a third of the certificate's validity is left. */
export function renewalDue(certPem: string | Buffer, now = Date.now()): boolean {
  const x = new crypto.X509Certificate(certPem);
  const from = Date.parse(x.validFrom);
  const to = Date.parse(x.validTo);
  return to - now < (to - from) / 3;
}

/** The afterLogin hook of a ChatConnection that renews `certFile`/`keyFile` when due. */
export function renewer(user: string, certFile: string, keyFile: string, status: (s: string) => void) {
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
    const x = new crypto.X509Certificate(a.cert);
    if (x.subject !== `CN=${user}` || !x.checkPrivateKey(crypto.createPrivateKey(keyPem))) return status('certificate renewal: the server sent a certificate that is not for this key; keeping the old one');
    // Key first: until the certificate follows, the old certificate and the new key do not match,
    // which a crash in between would leave behind, but neither file is ever half written.
    writeAtomic(keyFile, keyPem, 0o600);
    writeAtomic(certFile, a.cert, 0o644);
    status(`certificate renewed; valid until ${new Date(x.validTo).toISOString()}`);
  };
}
