// Issue 13, client side: the real chat-cli binary enrolls with an invite code, authenticates the
// server by the code's CA fingerprint before it sends anything, writes the profile that plain
// `chat-cli` then uses, and renews its certificate after login when under a third of it is left.
import { expect } from 'chai';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import type { Chatd } from '../../lib/app.js';
import { createServerCert, initCertDir, issueClientCert, loadCA } from '../../lib/auth/certs.js';
import { newKeyAndCsr } from '../../lib/client/keys.js';
import { runBin } from '../helpers/bin.js';
import { plain, Run } from '../helpers/cli-run.js';
import { TestClient } from '../helpers/client.js';
import { agedCert, inviteCode } from '../helpers/enroll.js';
import { makeWorld, startServer, tmpdir, USERS, type World } from '../helpers/world.js';

const DANA_PW = 'dana picks a passphrase';

/** A TLS server that offers chatd-enroll/1, greets with `caPem`, and records every byte a client sends. */
async function impostor(cert: { certPem: string; keyPem: string }, caPem: string, host = '127.0.0.1'): Promise<{ port: number; received: Promise<number>; close(): void }> {
  let got!: (n: number) => void;
  const received = new Promise<number>((r) => (got = r));
  const server = tls.createServer({ cert: cert.certPem, key: cert.keyPem, ALPNProtocols: ['chatd-enroll/1'] }, (s) => {
    let n = 0;
    s.on('data', (d: Buffer) => (n += d.length));
    s.on('error', () => {});
    s.on('close', () => got(n));
    s.write(JSON.stringify({ type: 'enroll_hello', ca: caPem }) + '\n');
  });
  await new Promise<void>((r) => server.listen(0, host, () => r()));
  return { port: (server.address() as { port: number }).port, received, close: () => server.close() };
}

describe('e2e: chat-cli enroll and renewal', function () {
  this.timeout(60000);
  let world: World;
  let chatd: Chatd;
  let xdg: string;
  const port = () => chatd.address.port;

  before(async () => {
    world = await makeWorld();
    chatd = await startServer(world, { caKey: `${world.certs}/ca.key` });
    xdg = tmpdir('xdg');
  });
  after(async () => {
    await chatd?.stop();
    await world?.drop();
    fs.rmSync(xdg, { recursive: true, force: true });
  });

  it('enroll writes the profile (key 0600, made here), and plain chat-cli then connects with no flags', async () => {
    const { code } = await inviteCode(world.db, world.certs, 'dana', '--server', `127.0.0.1:${port()}`);
    const env = { XDG_CONFIG_HOME: xdg, CHATD_PASSWORD: DANA_PW };
    const r = await runBin('chat-cli', ['enroll', code], { env });
    expect(r.err).to.equal('');
    expect(r.code).to.equal(0);
    expect(r.out).to.match(/enrolled as dana on 127\.0\.0\.1:\d+/);
    const dir = path.join(xdg, 'chatd');
    const profile = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    expect(profile).to.deep.equal({ host: '127.0.0.1', port: port(), user: 'dana', ca: path.join(dir, 'ca.crt'), cert: path.join(dir, 'dana.crt'), key: path.join(dir, 'dana.key') });
    expect(fs.statSync(profile.key).mode & 0o777).to.equal(0o600);
    expect(fs.readFileSync(profile.ca, 'utf8')).to.equal(fs.readFileSync(`${world.certs}/ca.crt`, 'utf8'));
    expect(new crypto.X509Certificate(fs.readFileSync(profile.cert)).checkPrivateKey(crypto.createPrivateKey(fs.readFileSync(profile.key)))).to.equal(true);

    const bob = await TestClient.loggedIn(port(), world.certs, 'bob');
    const sent = await runBin('chat-cli', ['--send', 'hello from dana'], { env });
    expect(sent.code, sent.err).to.equal(0);
    expect(await bob.waitFor((f) => f.type === 'message' && f.from?.name === 'dana')).to.include({ text: 'hello from dana' });
    bob.close();
    // Precedence: CHATD_* beats the profile, a flag beats CHATD_*.
    expect((await runBin('chat-cli', ['--send', 'x'], { env: { ...env, CHATD_PORT: '1' } })).code).to.equal(1);
    expect((await runBin('chat-cli', ['--send', 'again', '--port', String(port())], { env: { ...env, CHATD_PORT: '1' } })).code).to.equal(0);
  });

  it('on a terminal: the new password is asked twice, never echoed; two different answers send nothing', async () => {
    const { code } = await inviteCode(world.db, world.certs, 'tess', '--server', `127.0.0.1:${port()}`);
    const mismatch = Run.start(['enroll', code, '--dir', path.join(xdg, 'tess-no')], { pty: true });
    await mismatch.waitScreen(/new password: $/);
    mismatch.write('first of the two\r');
    await mismatch.waitScreen(/repeat it: $/);
    mismatch.write('second is other\r');
    expect(await mismatch.exit()).to.equal(2);
    expect(plain(mismatch.out)).to.match(/the two passwords differ; nothing was sent/);
    expect((await world.store.knex('invites').where({ user: 'tess' }).first()).used_at).to.equal(null);

    const run = Run.start(['enroll', code, '--dir', path.join(xdg, 'tess')], { pty: true });
    await run.waitScreen(/new password: $/);
    run.write('tess types it twice\r');
    await run.waitScreen(/repeat it: $/);
    run.write('tess types it twice\r');
    expect(await run.exit(15000)).to.equal(0);
    expect(run.out).not.to.contain('types it twice');
    expect(plain(run.out)).to.match(/enrolled as tess/);
  });

  it('a weak password is refused before anything is sent', async () => {
    const { code } = await inviteCode(world.db, world.certs, 'weakone', '--server', `127.0.0.1:${port()}`);
    const r = await runBin('chat-cli', ['enroll', code, '--dir', path.join(xdg, 'weak')], { env: { CHATD_PASSWORD: 'short' } });
    expect(r.code).to.equal(2);
    expect(r.err).to.match(/at least 10 characters; nothing was sent/);
    expect((await world.store.knex('invites').where({ user: 'weakone' }).first()).used_at).to.equal(null);
  });

  it('a first line that is JSON but no frame (null): one line, exit 1, nothing sent, no stack trace', async () => {
    const cert = await createServerCert(loadCA(world.certs), ['127.0.0.1']);
    let received = 0;
    const server = tls.createServer({ cert: cert.certPem, key: cert.keyPem, ALPNProtocols: ['chatd-enroll/1'] }, (s) => {
      s.on('data', (d: Buffer) => (received += d.length));
      s.on('error', () => {});
      s.write('null\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const { code } = await inviteCode(world.db, world.certs, 'victim', '--server', `127.0.0.1:${(server.address() as { port: number }).port}`);
      const r = await runBin('chat-cli', ['enroll', code, '--dir', path.join(xdg, 'victim-null')], { env: { CHATD_PASSWORD: 'a secret kept well' } });
      expect(r.code, r.err).to.equal(1);
      expect(r.err.trim().split('\n'), r.err).to.have.length(1);
      expect(r.err).to.match(/is not a chatd/).and.not.match(/TypeError/);
      expect(received).to.equal(0);
    } finally { server.close(); }
  });

  describe('a server that is not the one of the invite: chat-cli stops before sending anything', () => {
    let foreign: string;
    before(async () => {
      foreign = tmpdir('foreign-ca');
      await initCertDir(foreign, ['localhost', '127.0.0.1'], {});
    });
    after(() => fs.rmSync(foreign, { recursive: true, force: true }));

    const cases: Array<[string, () => Promise<{ certPem: string; keyPem: string }>, () => string, RegExp, string?]> = [
      ['another CA', async () => loadPair(foreign), () => fs.readFileSync(`${foreign}/ca.crt`, 'utf8'), /CA \(fingerprint [0-9a-f]{64}\) is not the one of the invite/],
      ['the right CA in its greeting, its own certificate', async () => loadPair(foreign), () => fs.readFileSync(`${world.certs}/ca.crt`, 'utf8'), /not signed by the invite's CA/],
      ['a certificate of the right CA for another host', async () => createServerCert(loadCA(world.certs), ['elsewhere.example']), () => fs.readFileSync(`${world.certs}/ca.crt`, 'utf8'), /does not name 127\.0\.0\.1/],
      // A user named like the server's host: the CA signed their client certificate with CN = that name.
      ['a user\'s client certificate of the right CA, its CN the server\'s host name', async () => {
        await issueClientCert(world.certs, 'localhost');
        return { certPem: fs.readFileSync(`${world.certs}/clients/localhost.crt`, 'utf8'), keyPem: fs.readFileSync(`${world.certs}/clients/localhost.key`, 'utf8') };
      }, () => fs.readFileSync(`${world.certs}/ca.crt`, 'utf8'), /not for a server/, 'localhost'],
    ];
    for (const [what, cert, hello, message, host = '127.0.0.1'] of cases) {
      it(what, async () => {
        const fake = await impostor(await cert(), hello(), host);
        try {
          const { code } = await inviteCode(world.db, world.certs, 'victim', '--server', `${host}:${fake.port}`);
          const r = await runBin('chat-cli', ['enroll', code, '--dir', path.join(xdg, 'victim')], { env: { CHATD_PASSWORD: 'a secret kept well' } });
          expect(r.code).to.equal(1);
          expect(r.err, r.err).to.match(message);
          expect(r.err).to.match(/nothing was sent/);
          expect(await fake.received).to.equal(0);
          expect(fs.existsSync(path.join(xdg, 'victim'))).to.equal(false);
        } finally { fake.close(); }
      });
    }
  });

  it('renewal: a certificate under a third of its validity is renewed at login, the new one logs in next time, the old key still works until it expires', async () => {
    const dir = path.join(tmpdir('renew'), 'chatd');
    fs.mkdirSync(dir, { recursive: true });
    const { keyPem } = await newKeyAndCsr('carol');
    const oldCert = agedCert(world.certs, 'carol', keyPem, 20, 5);
    fs.writeFileSync(path.join(dir, 'carol.key'), keyPem, { mode: 0o600 });
    fs.writeFileSync(path.join(dir, 'carol.crt'), oldCert);
    fs.copyFileSync(`${world.certs}/ca.crt`, path.join(dir, 'ca.crt'));
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ host: '127.0.0.1', port: port(), user: 'carol', ca: 'ca.crt', cert: 'carol.crt', key: 'carol.key' }));
    const env = { XDG_CONFIG_HOME: path.dirname(dir), CHATD_PASSWORD: USERS.carol!.password };

    const first = await runBin('chat-cli', ['--send', 'renew me'], { env });
    expect(first.code, first.err).to.equal(0);
    expect(first.err).to.match(/certificate renewed; valid until/);
    const renewed = new crypto.X509Certificate(fs.readFileSync(path.join(dir, 'carol.crt')));
    expect(renewed.fingerprint256).not.to.equal(new crypto.X509Certificate(oldCert).fingerprint256);
    expect(Date.parse(renewed.validTo) - Date.now()).to.be.above(80 * 86_400_000);
    expect(fs.readFileSync(path.join(dir, 'carol.key'), 'utf8')).not.to.equal(keyPem);
    expect(fs.statSync(path.join(dir, 'carol.key')).mode & 0o777).to.equal(0o600);
    expect(renewed.checkPrivateKey(crypto.createPrivateKey(fs.readFileSync(path.join(dir, 'carol.key'))))).to.equal(true);
    expect((await world.store.certificate(renewed.fingerprint256))!.source).to.equal('renew');
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).to.deep.equal([]);

    const second = await runBin('chat-cli', ['--send', 'renewed already'], { env });
    expect(second.code, second.err).to.equal(0);
    expect(second.err).not.to.match(/renewed/);

    const old = tmpdir('old-carol');
    fs.mkdirSync(path.join(old, 'clients'));
    fs.writeFileSync(path.join(old, 'clients', 'carol.crt'), oldCert);
    fs.writeFileSync(path.join(old, 'clients', 'carol.key'), keyPem);
    const c = await TestClient.connect(port(), world.certs, 'carol', { certDir: old });
    expect(await c.login('carol')).to.include({ type: 'login_ok' });
    c.close();
    fs.rmSync(old, { recursive: true, force: true });
    fs.rmSync(path.dirname(dir), { recursive: true, force: true });
  });
});

describe('e2e: chat-cli and a server without a CA key', function () {
  this.timeout(60000);
  it('shows the server\'s notice that the certificate expires soon and cannot be renewed there', async () => {
    const world = await makeWorld();
    const chatd = await startServer(world, {});
    const dir = tmpdir('notice');
    try {
      for (const f of ['ca.crt', 'ca.key']) fs.copyFileSync(`${world.certs}/${f}`, `${dir}/${f}`);
      await issueClientCert(dir, 'dave', { days: 3 });
      const r = await runBin('chat-cli', ['--send', 'hi', '--port', String(chatd.address.port), '--ca', `${dir}/ca.crt`, '--cert', `${dir}/clients/dave.crt`],
        { env: { CHATD_PASSWORD: USERS.dave!.password } });
      expect(r.code, r.err).to.equal(0);
      expect(r.err).to.match(/chat-cli: notice from the server: your certificate expires \S+ and this server cannot renew it/);
    } finally {
      await chatd.stop();
      await world.drop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

function loadPair(dir: string): { certPem: string; keyPem: string } {
  return { certPem: fs.readFileSync(`${dir}/server.crt`, 'utf8'), keyPem: fs.readFileSync(`${dir}/server.key`, 'utf8') };
}
