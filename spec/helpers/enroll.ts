// Raw enrollment clients for specs: ALPN chatd-enroll/1 without a client certificate, one enroll
// frame, and everything the server sent until it closed.
import crypto from 'node:crypto';
import fs from 'node:fs';
import tls from 'node:tls';
import forge from 'node-forge';
import { runBin } from './bin.js';
import { loadCA } from '../../lib/auth/certs.js';
import type { Frame } from './client.js';
import { decodeInvite, type Invite } from '../../lib/enroll/invite.js';

export type EnrollResult = { frames: Frame[]; hello: Frame | null; answer: Frame | null; ms: number };

/** Connects on chatd-enroll/1, waits for enroll_hello, sends `frame` (unless null) and collects frames until the close. */
export function enrollRaw(port: number, certs: string, frame: object | null, ms = 10000): Promise<EnrollResult> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: fs.readFileSync(`${certs}/ca.crt`), ALPNProtocols: ['chatd-enroll/1'] });
    const frames: Frame[] = [];
    let buf = '';
    let sentAt = 0;
    let answeredAt = 0;
    const t = setTimeout(() => { s.destroy(); reject(new Error(`enrollment got no close in ${ms} ms: ${JSON.stringify(frames).slice(0, 300)}`)); }, ms);
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const f = JSON.parse(buf.slice(0, i));
        buf = buf.slice(i + 1);
        frames.push(f);
        if (f.type === 'enroll_hello' && frame) { sentAt = Date.now(); s.write(JSON.stringify(frame) + '\n'); }
        else if (f.type === 'enroll_hello') s.end(); // only the hello was wanted
        else if (!answeredAt) answeredAt = Date.now();
      }
    });
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(t);
      const hello = frames.find((f) => f.type === 'enroll_hello') ?? null;
      resolve({ frames, hello, answer: frames.find((f) => f.type !== 'enroll_hello') ?? null, ms: answeredAt - sentAt });
    });
  });
}

/** `chat-admin invite add`, through the binary; resolves to the code and what it holds. */
export async function inviteCode(db: string, certs: string, user: string, ...args: string[]): Promise<{ code: string; invite: Invite }> {
  const r = await runBin('chat-admin', ['invite', 'add', user, '--ca', `${certs}/ca.crt`, '--db', db, ...args]);
  if (r.code !== 0) throw new Error(`invite add ${user} failed (${r.code}): ${r.err}`);
  const code = r.out.trim();
  return { code, invite: decodeInvite(code) };
}

/** A client certificate for `user` whose validity began `pastDays` ago and ends in `leftDays` (signed by the CA of `caDir`). */
export function agedCert(caDir: string, user: string, keyPem: string, pastDays: number, leftDays: number): string {
  const ca = loadCA(caDir);
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const key = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  cert.serialNumber = '01' + crypto.randomBytes(15).toString('hex');
  cert.validity.notBefore = new Date(Date.now() - pastDays * 86_400_000);
  cert.validity.notAfter = new Date(Date.now() + leftDays * 86_400_000);
  cert.setSubject([{ shortName: 'CN', value: user }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([{ name: 'basicConstraints', cA: false }, { name: 'keyUsage', digitalSignature: true }, { name: 'extKeyUsage', clientAuth: true }]);
  cert.sign(forge.pki.privateKeyFromPem(ca.keyPem), forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}
