// `renew` renews the certificate a session logged in with: a session without one (--client-cert
// optional, a password alone) gets none, since certificates come from invites; a session whose
// certificate was revoked (chat-admin cert revoke, a re-enrollment of a lost key) gets none in the
// second before the poller closes it, nor by a renewal already under way when the revocation lands.
import { expect } from 'chai';
import crypto from 'node:crypto';
import fs from 'node:fs';
import type { Chatd } from '../../lib/app.js';
import { newKeyAndCsr } from '../../lib/client/keys.js';
import { TestClient } from '../helpers/client.js';
import { agedCert } from '../helpers/enroll.js';
import { holdCalls, until } from '../helpers/wait.js';
import { makeWorld, startServer, tmpdir, USERS, type World } from '../helpers/world.js';

describe('e2e: renew and the certificate of the session', function () {
  this.timeout(60000);
  let world: World;
  let chatd: Chatd;
  const fpOf = (user: string) => new crypto.X509Certificate(fs.readFileSync(`${world.certs}/clients/${user}.crt`)).fingerprint256;
  const renewedOf = async (user: string) => (await world.store.knex('certificates').where({ user, source: 'renew' })) as Array<{ fingerprint: string; revoked_at: unknown }>;

  beforeEach(async () => {
    world = await makeWorld();
    chatd = await startServer(world, { caKey: `${world.certs}/ca.key`, clientCert: 'optional' });
  });
  afterEach(async () => {
    await chatd?.stop();
    await world?.drop();
  });

  it('a certificate that expired since its TLS session was issued is not renewed over the resumed session', async () => {
    // Valid for a few seconds: the first login is a full handshake; the second resumes its ticket,
    // which lets the expired certificate's key log in (SECURITY.md), but must not earn it 90 more days.
    const dir = tmpdir('expiring');
    try {
      fs.mkdirSync(`${dir}/clients`);
      const keyPem = fs.readFileSync(`${world.certs}/clients/bob.key`, 'utf8');
      const certPem = agedCert(world.certs, 'bob', keyPem, 1, 3 / 86_400);
      fs.writeFileSync(`${dir}/clients/bob.crt`, certPem);
      fs.writeFileSync(`${dir}/clients/bob.key`, keyPem);
      const first = await TestClient.connect(chatd.address.port, world.certs, 'bob', { certDir: dir });
      expect(await first.login('bob', USERS.bob!.password)).to.include({ type: 'login_ok' });
      const ticket = await until(async () => first.ticket, 5000, 'a session ticket');
      first.close();
      const end = Date.parse(new crypto.X509Certificate(certPem).validTo);
      await until(async () => Date.now() > end + 1000, 10_000, 'the certificate expired');
      const again = await TestClient.connect(chatd.address.port, world.certs, 'bob', { certDir: dir, session: ticket });
      expect(again.sock.isSessionReused()).to.equal(true);
      expect(await again.login('bob', USERS.bob!.password)).to.include({ type: 'login_ok' });
      again.send({ type: 'renew', id: 'r', csr: (await newKeyAndCsr('bob')).csrPem });
      const a = await again.waitFor((f) => f.id === 'r');
      expect(a).to.include({ type: 'error', code: 'FORBIDDEN' });
      expect(a.message).to.match(/expired/);
      expect(await renewedOf('bob')).to.deep.equal([]);
      again.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a session that logged in without a certificate cannot get one: FORBIDDEN, nothing issued', async () => {
    const c = await TestClient.connect(chatd.address.port, world.certs, 'bob', { certOf: null });
    expect(await c.login('bob', USERS.bob!.password)).to.include({ type: 'login_ok' });
    c.send({ type: 'renew', id: 'r', csr: (await newKeyAndCsr('bob')).csrPem });
    const a = await c.waitFor((f) => f.id === 'r');
    expect(a).to.include({ type: 'error', code: 'FORBIDDEN' });
    expect(a.message).to.match(/client certificate/);
    expect(await renewedOf('bob')).to.deep.equal([]);
    c.close();
  });

  it('a session whose certificate was revoked (before the poller closed it): CERT_REVOKED, nothing issued', async () => {
    const hold = holdCalls(chatd.node.store, 'listRevoked'); // the poller does not close the session first
    const c = await TestClient.connect(chatd.address.port, world.certs, 'bob');
    expect(await c.login('bob', USERS.bob!.password)).to.include({ type: 'login_ok' });
    expect(await world.store.revokeCert(fpOf('bob'), 'admin', 'key stolen')).to.equal(true);
    c.send({ type: 'renew', id: 'r', csr: (await newKeyAndCsr('bob')).csrPem });
    expect(await c.waitFor((f) => f.id === 'r')).to.include({ type: 'error', code: 'CERT_REVOKED' });
    expect(await renewedOf('bob')).to.deep.equal([]);
    c.close();
    hold.release();
  });

  it('a revocation that lands while a renewal is under way revokes the new certificate too, and it is not handed over', async () => {
    const poll = holdCalls(chatd.node.store, 'listRevoked');
    const c = await TestClient.connect(chatd.address.port, world.certs, 'bob');
    expect(await c.login('bob', USERS.bob!.password)).to.include({ type: 'login_ok' });
    const record = holdCalls(chatd.node.store, 'recordCertificate');
    c.send({ type: 'renew', id: 'r', csr: (await newKeyAndCsr('bob')).csrPem });
    await record.reached;
    expect(await world.store.revokeCert(fpOf('bob'), 'admin', 'key stolen')).to.equal(true);
    record.release();
    expect(await c.waitFor((f) => f.id === 'r')).to.include({ type: 'error', code: 'CERT_REVOKED' });
    const issued = await renewedOf('bob');
    expect(issued).to.have.length(1);
    expect(await world.store.isRevoked(issued[0]!.fingerprint)).to.equal(true);
    c.close();
    poll.release();
  });

  it('a session with its own valid certificate still renews', async () => {
    const c = await TestClient.connect(chatd.address.port, world.certs, 'bob');
    expect(await c.login('bob', USERS.bob!.password)).to.include({ type: 'login_ok' });
    c.send({ type: 'renew', id: 'r', csr: (await newKeyAndCsr('bob')).csrPem });
    expect(await c.waitFor((f) => f.id === 'r')).to.include({ type: 'renewed' });
    c.close();
  });
});
