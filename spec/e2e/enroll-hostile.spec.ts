// Enrollment against a hostile client: certificate requests built to cost the server, and an
// enrollment connection that says more than its one frame. Real chatd, real TLS.
import { expect } from 'chai';
import crypto from 'node:crypto';
import forge from 'node-forge';
import type { Chatd } from '../../lib/app.js';
import { createServerCert, initCertDir, loadCA, signClientKey } from '../../lib/auth/certs.js';
import { newKeyAndCsr } from '../../lib/client/keys.js';
import { runBin } from '../helpers/bin.js';
import { enrollRaw, inviteCode } from '../helpers/enroll.js';
import { auditLog, makeWorld, startServer, tmpdir, type World } from '../helpers/world.js';
import path from 'node:path';
import fs from 'node:fs';
import tls from 'node:tls';

const PASSWORD = 'correct horse battery';

/**
 * A request for `user` whose RSA key has a `bits`-bit modulus and a `bits`-bit public exponent, with a
 * random signature: checking it means raising that signature to the huge exponent (forge does it in
 * JavaScript, on the event loop) before anything can tell it is a forgery. No key pair is needed.
 */
function heavyCsr(user: string, bits: number): string {
  const big = () => {
    const b = crypto.randomBytes(bits / 8);
    b[0]! |= 0x80; // all `bits` bits
    b[b.length - 1]! |= 1; // odd
    return new forge.jsbn.BigInteger(b.toString('hex'), 16);
  };
  const csr = forge.pki.createCertificationRequest();
  csr.publicKey = forge.pki.setRsaPublicKey(big(), big());
  csr.setSubject([{ shortName: 'CN', value: user }]);
  const signer = { sign: () => crypto.randomBytes(bits / 8).toString('binary') };
  csr.sign(signer as unknown as forge.pki.rsa.PrivateKey, forge.md.sha256.create());
  return forge.pki.certificationRequestToPem(csr);
}

/**
 * A request for `user` carrying the modulus `n` of someone else's key (here the CA's) with public
 * exponent 1: its "signature" is the PKCS#1 v1.5 block itself (s^1 = s), which anyone can write, so
 * it proves possession of nothing, and the certificate's key would let anyone sign as its holder.
 */
function exponentOneCsr(user: string, n: forge.jsbn.BigInteger): string {
  const csr = forge.pki.createCertificationRequest();
  csr.publicKey = forge.pki.setRsaPublicKey(n, forge.jsbn.BigInteger.ONE);
  csr.setSubject([{ shortName: 'CN', value: user }]);
  const signer = {
    sign: (md: forge.md.MessageDigest) => {
      const digestInfo = Buffer.concat([Buffer.from('3031300d060960864801650304020105000420', 'hex'), Buffer.from(md.digest().getBytes(), 'binary')]);
      const k = Math.ceil(n.bitLength() / 8);
      return Buffer.concat([Buffer.from([0, 1]), Buffer.alloc(k - 3 - digestInfo.length, 0xff), Buffer.from([0]), digestInfo]).toString('binary');
    },
  };
  csr.sign(signer as unknown as forge.pki.rsa.PrivateKey, forge.md.sha256.create());
  return forge.pki.certificationRequestToPem(csr);
}

describe('e2e: enrollment against a hostile client', function () {
  this.timeout(60000);
  let world: World;
  let chatd: Chatd;
  const port = () => chatd.address.port;

  before(async () => {
    world = await makeWorld();
    chatd = await startServer(world, { caKey: `${world.certs}/ca.key`, enroll: { attemptsPerIp: 1000 } });
  });
  after(async () => {
    await chatd?.stop();
    await world?.drop();
  });

  it('a CSR with an 8192-bit modulus and an 8192-bit exponent is BAD_CSR at once: its signature is not worked out first', async () => {
    const { invite } = await inviteCode(world.db, world.certs, 'heavy');
    const csr = heavyCsr('heavy', 8192);
    expect(csr.length).to.be.below(8192); // within the PEM cap: only the key's numbers make it heavy
    const started = Date.now();
    const r = await enrollRaw(port(), world.certs, { type: 'enroll', id: 'h1', user: 'heavy', token: invite.t, csr, password: PASSWORD });
    expect(r.answer).to.include({ type: 'error', code: 'BAD_CSR' });
    // forge takes seconds over it (event loop blocked for every user); refusing by size takes milliseconds.
    expect(Date.now() - started).to.be.below(1000);
    // The token still works with an ordinary request.
    const { csrPem } = await newKeyAndCsr('heavy');
    expect((await enrollRaw(port(), world.certs, { type: 'enroll', id: 'h2', user: 'heavy', token: invite.t, csr: csrPem, password: PASSWORD })).answer)
      .to.include({ type: 'enrolled' });
  });

  it('a CSR with public exponent 1, for a modulus whose key the client does not hold (the CA\'s), is BAD_CSR; so is an even exponent', async () => {
    const { invite } = await inviteCode(world.db, world.certs, 'mallory');
    const caKey = forge.pki.certificateFromPem(loadCA(world.certs).certPem).publicKey as forge.pki.rsa.PublicKey;
    const r = await enrollRaw(port(), world.certs, { type: 'enroll', id: 'e1', user: 'mallory', token: invite.t, csr: exponentOneCsr('mallory', caKey.n), password: PASSWORD });
    expect(r.answer).to.include({ type: 'error', code: 'BAD_CSR' });
    expect(r.answer!.message).to.match(/public exponent/);
    const even = forge.pki.createCertificationRequest();
    even.publicKey = forge.pki.setRsaPublicKey(caKey.n, new forge.jsbn.BigInteger('65536'));
    even.setSubject([{ shortName: 'CN', value: 'mallory' }]);
    even.sign({ sign: () => crypto.randomBytes(256).toString('binary') } as unknown as forge.pki.rsa.PrivateKey, forge.md.sha256.create());
    const r2 = await enrollRaw(port(), world.certs, { type: 'enroll', id: 'e2', user: 'mallory', token: invite.t, csr: forge.pki.certificationRequestToPem(even), password: PASSWORD });
    expect(r2.answer).to.include({ type: 'error', code: 'BAD_CSR' });
    expect(r2.answer!.message).to.match(/public exponent/);
    expect(await world.store.knex('certificates').where({ user: 'mallory' })).to.deep.equal([]);
  });

  it('one enroll frame per connection: frames sent with it in the same write are not acted on', async () => {
    const { invite } = await inviteCode(world.db, world.certs, 'twice');
    const { csrPem } = await newKeyAndCsr('twice');
    const bad = { type: 'enroll', id: 'b', user: 'twice', token: 'A'.repeat(22), csr: csrPem, password: PASSWORD };
    const good = { type: 'enroll', id: 'g', user: 'twice', token: invite.t, csr: csrPem, password: PASSWORD };
    const frames = await new Promise<string>((resolve) => {
      const s = tls.connect({ host: '127.0.0.1', port: port(), servername: 'localhost', ca: fs.readFileSync(`${world.certs}/ca.crt`), ALPNProtocols: ['chatd-enroll/1'] });
      let got = '';
      s.setEncoding('utf8');
      s.on('data', (d: string) => {
        if (!got) s.write(JSON.stringify(bad) + '\n' + JSON.stringify(good) + '\n'); // one write, one TLS record
        got += d;
      });
      s.on('error', () => {});
      s.on('close', () => resolve(got));
    });
    expect(frames).to.contain('ENROLL_INVALID');
    await new Promise((r) => setTimeout(r, 1500)); // what a second frame would have done by now
    // The client was told ENROLL_INVALID and got no certificate: nothing may have been enrolled behind its back.
    expect(await world.store.getUser('twice')).to.equal(null);
    expect((await auditLog(world.store)).filter((a) => a.action === 'enroll' && a.target === 'twice')).to.have.length(1);
  });
});

describe('e2e: chat-cli enroll against a server that adds to the CA it greets with', function () {
  this.timeout(60000);
  let world: World;
  let foreign: string;
  let xdg: string;
  before(async () => {
    world = await makeWorld();
    foreign = tmpdir('foreign-ca');
    xdg = tmpdir('xdg-hostile');
    await initCertDir(foreign, ['localhost', '127.0.0.1'], {});
  });
  after(async () => {
    await world?.drop();
    fs.rmSync(foreign, { recursive: true, force: true });
    fs.rmSync(xdg, { recursive: true, force: true });
  });

  it('a second CA in enroll_hello, in a PEM block the fingerprint does not cover, is not written to ca.crt (nor trusted later)', async () => {
    // The invite's CA signs this server's certificate, and its hello carries that CA, which hashes to
    // the invite's fp, followed by another CA relabelled "X509 CERTIFICATE": OpenSSL trusts such a
    // block as much as a "CERTIFICATE" one.
    const ca = loadCA(world.certs);
    const foreignCa = fs.readFileSync(`${foreign}/ca.crt`, 'utf8').replace(/(BEGIN|END) CERTIFICATE/g, '$1 X509 CERTIFICATE');
    const hello = fs.readFileSync(`${world.certs}/ca.crt`, 'utf8') + foreignCa;
    const own = await createServerCert(ca, ['127.0.0.1']);
    const server = tls.createServer({ cert: own.certPem, key: own.keyPem, ALPNProtocols: ['chatd-enroll/1'] }, (s) => {
      let buf = '';
      s.setEncoding('utf8');
      s.on('error', () => {});
      s.on('data', (d: string) => {
        buf += d;
        if (!buf.includes('\n')) return;
        const f = JSON.parse(buf.slice(0, buf.indexOf('\n')));
        const cert = signClientKey(ca, forge.pki.certificationRequestFromPem(f.csr).publicKey as forge.pki.rsa.PublicKey, f.user, 90);
        s.end(JSON.stringify({ type: 'enrolled', id: f.id, cert, not_after: new Date(Date.now() + 86_400_000).toISOString() }) + '\n');
      });
      s.write(JSON.stringify({ type: 'enroll_hello', ca: hello }) + '\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    const dir = path.join(xdg, 'trusting');
    try {
      const { code } = await inviteCode(world.db, world.certs, 'trusting', '--server', `127.0.0.1:${port}`);
      const r = await runBin('chat-cli', ['enroll', code, '--dir', dir], { env: { CHATD_PASSWORD: 'a secret kept well' } });
      expect(r.code, r.err).to.equal(0);
    } finally { server.close(); }
    const written = fs.readFileSync(path.join(dir, 'ca.crt'), 'utf8');
    expect(written).not.to.contain('X509 CERTIFICATE');
    // What the profile trusts from now on: a server of the foreign CA must not pass.
    const other = tls.createServer({ cert: fs.readFileSync(`${foreign}/server.crt`), key: fs.readFileSync(`${foreign}/server.key`) }, (s) => s.end());
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', () => r()));
    try {
      const authorized = await new Promise<boolean>((resolve) => {
        const c = tls.connect({ host: '127.0.0.1', port: (other.address() as { port: number }).port, ca: written, rejectUnauthorized: false }, () => { resolve(c.authorized); c.destroy(); });
        c.on('error', () => resolve(false));
      });
      expect(authorized).to.equal(false);
    } finally { other.close(); }
  });
});
