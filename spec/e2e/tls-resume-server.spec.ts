// Issue 18: chatd's TLS session tickets survive a restart and a SIGHUP (keys derived from the server
// key and the CA, lib/tls-tickets.ts), and a resumed connection is judged like a full one: the client
// certificate is still in hand at login (revocation by fingerprint), a new CA or a new server key
// resumes nothing, and enrollment (no client certificate) still works. Real chatd, real TLS.
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { createCA, createServerCert, fingerprintOfPem, loadCA } from '../../lib/auth/certs.js';
import { startChatd, type Chatd } from '../../lib/app.js';
import { Logger } from '../../lib/log.js';
import { TestClient } from '../helpers/client.js';
import { withChatd } from '../helpers/chatd.js';
import { enrollRaw } from '../helpers/enroll.js';
import { deadline } from '../helpers/wait.js';
import { testConfig, tlsFiles, tmpdir } from '../helpers/world.js';

type Conn = { client: TestClient; resumed: boolean; ticket(): Promise<Buffer>; ephemeral: string | undefined };

/** A mutual-TLS connection as `user` offering `session`: whether it resumed, and the next ticket it gets. */
function connect(port: number, certs: string, user: string, session?: Buffer): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({
      host: '127.0.0.1', port, servername: 'localhost', ALPNProtocols: ['chatd/1'], ca: fs.readFileSync(`${certs}/ca.crt`),
      cert: fs.readFileSync(`${certs}/clients/${user}.crt`), key: fs.readFileSync(`${certs}/clients/${user}.key`), ...(session ? { session } : {}),
    });
    let latest: Buffer | null = null;
    s.on('session', (b: Buffer) => { latest = b; });
    const ticket = () => (latest ? Promise.resolve(latest)
      : deadline<Buffer>(5000, () => 'no session ticket in 5 s', (done) => { s.once('session', done); return () => s.off('session', done); }));
    s.once('error', reject);
    s.once('secureConnect', () => resolve({ client: new TestClient(s), resumed: s.isSessionReused(), ticket, ephemeral: (s.getEphemeralKeyInfo() as { type?: string })?.type }));
  });
}

describe('e2e: TLS session resumption across chatd restarts (server side)', function () {
  this.timeout(30000);
  const t = withChatd({ each: true });
  const dirs: string[] = [];
  const servers: Chatd[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.stop();
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  /** The suite's chatd stopped, and another on its port with these TLS files (same database). */
  async function replace(files: { cert: string; key: string; ca: string }): Promise<number> {
    const port = t.port;
    await t.stop();
    const s = await startChatd(testConfig(t.world, { port }), files, new Logger('silent'));
    servers.push(s);
    return port;
  }

  /** A copy of the world's certificates to change, in a directory of this test. */
  function copyCerts(): string {
    const dir = tmpdir('tls-resume');
    dirs.push(dir);
    for (const f of ['server.crt', 'server.key', 'ca.crt', 'ca.key']) fs.copyFileSync(path.join(t.world.certs, f), path.join(dir, f));
    return dir;
  }

  async function ticketFrom(port: number): Promise<Buffer> {
    const first = await connect(port, t.world.certs, 'alice');
    expect(first.resumed).to.equal(false);
    const ticket = await first.ticket();
    first.client.close();
    return ticket;
  }

  it('a ticket from before a restart (same port, database and certificates) resumes, and the resumed session logs in', async () => {
    const ticket = await ticketFrom(t.port);
    const before = (await t.chatd.metrics.resumed.get()).values[0]?.value ?? 0;
    expect(before).to.equal(0);
    await t.restart();
    const again = await connect(t.port, t.world.certs, 'alice', ticket);
    expect(again.resumed, 'resumed after the restart').to.equal(true);
    // psk_dhe_ke: the resumed handshake made a fresh (EC)DHE exchange (forward secrecy, SECURITY.md).
    expect(again.ephemeral).to.equal('ECDH');
    // Login needs the client certificate (CN binding, fingerprint): a resumed session still has it.
    expect(await again.client.login('alice')).to.include({ type: 'login_ok' });
    expect((await t.chatd.metrics.resumed.get()).values[0]?.value).to.equal(1);
    const text = await t.chatd.metrics.registry.metrics();
    expect(text).to.match(/^chatd_tls_resumed_total 1$/m);
  });

  it('a SIGHUP reload keeps tickets resumable (the reload used to make new random keys)', async () => {
    const ticket = await ticketFrom(t.port);
    expect(t.chatd.server.reload()).to.equal(true);
    const again = await connect(t.port, t.world.certs, 'alice', ticket);
    expect(again.resumed).to.equal(true);
    expect(await again.client.login('alice')).to.include({ type: 'login_ok' });
  });

  it('a certificate revoked after the ticket was issued is refused on the resumed connection (CERT_REVOKED)', async () => {
    const ticket = await ticketFrom(t.port);
    await t.restart();
    await t.world.store.revokeCert(fingerprintOfPem(fs.readFileSync(`${t.world.certs}/clients/alice.crt`)), 'spec');
    const again = await connect(t.port, t.world.certs, 'alice', ticket);
    expect(again.resumed).to.equal(true);
    expect(await again.client.login('alice')).to.include({ type: 'error', code: 'CERT_REVOKED' });
  });

  it('a server whose CA bundle changed resumes nothing (a resumed handshake would skip the chain check)', async () => {
    const dir = copyCerts();
    // The same CA plus another: every certificate still verifies, only the trust changed.
    fs.appendFileSync(path.join(dir, 'ca.crt'), (await createCA({ cn: 'another CA' })).certPem);
    const ticket = await ticketFrom(t.port);
    const port = await replace({ ...tlsFiles(dir) });
    const again = await connect(port, t.world.certs, 'alice', ticket);
    expect(again.resumed, 'resumed with another CA').to.equal(false);
    expect(await again.client.login('alice')).to.include({ type: 'login_ok' });
  });

  it('a server with another key (same CA, same name) resumes nothing', async () => {
    const dir = copyCerts();
    const pair = await createServerCert(loadCA(dir), ['localhost', '127.0.0.1']);
    fs.writeFileSync(path.join(dir, 'server.crt'), pair.certPem);
    fs.writeFileSync(path.join(dir, 'server.key'), pair.keyPem);
    const ticket = await ticketFrom(t.port);
    const port = await replace(tlsFiles(dir));
    const again = await connect(port, t.world.certs, 'alice', ticket);
    expect(again.resumed, 'resumed with another server key').to.equal(false);
    expect(await again.client.login('alice')).to.include({ type: 'login_ok' });
  });

  it('the same key and CA in other files (another node, or a copy) resume the ticket', async () => {
    const dir = copyCerts();
    const ticket = await ticketFrom(t.port);
    const port = await replace(tlsFiles(dir));
    expect((await connect(port, t.world.certs, 'alice', ticket)).resumed).to.equal(true);
  });

  it('enrollment (ALPN chatd-enroll/1, no client certificate) still works', async () => {
    await t.restart({ caKey: `${t.world.certs}/ca.key` });
    const r = await enrollRaw(t.port, t.world.certs, null);
    expect(r.hello).to.include({ type: 'enroll_hello' });
  });
});
