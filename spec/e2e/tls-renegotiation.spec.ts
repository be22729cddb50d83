// Issue 20 fault 5: TLS 1.2 renegotiation was unlimited (Node's ERR_TLS_SESSION_ATTACK was swallowed by
// an empty error handler, so 300 renegotiations on one connection succeeded). chatd refuses every
// client-initiated renegotiation and closes that connection.
import { expect } from 'chai';
import fs from 'node:fs';
import tls from 'node:tls';
import { TestClient } from '../helpers/client.js';
import { withChatd } from '../helpers/chatd.js';

describe('e2e: TLS 1.2 renegotiation', function () {
  this.timeout(30000);
  const t = withChatd({ config: { tlsMinVersion: 'TLSv1.2' }, logLevel: 'info' });
  const logs = t.logs;

  /** A logged-in JSON client held to TLS 1.2 (TestClient.connect would negotiate 1.3). */
  async function tls12Client(user: string): Promise<TestClient> {
    const certs = t.world.certs;
    const sock = await new Promise<tls.TLSSocket>((resolve, reject) => {
      const s = tls.connect({
        host: '127.0.0.1', port: t.port, servername: 'localhost', maxVersion: 'TLSv1.2', ALPNProtocols: ['chatd/1'],
        ca: fs.readFileSync(`${certs}/ca.crt`), cert: fs.readFileSync(`${certs}/clients/${user}.crt`), key: fs.readFileSync(`${certs}/clients/${user}.key`),
      }, () => resolve(s));
      s.once('error', reject);
    });
    const c = new TestClient(sock);
    expect((await c.login(user)).type).to.equal('login_ok');
    return c;
  }

  /** Asks for a renegotiation; resolves how it ended: 'ok', the error code, or 'closed'. */
  const renegotiate = (c: TestClient) => new Promise<string>((resolve) => {
    c.sock.once('close', () => resolve('closed'));
    const asked = c.sock.renegotiate({}, (err) => resolve(err ? ((err as NodeJS.ErrnoException).code ?? err.message) : 'ok'));
    if (!asked) resolve('not sent');
  });

  it('a logged-in TLS 1.2 client that renegotiates is cut off, and the server says why in its log', async () => {
    const alice = await tls12Client('alice');
    expect(alice.sock.getProtocol()).to.equal('TLSv1.2');
    const bob = await TestClient.loggedIn(t.port, t.world.certs, 'bob');
    expect(await renegotiate(alice)).to.not.equal('ok');
    await alice.waitClosed(5000);
    await bob.waitFor((f) => f.type === 'event' && f.event === 'quit' && f.user === 'alice', 5000, 'alice leaving');
    expect(logs.some((l) => /renegotiation/i.test(l) && /127\.0\.0\.1/.test(l)), logs.join('')).to.equal(true);
    bob.close();
  });

  it('other connections are not affected, and a fresh connection works', async () => {
    const carol = await TestClient.loggedIn(t.port, t.world.certs, 'carol');
    expect((await carol.say('still here')).type).to.equal('message');
    carol.close();
  });
});

describe('e2e: TLS 1.2 renegotiation on an enrollment connection', function () {
  this.timeout(30000);
  const t = withChatd({ server: false, config: { tlsMinVersion: 'TLSv1.2' } });

  it('an anonymous enrollment connection (no certificate) that renegotiates is cut off too', async () => {
    const certs = t.world.certs;
    const chatd = await t.start({ caKey: `${certs}/ca.key` });
    const sock = await new Promise<tls.TLSSocket>((resolve, reject) => {
      const s = tls.connect({
        host: '127.0.0.1', port: chatd.address.port, servername: 'localhost', maxVersion: 'TLSv1.2', ALPNProtocols: ['chatd-enroll/1'],
        ca: fs.readFileSync(`${certs}/ca.crt`),
      }, () => resolve(s));
      s.once('error', reject);
    });
    const c = new TestClient(sock);
    await c.waitFor((f) => f.type === 'enroll_hello', 5000, 'enroll_hello');
    const how = await new Promise<string>((resolve) => {
      sock.once('close', () => resolve('closed'));
      if (!sock.renegotiate({}, (err) => resolve(err ? ((err as NodeJS.ErrnoException).code ?? err.message) : 'ok'))) resolve('not sent');
    });
    expect(how).to.not.equal('ok');
    await c.waitClosed(5000);
  });
});
