// Faults: a database outage, SIGTERM, SIGHUP certificate reload, clients cut mid-frame, and secrets.
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import type { ChildProcess } from 'node:child_process';
import { createServerCert, loadCA, fingerprintOfPem } from '../../lib/auth/certs.js';
import { Logger } from '../../lib/log.js';
import { openStore } from '../../lib/store/index.js';
import { startBin, exited } from '../helpers/bin.js';
import { TestClient } from '../helpers/client.js';
import { TcpProxy } from '../helpers/proxy.js';
import { until } from '../helpers/wait.js';
import { withChatd } from '../helpers/chatd.js';
import { auditLog, tmpdir, USERS, type World } from '../helpers/world.js';

describe('hardening: database outage (MariaDB behind a proxy)', function () {
  this.timeout(60000);
  let proxy: TcpProxy;
  // chatd reaches MariaDB through a proxy the spec can cut.
  const t = withChatd({
    kind: 'mysql', logLevel: 'info',
    config: async (world) => {
      proxy = await TcpProxy.inFrontOf(world.db, 3306);
      return { db: proxy.url, limits: { dbTimeoutMs: 2000 } };
    },
  });
  after(async () => { await proxy?.stop(); });

  it('keeps live chat running, answers logins SERVICE_UNAVAILABLE, and persists queued messages when it returns', async () => {
    const alice = await TestClient.loggedIn(t.port, t.world.certs, 'alice');
    const bob = await TestClient.loggedIn(t.port, t.world.certs, 'bob');
    await proxy.cut();
    for (let i = 0; i < 5; i++) {
      expect((await alice.say(`outage ${i}`)).type).to.equal('message');
      await bob.waitFor((f) => f.type === 'message' && f.text === `outage ${i}`);
    }
    const carol = await TestClient.connect(t.port, t.world.certs, 'carol');
    const t0 = Date.now();
    const r = await carol.login('carol');
    expect(r.code).to.equal('SERVICE_UNAVAILABLE');
    expect(Date.now() - t0).to.be.below(5000);
    carol.close();
    await proxy.restore();
    await until(async () => (await t.world.store.history('lobby', 50)).filter((m) => m.text.startsWith('outage ')).length === 5, 15000, 'queued messages written', 50);
    expect((await t.world.store.history('lobby', 50)).filter((m) => m.text.startsWith('outage ')).map((m) => m.text))
      .to.deep.equal(['outage 0', 'outage 1', 'outage 2', 'outage 3', 'outage 4']);
    const again = await TestClient.connect(t.port, t.world.certs, 'carol');
    expect((await again.login('carol')).type).to.equal('login_ok');
    expect(t.logs.some((l) => /database unavailable/.test(l))).to.equal(true);
    for (const c of [alice, bob, again]) c.close();
  });
});

describe('hardening: history queue bound', () => {
  it('drops the oldest beyond the bound and logs it', async () => {
    const { HistoryWriter } = await import('../../lib/history.js');
    const logs: string[] = [];
    const failing = { insertMessages: async () => { throw new Error('down'); } } as never;
    const w = new HistoryWriter(failing, 3, new Logger('info', (l) => logs.push(l)));
    const frame = (id: string) => ({ frame: { type: 'message' as const, id, ts: new Date().toISOString(), room: 'lobby', from: { name: 'a', role: 'user', color: 'cyan' }, text: id, kind: 'say' as const }, senderId: null });
    for (const id of ['a', 'b', 'c', 'd', 'e']) w.add(frame(id));
    expect(w.pending).to.equal(3);
    expect(logs.some((l) => /history queue full/.test(l))).to.equal(true);
    w.stop();
  });

  // A store whose writes wait for the spec and then succeed or fail as it says.
  function gatedStore() {
    const written: string[] = [];
    const gates: Array<(ok: boolean) => void> = [];
    const store = {
      insertMessages: async (rows: Array<{ frame: { id: string } }>) => {
        if (!(await new Promise<boolean>((r) => gates.push(r)))) throw new Error('down');
        written.push(...rows.map((r) => r.frame.id));
      },
    } as never;
    return { store, written, answer: async (ok: boolean) => { await until(async () => gates.length > 0, 2000, 'a write'); gates.shift()!(ok); } };
  }
  const row = (id: string) => ({ frame: { type: 'message' as const, id, ts: new Date().toISOString(), room: 'lobby', from: { name: 'a', role: 'user', color: 'cyan' }, text: id, kind: 'say' as const }, senderId: null });
  /** A writer bounded at 4 unsaved messages on a gated store, flushing a and b (held at the gate). */
  async function twoInFlight() {
    const { HistoryWriter } = await import('../../lib/history.js');
    const logs: string[] = [];
    const db = gatedStore();
    const w = new HistoryWriter(db.store, 4, new Logger('info', (l) => logs.push(l)));
    w.add(row('a')); w.add(row('b'));
    return { logs, db, w, flushing: w.flush() };
  }
  const dropLogs = (logs: string[]) => logs.map((l) => JSON.parse(l)).filter((l) => l.msg === 'history queue full; dropping oldest unsaved messages');

  it('loses nothing when a write in flight succeeds and what came meanwhile fits the bound', async () => {
    const { logs, db, w, flushing } = await twoInFlight();
    for (const id of ['c', 'd', 'e', 'f']) w.add(row(id)); // 4 unsaved: within the bound
    await db.answer(true);
    await db.answer(true); // the same flush goes on with what came meanwhile
    await flushing;
    expect(w.pending).to.equal(0);
    expect(db.written).to.deep.equal(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(dropLogs(logs)).to.deep.equal([]);
    w.stop();
  });

  it('drops the oldest when a write in flight fails and the queue overflowed meanwhile (DESIGN: oldest dropped and logged)', async () => {
    const { logs, db, w, flushing } = await twoInFlight();
    for (const id of ['c', 'd', 'e', 'f', 'g']) w.add(row(id)); // 5 unsaved: c goes
    await db.answer(false); // the database is down: a and b are now the oldest unsaved
    await flushing;
    expect(w.pending).to.equal(4);
    const drained = w.drain(5000);
    await db.answer(true); // the retry
    expect(await drained).to.equal(true);
    expect(db.written).to.deep.equal(['d', 'e', 'f', 'g']);
    expect(dropLogs(logs).map((l) => l.dropped)).to.deep.equal([1]); // logged once, at the first drop
    w.stop();
  });
});

describe('hardening: signals and cut clients (chatd binary)', function () {
  this.timeout(60000);
  const t = withChatd({ server: false });
  let world: World;
  let dir: string;
  let child: ChildProcess & { output(): string };
  let port: number;

  before(async () => {
    world = t.world;
    dir = tmpdir('signals');
    for (const f of ['server.crt', 'server.key', 'ca.crt']) fs.copyFileSync(path.join(world.certs, f), path.join(dir, f));
    fs.writeFileSync(path.join(dir, 'cfg.json'), JSON.stringify({ password: { m: 256, t: 1, p: 1 } }));
    child = await startBin('chatd', ['--cert', `${dir}/server.crt`, '--key', `${dir}/server.key`, '--ca', `${dir}/ca.crt`, '--db', world.db, '--port', '0', '--config', `${dir}/cfg.json`]);
    port = Number(/listening on [\d.]+:(\d+)/.exec(child.output())![1]);
  });
  t.defer(async () => {
    if (child && child.exitCode === null) { child.kill('SIGKILL'); await exited(child); }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const serverFingerprint = () => new Promise<string>((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: fs.readFileSync(`${world.certs}/ca.crt`), cert: fs.readFileSync(`${world.certs}/clients/alice.crt`), key: fs.readFileSync(`${world.certs}/clients/alice.key`), ALPNProtocols: ['chatd/1'] }, () => {
      resolve(s.getPeerCertificate().fingerprint256);
      s.destroy();
    });
    s.on('error', reject);
  });

  it('an abruptly cut client leaves no ghost presence', async () => {
    const watcher = await TestClient.loggedIn(port, world.certs, 'bob');
    const ghost = await TestClient.loggedIn(port, world.certs, 'carol');
    ghost.sock.write('{"type":"say","text":"half a fra');
    ghost.sock.destroy();
    await watcher.waitFor((f) => f.type === 'event' && f.event === 'quit' && f.user === 'carol', 5000);
    expect((await watcher.command('//users')).text).to.not.match(/^carol\s/m);
    watcher.close();
  });

  it('SIGHUP serves new certificates to new connections and keeps sessions; a broken file is refused', async () => {
    const before = await serverFingerprint();
    const alice = await TestClient.loggedIn(port, world.certs, 'alice');
    const fresh = await createServerCert(loadCA(world.certs), ['localhost', '127.0.0.1']);
    fs.writeFileSync(`${dir}/server.crt`, fresh.certPem);
    fs.writeFileSync(`${dir}/server.key`, fresh.keyPem);
    const seen = child.output().length;
    child.kill('SIGHUP');
    await new Promise<void>((resolve) => { const on = () => { if (/certificates reloaded/.test(child.output().slice(seen))) { child.stderr!.off('data', on); resolve(); } }; child.stderr!.on('data', on); on(); });
    const after = await serverFingerprint();
    expect(after).to.not.equal(before);
    expect(after).to.equal(fingerprintOfPem(fresh.certPem));
    expect((await alice.command('//whoami')).type).to.equal('result');

    fs.writeFileSync(`${dir}/server.crt`, 'not a certificate');
    const seen2 = child.output().length;
    child.kill('SIGHUP');
    await new Promise<void>((resolve) => { const on = () => { if (/reload refused/.test(child.output().slice(seen2))) { child.stderr!.off('data', on); resolve(); } }; child.stderr!.on('data', on); on(); });
    expect(await serverFingerprint()).to.equal(after);
    expect((await alice.command('//whoami')).type).to.equal('result');
    alice.close();
  });

  it('SIGTERM: bye SHUTDOWN to everyone, pending history flushed, exit 0 within 5 s', async () => {
    const alice = await TestClient.loggedIn(port, world.certs, 'alice');
    const bob = await TestClient.loggedIn(port, world.certs, 'bob');
    for (let i = 0; i < 10; i++) alice.send({ type: 'say', text: `last words ${i}`, id: i });
    await alice.waitFor((f) => f.type === 'message' && f.ack === 9);
    const t0 = Date.now();
    child.kill('SIGTERM');
    for (const c of [alice, bob]) expect((await c.waitFor((f) => f.type === 'bye')).code).to.equal('SHUTDOWN');
    expect(await exited(child, 6000)).to.equal(0);
    expect(Date.now() - t0).to.be.below(5000);
    const store = await openStore(world.db);
    try {
      const texts = (await store.history('lobby', 100)).map((m) => m.text).filter((t) => t.startsWith('last words'));
      expect(texts).to.have.length(10);
    } finally { await store.close(); }
  });
});

describe('hardening: secrets never leak', function () {
  const t = withChatd({ logLevel: 'debug' });

  it('passwords appear in no log, history, audit entry or error message', async () => {
    const secretNew = 'Never-Show-This-9876';
    const bob = await TestClient.loggedIn(t.port, t.world.certs, 'bob');
    const wrong = await TestClient.connect(t.port, t.world.certs, 'alice');
    const failed = await wrong.login('alice', 'Wrong-Secret-5555');
    expect(failed.message).to.not.contain('Wrong-Secret-5555');
    wrong.close();
    await bob.command(`//passwd ${USERS.bob.password} ${secretNew}`);
    const e = await bob.command(`//passwd ${secretNew} x`);
    expect(e.code).to.equal('BAD_ARGS');
    await bob.say('an ordinary message');
    await t.chatd.node.history.drain(2000);
    const haystack = [
      t.logs.join('\n'),
      JSON.stringify(await t.world.store.history('lobby', 200)),
      JSON.stringify(await auditLog(t.world.store, 1000)),
      JSON.stringify(bob.frames), e.message,
    ].join('\n');
    for (const secret of [secretNew, USERS.bob.password, USERS.alice.password, 'Wrong-Secret-5555']) {
      expect(haystack, secret).to.not.contain(secret);
    }
    expect(t.logs.length).to.be.greaterThan(0);
    bob.close();
  });

  it('writes private keys with mode 0600', () => {
    for (const f of ['ca.key', 'server.key', 'clients/alice.key']) {
      expect(fs.statSync(path.join(t.world.certs, f)).mode & 0o777, f).to.equal(0o600);
    }
  });
});
