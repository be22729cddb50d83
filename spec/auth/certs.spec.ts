// lib/auth/certs.ts and cli/chat-certs.ts against real files and real Node TLS: the point of these
// certificates is that a TLS 1.3 server with requestCert accepts ours and nothing else.
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import forge from 'node-forge';
import {
  certInfo, certPaths, clientPaths, createCA, createClientCert, fingerprintOfPem, initCertDir,
  issueClientCert, loadCA, toP12, type CertKeyPair,
} from '../../lib/auth/certs.js';
import { SetupError } from '../../lib/errors.js';

const BIN = fileURLToPath(new URL('../../cli/chat-certs.js', import.meta.url));
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const HOSTS = ['localhost', 'chat.example.org', '127.0.0.1', '::1'];

const read = (f: string): string => fs.readFileSync(f, 'utf8');
const modeOf = (f: string): number => fs.statSync(f).mode & 0o777;
const forgeExt = (pem: string, name: string): Record<string, unknown> =>
  forge.pki.certificateFromPem(pem).getExtension(name) as Record<string, unknown>;

/** Runs an async function expected to fail and returns its error. */
async function failure(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a failure');
}

describe('auth/certs', () => {
  let tmp: string;
  let dir: string;
  let ca: CertKeyPair;
  let alice: CertKeyPair;

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'chatd-certs-'));
    dir = path.join(tmp, 'certs');
    await initCertDir(dir, HOSTS);
    await issueClientCert(dir, 'alice');
    ca = loadCA(dir);
    const p = clientPaths(dir, 'alice');
    alice = { certPem: read(p.cert), keyPem: read(p.key) };
  });

  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  describe('certificates', () => {
    it('makes a CA that may sign certificates and nothing else', () => {
      expect(certInfo(ca.certPem).isCA).to.equal(true);
      expect(forgeExt(ca.certPem, 'basicConstraints')).to.include({ cA: true, critical: true });
      expect(forgeExt(ca.certPem, 'keyUsage')).to.include({ keyCertSign: true, cRLSign: true, critical: true, digitalSignature: false });
      expect(forgeExt(ca.certPem, 'subjectKeyIdentifier')).to.not.equal(null);
    });

    it('makes a server certificate with a SAN for every host, for server auth only', () => {
      const pem = read(certPaths(dir).serverCert);
      const x = new crypto.X509Certificate(pem);
      const info = certInfo(pem);
      expect(info.cn).to.equal('localhost');
      expect(info.isCA).to.equal(false);
      expect(info.sans).to.include.members(['DNS:localhost', 'DNS:chat.example.org', 'IP Address:127.0.0.1']);
      expect(x.checkHost('chat.example.org')).to.equal('chat.example.org');
      expect(x.checkIP('127.0.0.1')).to.equal('127.0.0.1');
      expect(x.checkIP('::1')).to.equal('::1');
      expect(x.keyUsage).to.deep.equal([SERVER_AUTH]);
      expect(x.verify(new crypto.X509Certificate(ca.certPem).publicKey)).to.equal(true);
    });

    it('makes a client certificate with CN = name, for client auth only, issued by the CA', () => {
      const x = new crypto.X509Certificate(alice.certPem);
      expect(certInfo(alice.certPem)).to.include({ subject: 'CN=alice', cn: 'alice', issuer: 'CN=chatd CA', isCA: false });
      expect(x.keyUsage).to.deep.equal([CLIENT_AUTH]);
      expect(x.checkPrivateKey(crypto.createPrivateKey(alice.keyPem))).to.equal(true);
      expect(x.verify(new crypto.X509Certificate(ca.certPem).publicKey)).to.equal(true);
    });

    it('points the authority key identifier at the CA, not at the leaf', () => {
      const caSki = forgeExt(ca.certPem, 'subjectKeyIdentifier').subjectKeyIdentifier as string;
      const aki = forge.pki.certificateFromPem(alice.certPem).getExtension('authorityKeyIdentifier') as { value: string };
      expect(forge.util.bytesToHex(aki.value)).to.contain(caSki);
    });

    it('gives every certificate a distinct positive 16-byte serial and the requested validity', async () => {
      const serials = [ca, alice].map((c) => new crypto.X509Certificate(c.certPem).serialNumber);
      expect(serials[0]).to.not.equal(serials[1]);
      for (const s of serials) expect(s).to.match(/^[0-7][0-9A-F]{31}$/);
      const short = await createClientCert(ca, 'bob', { days: 2 });
      const { notBefore, notAfter } = certInfo(short.certPem);
      expect(notBefore.getTime()).to.be.below(Date.now());
      expect(notAfter.getTime() - Date.now()).to.be.within(2 * 86_400_000 - 60_000, 2 * 86_400_000 + 60_000);
    });

    it('reports the fingerprint in the format of getPeerCertificate().fingerprint256', () => {
      expect(fingerprintOfPem(alice.certPem)).to.match(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
      expect(certInfo(alice.certPem).fingerprint256).to.equal(fingerprintOfPem(alice.certPem));
    });

    it('refuses input that is not a certificate with a SetupError', () => {
      expect(() => certInfo(alice.keyPem)).to.throw(SetupError, /not an X\.509 certificate/);
    });

    it('exports a PKCS#12 bundle that Node loads with the right password only', () => {
      for (const password of ['', 'secret']) {
        const pfx = toP12(alice.certPem, alice.keyPem, ca.certPem, password);
        expect(() => tls.createSecureContext({ pfx, passphrase: password })).to.not.throw();
        expect(() => tls.createSecureContext({ pfx, passphrase: 'wrong' })).to.throw();
      }
    });
  });

  describe('certificate directory', () => {
    it('writes keys 0600 and certificates 0644', () => {
      const p = certPaths(dir);
      const c = clientPaths(dir, 'alice');
      for (const key of [p.caKey, p.serverKey, c.key]) expect(modeOf(key), key).to.equal(0o600);
      for (const cert of [p.caCert, p.serverCert, c.cert]) expect(modeOf(cert), cert).to.equal(0o644);
    });

    it('init refuses to overwrite without force, and leaves the files alone', async () => {
      const before = fingerprintOfPem(ca.certPem);
      const err = await failure(() => initCertDir(dir, HOSTS));
      expect(err).to.be.instanceOf(SetupError).with.property('message', `${certPaths(dir).caCert} exists; use --force to overwrite`);
      expect(fingerprintOfPem(read(certPaths(dir).caCert))).to.equal(before);
    });

    it('init --force replaces everything, and a key left world-readable comes back 0600', async () => {
      const other = path.join(tmp, 'forced');
      await initCertDir(other, ['localhost']);
      const p = certPaths(other);
      const before = fingerprintOfPem(read(p.caCert));
      fs.chmodSync(p.serverKey, 0o644);
      const written = await initCertDir(other, ['localhost'], { force: true });
      expect(written).to.have.members([p.caCert, p.caKey, p.serverCert, p.serverKey]);
      expect(fingerprintOfPem(read(p.caCert))).to.not.equal(before);
      expect(modeOf(p.serverKey)).to.equal(0o600);
    });

    it('issues client certificates under lowercased names, refusing duplicates without force', async () => {
      const written = await issueClientCert(dir, 'Carol', { p12: true });
      const c = clientPaths(dir, 'carol');
      expect(written).to.deep.equal([c.cert, c.key, c.p12]);
      expect(certInfo(read(c.cert)).cn).to.equal('carol');
      expect(modeOf(c.p12)).to.equal(0o600);
      const err = await failure(() => issueClientCert(dir, 'carol'));
      expect(err).to.be.instanceOf(SetupError).with.property('exitCode', 1);
      await issueClientCert(dir, 'carol', { force: true });
    });

    it('rejects names outside the username rule as usage errors', async () => {
      for (const bad of ['Bad Name!', 'a', '-lead', '../etc', 'x'.repeat(33)]) {
        const err = await failure(() => issueClientCert(dir, bad));
        expect(err, bad).to.be.instanceOf(SetupError).with.property('exitCode', 2);
      }
    });

    it('says to run init when the directory has no CA', async () => {
      const empty = path.join(tmp, 'empty');
      const err = await failure(() => issueClientCert(empty, 'dave'));
      expect(err).to.be.instanceOf(SetupError).with.property('message', `no CA in ${empty}; run chat-certs init first`);
    });

    it('rejects hosts that are neither names nor addresses as usage errors', async () => {
      const err = await failure(() => initCertDir(path.join(tmp, 'badhost'), ['foo bar']));
      expect(err).to.be.instanceOf(SetupError).with.property('exitCode', 2);
    });
  });

  describe('mutual TLS 1.3 with Node', () => {
    let server: tls.Server;
    let port: number;
    const accepted: { authorized: boolean; cn: string; fingerprint256: string }[] = [];

    before(async () => {
      const p = certPaths(dir);
      server = tls.createServer({
        cert: read(p.serverCert), key: read(p.serverKey), ca: ca.certPem,
        requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.3',
      }, (socket) => {
        const peer = socket.getPeerCertificate();
        accepted.push({ authorized: socket.authorized, cn: String(peer.subject?.CN), fingerprint256: peer.fingerprint256 });
        socket.end('ok\n');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as { port: number }).port;
    });

    after(() => new Promise<void>((resolve) => server.close(() => resolve())));
    beforeEach(() => { accepted.length = 0; });

    /** Connects, reads until the server closes, and reports what came back. */
    function connect(client?: CertKeyPair, servername?: string): Promise<{ data: string; error?: Error }> {
      return new Promise((resolve) => {
        let data = '';
        let error: Error | undefined;
        const socket = tls.connect({
          host: '127.0.0.1', port, ca: ca.certPem, minVersion: 'TLSv1.3',
          ...(servername !== undefined && { servername }),
          ...(client && { cert: client.certPem, key: client.keyPem }),
        });
        socket.setEncoding('utf8');
        socket.on('data', (d: string) => { data += d; });
        socket.on('error', (e) => { error = e; });
        socket.on('close', () => resolve({ data, error }));
      });
    }

    /** A rejected client: the server reports a TLS client error and never accepts the session. */
    async function expectRejected(client?: CertKeyPair): Promise<void> {
      const [[serverError], { data }] = await Promise.all([once(server, 'tlsClientError'), connect(client)]);
      expect(serverError).to.be.instanceOf(Error);
      expect(data).to.equal('');
      expect(accepted).to.deep.equal([]);
    }

    it('accepts a client certificate from our CA, with the CN and fingerprint certInfo reports', async () => {
      const { data, error } = await connect(alice, 'localhost');
      expect(error).to.equal(undefined);
      expect(data).to.equal('ok\n');
      expect(accepted).to.deep.equal([{ authorized: true, cn: 'alice', fingerprint256: certInfo(alice.certPem).fingerprint256 }]);
    });

    it('lets the client verify the server by its IP address SAN, and refuse a name not in the SANs', async () => {
      expect((await connect(alice)).data).to.equal('ok\n');
      const { data, error } = await connect(alice, 'elsewhere.example.com');
      expect(data).to.equal('');
      expect(error).to.have.property('code', 'ERR_TLS_CERT_ALTNAME_INVALID');
    });

    it('rejects a client certificate from another CA, even with the same CA and client names', async () => {
      await expectRejected(await createClientCert(await createCA(), 'alice'));
    });

    it('rejects a client without a certificate', async () => {
      await expectRejected();
    });
  });

  describe('chat-certs binary', () => {
    let cliDir: string;

    before(() => { cliDir = path.join(tmp, 'cli'); });

    /** Runs the compiled CLI without any CHATD_* settings of the caller's environment. */
    function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
      const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CHATD_')));
      return new Promise((resolve) => {
        execFile(process.execPath, [BIN, ...args], { env }, (err, stdout, stderr) => {
          resolve({ code: err ? Number(err.code) : 0, stdout, stderr });
        });
      });
    }

    it('init, client and show work end to end', async () => {
      const init = await run('init', '--dir', cliDir);
      expect(init.code, init.stderr).to.equal(0);
      expect(init.stdout).to.contain(`wrote ${certPaths(cliDir).serverKey}`);

      const client = await run('client', 'alice', '--dir', cliDir);
      expect(client.code, client.stderr).to.equal(0);
      const crt = clientPaths(cliDir, 'alice').cert;
      expect(client.stdout).to.contain(`wrote ${crt}`);

      const show = await run('show', crt);
      expect(show.code, show.stderr).to.equal(0);
      expect(show.stdout).to.contain('subject: CN=alice\n');
      expect(show.stdout).to.contain(`sha256 fingerprint: ${fingerprintOfPem(read(crt))}\n`);
      expect(show.stdout).to.match(/^not after: \d{4}-\d\d-\d\dT/m);
      expect(show.stdout).to.contain('ca: no\n');
    });

    it('refuses to overwrite a client certificate: exit 1, one line', async () => {
      const { code, stderr } = await run('client', 'alice', '--dir', cliDir);
      expect(code).to.equal(1);
      expect(stderr.trimEnd().split('\n')).to.deep.equal([
        `chat-certs: ${clientPaths(cliDir, 'alice').cert} exists; use --force to overwrite`,
      ]);
    });

    it('rejects a bad client name as bad usage: exit 2, one line', async () => {
      const { code, stderr } = await run('client', 'Bad Name!', '--dir', cliDir);
      expect(code).to.equal(2);
      expect(stderr.trimEnd().split('\n')).to.have.length(1);
    });

    it('reports a missing file for show in one line, exit 1', async () => {
      const { code, stderr } = await run('show', path.join(tmp, 'missing.crt'));
      expect(code).to.equal(1);
      expect(stderr.trimEnd().split('\n')).to.have.length(1);
    });
  });
});
