// chat-cli enroll saves the certificate the server sends back only if it is one the profile can use:
// for the user and the key made here, issued and signed by the invite's CA, valid now. Otherwise it
// saves nothing and says why (the invite is spent either way: that server is the one to ask).
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import forge from 'node-forge';
import { createCA, signClientKey } from '../../lib/auth/certs.js';
import { encodeInvite, caFingerprint, newToken } from '../../lib/enroll/invite.js';
import { runBin } from '../helpers/bin.js';
import { sharedCerts, tmpdir } from '../helpers/world.js';

/** A server of the invite's CA that greets properly and answers the enroll frame with `answer(csr)`. */
async function server(certs: string, answer: (csrPem: string) => string): Promise<{ port: number; close(): void }> {
  const caPem = fs.readFileSync(`${certs}/ca.crt`, 'utf8');
  const srv = tls.createServer({ cert: fs.readFileSync(`${certs}/server.crt`), key: fs.readFileSync(`${certs}/server.key`), ALPNProtocols: ['chatd-enroll/1'] }, (s) => {
    let buf = '';
    s.setEncoding('utf8');
    s.on('error', () => {});
    s.on('data', (d: string) => {
      buf += d;
      const i = buf.indexOf('\n');
      if (i < 0) return;
      const f = JSON.parse(buf.slice(0, i));
      s.end(JSON.stringify({ type: 'enrolled', id: f.id, cert: answer(f.csr), not_after: new Date(Date.now() + 90 * 86_400_000).toISOString() }) + '\n');
    });
    s.write(JSON.stringify({ type: 'enroll_hello', ca: caPem }) + '\n');
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  return { port: (srv.address() as { port: number }).port, close: () => srv.close() };
}

describe('e2e: chat-cli enroll checks the certificate it is given', function () {
  this.timeout(60000);
  let certs: string;
  let dir: string;
  before(async () => {
    certs = await sharedCerts();
    dir = tmpdir('enroll-answer');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const cases: Array<[string, (csr: string, other: { certPem: string; keyPem: string }) => string, RegExp]> = [
    ['one signed by another CA', (csr, other) => signClientKey(other, forge.pki.certificationRequestFromPem(csr).publicKey as forge.pki.rsa.PublicKey, 'erin', 90), /not signed by the CA this profile trusts/],
    ['something that is not a certificate', () => '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', /not a certificate/],
  ];
  for (const [what, answer, message] of cases) {
    it(`${what}: nothing saved, exit 1 with the reason`, async () => {
      const other = await createCA({ cn: 'elsewhere' });
      const fake = await server(certs, (csr) => answer(csr, other));
      try {
        const code = encodeInvite({ v: 1, s: `127.0.0.1:${fake.port}`, u: 'erin', t: newToken(), fp: caFingerprint(fs.readFileSync(`${certs}/ca.crt`, 'utf8')) });
        const profile = path.join(dir, what.replace(/\W+/g, '-'));
        const r = await runBin('chat-cli', ['enroll', code, '--dir', profile], { env: { CHATD_PASSWORD: 'erin picks a passphrase' } });
        expect(r.code, r.err).to.equal(1);
        expect(r.err).to.match(message);
        expect(r.err).to.match(/nothing was saved/);
        expect(r.err.trim().split('\n')).to.have.length(1);
        expect(fs.existsSync(profile)).to.equal(false);
      } finally { fake.close(); }
    });
  }
});
