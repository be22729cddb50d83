// SECURITY.md "Threat model / Enrollment": chatd can sign with an intermediate CA, the root key kept
// elsewhere. --ca is the bundle (intermediate, root), --ca-key the intermediate's key; the invite pins
// the whole bundle; enrolled users log in with certificates the intermediate signed.
import { expect } from 'chai';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import forge from 'node-forge';
import { startChatd, type Chatd } from '../../lib/app.js';
import { createCA, createServerCert, type CertKeyPair } from '../../lib/auth/certs.js';
import { Logger } from '../../lib/log.js';
import { runBin } from '../helpers/bin.js';
import { inviteCode } from '../helpers/enroll.js';
import { makeWorld, testConfig, tmpdir, type World } from '../helpers/world.js';

/** An intermediate CA signed by `root` (what an operator would make with openssl or step-ca). */
function intermediate(root: CertKeyPair): CertKeyPair {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const key = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
  const rootCert = forge.pki.certificateFromPem(root.certPem);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  cert.serialNumber = '01' + crypto.randomBytes(15).toString('hex');
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 365 * 86_400_000);
  cert.setSubject([{ shortName: 'CN', value: 'chatd intermediate' }]);
  cert.setIssuer(rootCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(root.keyPem), forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem };
}

describe('e2e: enrollment with an intermediate CA (the root key stays elsewhere)', function () {
  this.timeout(60000);
  let world: World;
  let dir: string;
  let chatd: Chatd;
  before(async () => {
    world = await makeWorld();
    dir = tmpdir('intermediate');
    const root = await createCA({ cn: 'offline root' });
    const inter = intermediate(root);
    const server = await createServerCert(root, ['localhost', '127.0.0.1']);
    fs.writeFileSync(path.join(dir, 'ca.crt'), inter.certPem + root.certPem);
    fs.writeFileSync(path.join(dir, 'inter.key'), inter.keyPem, { mode: 0o600 });
    fs.writeFileSync(path.join(dir, 'server.crt'), server.certPem);
    fs.writeFileSync(path.join(dir, 'server.key'), server.keyPem, { mode: 0o600 });
    chatd = await startChatd(testConfig(world, { caKey: path.join(dir, 'inter.key') }),
      { cert: path.join(dir, 'server.crt'), key: path.join(dir, 'server.key'), ca: path.join(dir, 'ca.crt') }, new Logger('silent'));
  });
  after(async () => {
    await chatd?.stop();
    await world?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('enrolls and logs in with a certificate the intermediate signed', async () => {
    const { code } = await inviteCode(world.db, dir, 'ivy', '--server', `127.0.0.1:${chatd.address.port}`);
    const env = { XDG_CONFIG_HOME: path.join(dir, 'xdg'), CHATD_PASSWORD: 'ivy grows on walls' };
    const r = await runBin('chat-cli', ['enroll', code], { env });
    expect(r.code, r.err).to.equal(0);
    const cert = new crypto.X509Certificate(fs.readFileSync(path.join(dir, 'xdg', 'chatd', 'ivy.crt')));
    expect(cert.issuer).to.equal('CN=chatd intermediate');
    const sent = await runBin('chat-cli', ['--send', 'hello via the intermediate'], { env });
    expect(sent.code, sent.err).to.equal(0);
  });

  it('a --ca-key that belongs to no certificate of --ca is refused at start, in one line', async () => {
    const other = await createCA();
    fs.writeFileSync(path.join(dir, 'other.key'), other.keyPem);
    let err: Error | null = null;
    try {
      await startChatd(testConfig(world, { caKey: path.join(dir, 'other.key') }),
        { cert: path.join(dir, 'server.crt'), key: path.join(dir, 'server.key'), ca: path.join(dir, 'ca.crt') }, new Logger('silent'));
    } catch (e) { err = e as Error; }
    expect(err?.message).to.match(/--ca-key .*other\.key does not belong to any certificate in --ca/);
  });
});
