// Timeouts, flood control, connection caps and slow readers, each with short limits.
import { expect } from 'chai';
import net from 'node:net';
import { TestClient } from '../helpers/client.js';
import { withChatd } from '../helpers/chatd.js';
import { deadline } from '../helpers/wait.js';

describe('hardening: timeouts', function () {
  const t = withChatd({ server: false });

  it('drops a TCP connection that never completes the TLS handshake', async () => {
    const chatd = await t.start({ limits: { handshakeTimeoutMs: 300 } });
    try {
      const sock = net.connect(chatd.address.port, '127.0.0.1');
      const t0 = Date.now();
      sock.on('error', () => {});
      await deadline<void>(5000, () => 'not closed', (resolve) => { sock.on('close', () => resolve()); });
      expect(Date.now() - t0).to.be.within(200, 3000);
    } finally { await chatd.stop(); }
  });

  it('pings a silent client and drops it with bye IDLE when it never answers', async () => {
    const chatd = await t.start({ limits: { pingIntervalMs: 200, idleTimeoutMs: 600 } });
    try {
      const quiet = await TestClient.loggedIn(chatd.address.port, t.world.certs, 'alice');
      const polite = await TestClient.loggedIn(chatd.address.port, t.world.certs, 'bob');
      // quiet stops answering: remove its auto-pong by swallowing pings before they are answered.
      quiet.sock.removeAllListeners('data');
      let raw = '';
      quiet.sock.on('data', (d: string) => { raw += d; });
      await quiet.waitClosed(5000);
      expect(raw).to.contain('{"type":"ping"}');
      expect(raw).to.match(/\{"type":"bye","code":"IDLE","reason":"no data for \d+ s"\}\n$/);
      // The polite client answers pings and stays.
      expect((await polite.command('//whoami')).type).to.equal('result');
      expect(polite.closed).to.equal(false);
      polite.close();
    } finally { await chatd.stop(); }
  });
});

describe('hardening: flood control and connection limits', function () {
  const t = withChatd({ config: { limits: { floodBurst: 5, floodRate: 2, floodKickCount: 10, floodKickWindowMs: 10_000, maxConnPerIp: 4, maxConnTotal: 6, loginIpBurst: 3, loginIpRate: 0.01 } } });

  it('answers excess frames with RATE_LIMITED, then bye FLOOD; others are unaffected', async () => {
    const flooder = await TestClient.loggedIn(t.port, t.world.certs, 'alice');
    const other = await TestClient.loggedIn(t.port, t.world.certs, 'bob');
    for (let i = 0; i < 40; i++) flooder.send({ type: 'say', text: `flood ${i}`, id: i });
    const limited = await flooder.waitFor((f) => f.type === 'error' && f.code === 'RATE_LIMITED');
    expect(typeof limited.id).to.equal('number');
    expect(limited.message).to.match(/^too many frames; slow down: 2\/s after a burst of 5, next in \d+ ms$/);
    expect(Number(/next in (\d+) ms/.exec(limited.message)![1])).to.be.within(1, 500); // one token at 2/s
    const bye = await flooder.waitFor((f) => f.type === 'bye');
    expect(bye.code).to.equal('FLOOD');
    await flooder.waitClosed();
    const delivered = flooder.frames.filter((f) => f.type === 'message').length;
    expect(delivered).to.be.within(1, 8); // the burst of 5, plus what refilled meanwhile
    expect((await other.command('//whoami')).type).to.equal('result');
    other.close();
  });

  it('refuses connections over the per-IP cap without touching existing ones', async () => {
    const held: TestClient[] = [];
    for (let i = 0; i < 4; i++) held.push(await TestClient.connect(t.port, t.world.certs, 'carol', { from: '127.0.0.5' }));
    let refused = false;
    try {
      const extra = await TestClient.connect(t.port, t.world.certs, 'carol', { from: '127.0.0.5' });
      await extra.waitFor((f) => f.type === 'welcome', 1500).catch(() => { refused = true; });
      extra.close();
    } catch { refused = true; }
    expect(refused).to.equal(true);
    await held[0].waitFor((f) => f.type === 'welcome');
    expect(held.every((c) => !c.closed)).to.equal(true);
    // Another address still gets in.
    const ok = await TestClient.connect(t.port, t.world.certs, 'carol', { from: '127.0.0.6' });
    await ok.waitFor((f) => f.type === 'welcome');
    for (const c of [...held, ok]) c.close();
  });

  it('throttles failed logins per IP with RATE_LIMITED', async () => {
    const c = await TestClient.connect(t.port, t.world.certs, 'dave', { from: '127.0.0.7' });
    await c.waitFor((f) => f.type === 'welcome');
    const codes: string[] = [];
    for (let i = 0; i < 5; i++) {
      c.send({ type: 'login', user: 'dave', password: 'wrong-wrong', id: i });
      codes.push((await c.waitFor((f) => f.id === i)).code);
    }
    expect(codes.slice(0, 3)).to.deep.equal(['AUTH_FAILED', 'AUTH_FAILED', 'AUTH_FAILED']);
    expect(codes.slice(3)).to.deep.equal(['RATE_LIMITED', 'RATE_LIMITED']);
    c.close();
  });
});

describe('hardening: slow readers', function () {
  this.timeout(60000);
  const t = withChatd({ config: { limits: { floodBurst: 1e9, floodRate: 1e9 } }, logLevel: 'warn' });

  it('drops a reader that stops reading with SENDQ_EXCEEDED; memory stays bounded; others keep receiving', async () => {
    const slow = await TestClient.loggedIn(t.port, t.world.certs, 'carol');
    const reader = await TestClient.loggedIn(t.port, t.world.certs, 'bob');
    const sender = await TestClient.loggedIn(t.port, t.world.certs, 'alice');
    slow.sock.pause(); // stops reading: kernel buffers fill, then chatd's queue
    const text = 'z'.repeat(1900);
    let got = 0;
    reader.sock.on('data', () => { got = reader.frames.filter((f) => f.type === 'message').length; });
    const N = 4000; // ~8 MB towards the slow reader: far past kernel buffers and the 1 MiB queue
    for (let i = 0; i < N; i += 100) {
      for (let j = i; j < i + 100; j++) sender.send({ type: 'say', text: `${j} ${text}` });
      await sender.waitFor((f) => f.type === 'message' && f.text.startsWith(`${i + 99} `), 10000);
      sender.frames.length = 0;
      reader.frames.splice(0, reader.frames.length - 1);
    }
    // The slow session is gone (destroyed, not ended); presence no longer lists it.
    const users = await sender.command('//users');
    expect(users.text).to.not.match(/^carol\s/m);
    const dropped = t.logs.map((l) => JSON.parse(l)).find((l) => l.msg === 'send queue exceeded');
    expect(dropped, t.logs.join('')).to.include({ user: 'carol' });
    // What chatd held for the slow reader when it gave up: past the 1 MiB bound by at most the one
    // frame that crossed it (~2 KB here), not the megabytes pushed at it.
    expect(dropped.queued).to.be.within(1048576 + 1, 1048576 + 4096);
    // Nothing is held for it afterwards: the session is gone from this node.
    expect([...t.chatd.node.sessions].some((s) => s.user?.name === 'carol')).to.equal(false);
    expect(got).to.be.greaterThan(0);
    const last = await reader.waitFor((f) => f.type === 'message' && f.text.startsWith(`${N - 1} `), 10000);
    expect(last).to.be.ok;
    reader.close(); sender.close(); slow.close();
  });
});
