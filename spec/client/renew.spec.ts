// chat-cli's renewal puts a new certificate in place only when it chains to the profile's CA, is
// for this user and the new key, is a client certificate, and is valid now; otherwise the old files stay.
import { expect } from 'chai';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import forge from 'node-forge';
import { createCA, signClientKey, type CertKeyPair } from '../../lib/auth/certs.js';
import { newKeyAndCsr } from '../../lib/client/keys.js';
import { issuedCertProblem, renewer } from '../../lib/client/renew.js';
import type { ClientFrame } from '../../lib/protocol/frames.js';
import { agedCert } from '../helpers/enroll.js';
import { sharedCerts, tmpdir } from '../helpers/world.js';

/** A certificate for the CSR's key with the given issuer, validity and signer (what a hostile server could send). */
function forged(csrPem: string, issuerCn: string, signerKeyPem: string, from: number, to: number): string {
  const csr = forge.pki.certificationRequestFromPem(csrPem);
  const cert = forge.pki.createCertificate();
  cert.publicKey = csr.publicKey!;
  cert.serialNumber = '01' + crypto.randomBytes(15).toString('hex');
  cert.validity.notBefore = new Date(from);
  cert.validity.notAfter = new Date(to);
  cert.setSubject([{ shortName: 'CN', value: 'carol' }]);
  cert.setIssuer([{ shortName: 'CN', value: issuerCn }]);
  cert.sign(forge.pki.privateKeyFromPem(signerKeyPem), forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

const publicOf = (csrPem: string) => forge.pki.certificationRequestFromPem(csrPem).publicKey as forge.pki.rsa.PublicKey;

describe('client/renew: what may replace the working certificate', function () {
  this.timeout(20000);
  let certs: string;
  let ca: CertKeyPair;
  let caPem: string;
  let other: CertKeyPair;
  before(async () => {
    certs = await sharedCerts();
    caPem = fs.readFileSync(`${certs}/ca.crt`, 'utf8');
    ca = { certPem: caPem, keyPem: fs.readFileSync(`${certs}/ca.key`, 'utf8') };
    other = await createCA({ cn: 'other CA' });
  });

  it('accepts a client certificate of the profile\'s CA for the new key', async () => {
    const { keyPem, csrPem } = await newKeyAndCsr('carol');
    expect(issuedCertProblem(signClientKey(ca, publicOf(csrPem), 'carol', 90), 'carol', keyPem, caPem)).to.equal(null);
  });

  it('refuses another CA\'s, a self-signed one, an expired one, one not yet valid, one for another key (the CA certificate itself), and no certificate', async () => {
    const { keyPem, csrPem } = await newKeyAndCsr('carol');
    const now = Date.now();
    const day = 86_400_000;
    expect(issuedCertProblem(signClientKey(other, publicOf(csrPem), 'carol', 90), 'carol', keyPem, caPem)).to.match(/not signed by the CA this profile trusts \(CN=other CA\)/);
    expect(issuedCertProblem(forged(csrPem, 'carol', other.keyPem, now - day, now + 90 * day), 'carol', keyPem, caPem)).to.match(/not signed by the CA/);
    // The right issuer name, signed by another key.
    expect(issuedCertProblem(forged(csrPem, new crypto.X509Certificate(caPem).subject.slice(3), other.keyPem, now - day, now + 90 * day), 'carol', keyPem, caPem)).to.match(/not signed by the CA/);
    expect(issuedCertProblem(forged(csrPem, new crypto.X509Certificate(caPem).subject.slice(3), ca.keyPem, now - 90 * day, now - day), 'carol', keyPem, caPem)).to.match(/expired/);
    expect(issuedCertProblem(forged(csrPem, new crypto.X509Certificate(caPem).subject.slice(3), ca.keyPem, now + 2 * day, now + 90 * day), 'carol', keyPem, caPem)).to.match(/not valid before/);
    expect(issuedCertProblem(caPem, 'carol', keyPem, caPem)).to.match(/not for this key/);
    expect(issuedCertProblem('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', 'carol', keyPem, caPem)).to.match(/not a certificate/);
  });

  it('refuses an answer with more than the one certificate', async () => {
    const { keyPem, csrPem } = await newKeyAndCsr('carol');
    const cert = signClientKey(ca, publicOf(csrPem), 'carol', 90);
    expect(issuedCertProblem(cert + cert, 'carol', keyPem, caPem)).to.match(/more than one certificate/);
  });

  it('the renewer writes the certificate as parsed (nothing the server sent around it), and keeps the old one for one that ends sooner', async () => {
    const dir = tmpdir('renew-canonical');
    try {
      const { keyPem } = await newKeyAndCsr('carol');
      const certFile = path.join(dir, 'carol.crt');
      const keyFile = path.join(dir, 'carol.key');
      const oldCert = agedCert(certs, 'carol', keyPem, 80, 5);
      fs.writeFileSync(certFile, oldCert);
      fs.writeFileSync(keyFile, keyPem, { mode: 0o600 });
      const status: string[] = [];
      // A certificate that ends in a minute, for a profile whose certificate has 5 days left.
      await renewer('carol', certFile, keyFile, caPem, (s) => status.push(s))(async (f: ClientFrame) => {
        const csr = (f as { csr: string }).csr;
        return { type: 'renewed', cert: forged(csr, new crypto.X509Certificate(caPem).subject.slice(3), ca.keyPem, Date.now() - 60_000, Date.now() + 60_000), not_after: '' } as never;
      });
      expect(status[0]).to.match(/ends before the one it replaces; keeping the old one/);
      expect(fs.readFileSync(certFile, 'utf8')).to.equal(oldCert);
      // A good certificate wrapped in terminal escapes: the file holds the certificate alone.
      await renewer('carol', certFile, keyFile, caPem, (s) => status.push(s))(async (f: ClientFrame) => {
        const csr = (f as { csr: string }).csr;
        return { type: 'renewed', cert: `\x1b]0;pwned\x07junk\n${signClientKey(ca, publicOf(csr), 'carol', 90)}\x1b]52;c;aGk=\x07\n`, not_after: '' } as never;
      });
      expect(status[1]).to.match(/^certificate renewed/);
      const written = fs.readFileSync(certFile, 'utf8');
      expect(written).to.match(/^-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+-----END CERTIFICATE-----\n$/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the renewer keeps both files and says why when the answer is a self-signed certificate', async () => {
    const dir = tmpdir('renew-unit');
    const { keyPem } = await newKeyAndCsr('carol');
    const oldCert = agedCert(certs, 'carol', keyPem, 20, 5);
    const certFile = path.join(dir, 'carol.crt');
    const keyFile = path.join(dir, 'carol.key');
    fs.writeFileSync(certFile, oldCert);
    fs.writeFileSync(keyFile, keyPem, { mode: 0o600 });
    const status: string[] = [];
    const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    const attacker = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    await renewer('carol', certFile, keyFile, caPem, (s) => status.push(s))(async (f: ClientFrame) => {
      const csr = (f as { csr: string }).csr;
      return { type: 'renewed', cert: forged(csr, 'carol', attacker, Date.now() - 60_000, Date.now() + 90 * 86_400_000), not_after: '' } as never;
    });
    expect(status).to.have.length(1);
    expect(status[0]).to.match(/^certificate renewal: the server sent a certificate not signed by the CA this profile trusts \(CN=carol\); keeping the old one \(it expires /);
    expect(fs.readFileSync(certFile, 'utf8')).to.equal(oldCert);
    expect(fs.readFileSync(keyFile, 'utf8')).to.equal(keyPem);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
