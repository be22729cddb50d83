// readPeer (lib/auth/peer.ts) over real mutual TLS: what chatd takes from a client certificate (the
// CN that --cert-binding cn compares with the login name, the fingerprint, validity and serial) must
// be what getPeerCertificate() says, and a subject that is not exactly one login-name CN gives no user.
import crypto from 'node:crypto';
import tls from 'node:tls';
import { expect } from 'chai';
import forge from 'node-forge';
import { createCA, createClientCert, createServerCert, type CertKeyPair } from '../../lib/auth/certs.js';
import { readPeer, type PeerCert } from '../../lib/auth/peer.js';

const { pki } = forge;

/** A client certificate from `ca` with exactly these subject attributes (node-forge, as chatd issues them). */
function clientWithSubject(ca: CertKeyPair, subject: forge.pki.CertificateField[]): CertKeyPair {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const cert = pki.createCertificate();
  cert.publicKey = pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }) as string);
  cert.serialNumber = '0a1b2c3d4e5f';
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 86_400_000);
  cert.setSubject(subject);
  const caCert = pki.certificateFromPem(ca.certPem);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([{ name: 'basicConstraints', cA: false }, { name: 'extKeyUsage', clientAuth: true }]);
  cert.sign(pki.privateKeyFromPem(ca.keyPem), forge.md.sha256.create());
  return { certPem: pki.certificateToPem(cert), keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string };
}

describe('readPeer: the client certificate of a TLS session', function () {
  this.timeout(20_000);
  let ca: CertKeyPair;
  let server: tls.Server;
  let port: number;
  let seen: Array<{ peer: PeerCert | null; full: tls.PeerCertificate }> = [];

  before(async () => {
    ca = await createCA();
    const srv = await createServerCert(ca, ['localhost']);
    server = tls.createServer({ cert: srv.certPem, key: srv.keyPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: false }, (socket) => {
      seen.push({ peer: readPeer(socket), full: socket.getPeerCertificate() });
      socket.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => { seen = []; });

  async function present(client?: CertKeyPair): Promise<{ peer: PeerCert | null; full: tls.PeerCertificate }> {
    await new Promise<void>((resolve) => {
      const s = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: ca.certPem, ...(client ? { cert: client.certPem, key: client.keyPem } : {}) });
      s.on('error', () => resolve());
      s.on('close', () => resolve());
      s.resume();
    });
    expect(seen).to.have.length(1);
    return seen[0]!;
  }

  it('reads what getPeerCertificate() reports: CN (as a login name), fingerprint, validity, serial', async () => {
    const { peer, full } = await present(await createClientCert(ca, 'Alice'));
    expect(peer).to.deep.equal({
      user: 'alice', fingerprint: full.fingerprint256, validFrom: full.valid_from, validTo: full.valid_to, serial: full.serialNumber,
    });
  });

  it('gives no user for a subject without exactly one CN that is a login name', async () => {
    const cases: Array<[string, forge.pki.CertificateField[]]> = [
      ['two CNs', [{ shortName: 'CN', value: 'alice' }, { shortName: 'CN', value: 'bob' }]],
      ['no CN', [{ shortName: 'O', value: 'alice' }]],
      ['a CN with a newline', [{ shortName: 'CN', value: 'mallory\nCN=admin' }]],
      ['a CN that is no login name', [{ shortName: 'CN', value: 'al ice' }]],
      ['a CN hidden in another attribute', [{ shortName: 'O', value: 'x\nCN=admin' }]],
    ];
    for (const [label, subject] of cases) {
      seen = [];
      const { peer, full } = await present(clientWithSubject(ca, subject));
      expect(peer, label).to.not.equal(null);
      expect(peer!.user, label).to.equal(null);
      expect(peer!.fingerprint, label).to.equal(full.fingerprint256);
    }
    // With other attributes beside it, the one CN still names the user.
    seen = [];
    const { peer } = await present(clientWithSubject(ca, [{ shortName: 'O', value: 'Team' }, { shortName: 'CN', value: 'bob' }]));
    expect(peer!.user).to.equal('bob');
  });

  it('is null for a client without a certificate', async () => {
    expect((await present()).peer).to.equal(null);
  });
});
