// The session's input path against a real chatd: every line is checked size → flood → parse, in both
// modes, before and after login; and input queued behind a line still being handled stays bounded.
import { expect } from 'chai';
import type { Chatd } from '../../lib/app.js';
import { DEFAULT_LIMITS } from '../../lib/config.js';
import type { Session } from '../../lib/session.js';
import { TestClient } from '../helpers/client.js';
import { until } from '../helpers/wait.js';
import { withChatd } from '../helpers/chatd.js';

/** The server side of the newest session (the one whose welcome the client has just seen). */
function newestSession(chatd: Chatd): Session {
  return [...chatd.node.sessions].pop()!;
}

describe('session input: size, then flood, then parse', function () {
  const srv = withChatd({ config: { limits: { floodBurst: 5, floodRate: 1, floodKickCount: 10, floodKickWindowMs: 10_000 } } });

  for (const login of [false, true]) {
    it(`answers 200 malformed JSON lines ${login ? 'after' : 'before'} login with RATE_LIMITED, then bye FLOOD`, async () => {
      const c = login ? await TestClient.loggedIn(srv.port, srv.world.certs, 'alice') : await TestClient.connect(srv.port, srv.world.certs, 'alice');
      if (!login) await c.waitFor((f) => f.type === 'welcome');
      for (let i = 0; i < 200; i++) c.send(`{not json ${i}`);
      const limited = await c.waitFor((f) => f.type === 'error' && f.code === 'RATE_LIMITED');
      expect(limited.message).to.match(/^too many frames; slow down: 1\/s after a burst of 5/);
      expect((await c.waitFor((f) => f.type === 'bye')).code).to.equal('FLOOD');
      await c.waitClosed();
      // Only what the bucket admitted was parsed: the burst, plus what refilled meanwhile.
      expect(c.frames.filter((f) => f.code === 'BAD_FRAME').length).to.be.within(1, 7);
    });
  }

  it('throttles text-mode lines before login (answers at the login prompt)', async () => {
    const t = await TestClient.connect(srv.port, srv.world.certs, 'bob', { alpn: false });
    await t.waitText(/login: $/);
    // Blank lines re-prompt, so they are work the server does for the peer: they cost a token too.
    t.sock.write('\n'.repeat(200));
    await t.waitText(/error RATE_LIMITED: too many frames; slow down/);
    await t.waitText(/bye FLOOD: excess flood\n$/);
    await t.waitClosed();
    expect(t.text.split('login: ').length - 1).to.be.within(1, 8); // the first prompt, then the burst
  });

  it('throttles text-mode lines after login', async () => {
    const t = await TestClient.connect(srv.port, srv.world.certs, 'carol', { alpn: false });
    await t.waitText(/login: $/);
    t.send('carol');
    await t.waitText(/password: $/);
    t.send('Carol-pass-1234');
    await t.waitText(/logged in as/);
    t.sock.write('x\n'.repeat(200));
    await t.waitText(/error RATE_LIMITED: too many frames; slow down/);
    await t.waitText(/bye FLOOD: excess flood\n$/);
    await t.waitClosed();
  });

  it('echoes the id of a frame refused by flood control', async () => {
    const c = await TestClient.loggedIn(srv.port, srv.world.certs, 'dave');
    for (let i = 0; i < 8; i++) c.send({ type: 'ping', id: `p${i}` });
    const limited = await c.waitFor((f) => f.type === 'error' && f.code === 'RATE_LIMITED');
    expect(limited.id).to.match(/^p[4-7]$/); // the login took a token too
    c.close();
  });
});

describe('session input: bounded while a line is being handled', function () {
  this.timeout(60000);
  // Flood control out of the way: the bound under test is the pending-input one alone.
  const srv = withChatd({ config: { limits: { floodBurst: 1e9, floodRate: 1e9, floodKickCount: 1e9, loginIpBurst: 1e9, loginFailLimit: 1e9 } } });

  it('keeps the queued input of 8 connections flooding 16 KiB lines during a slow login bounded, both modes', async () => {
    // Logins wait until the gate opens: a password pool busy with other logins, made deterministic.
    let open!: () => void;
    const gate = new Promise<void>((r) => { open = r; });
    const node = srv.chatd.node;
    const login = node.login.bind(node);
    node.login = async (...args) => { await gate; return login(...args); };
    try {
      const LINES = 100;
      const big = 'x'.repeat(16_000);
      const peaks = new Map<Session, number>();
      const sent = new Map<Session, number>();
      const clients: Array<{ c: TestClient; s: Session; mode: 'text' | 'json' }> = [];
      for (let i = 0; i < 8; i++) {
        const mode = i % 2 ? 'json' : 'text';
        const c = await TestClient.connect(srv.port, srv.world.certs, 'erin', { alpn: mode === 'json' });
        if (mode === 'json') await c.waitFor((f) => f.type === 'welcome'); else await c.waitText(/login: $/);
        const s = newestSession(srv.chatd);
        peaks.set(s, 0);
        s.socket.on('data', () => peaks.set(s, Math.max(peaks.get(s)!, s.pendingInputBytes)));
        let bytes = 0;
        const write = (line: string) => { bytes += Buffer.byteLength(line) + 1; c.sock.write(line + '\n'); };
        if (mode === 'text') { write('erin'); write('wrong password'); } else write(JSON.stringify({ type: 'login', user: 'erin', password: 'wrong', id: 'L' }));
        for (let j = 0; j < LINES; j++) write(mode === 'text' ? big : JSON.stringify({ type: 'say', text: big, id: j }));
        sent.set(s, bytes);
        clients.push({ c, s, mode });
      }
      // Either the server has read everything it was sent, or it stopped reading that connection.
      await until(async () => clients.every(({ s }) => s.bytesIn >= sent.get(s)! || s.socket.isPaused()), 30000, 'every connection read or paused');
      // The cap, the line that crossed it, and the rest of the TLS record being decoded when reading paused.
      const cap = DEFAULT_LIMITS.maxPendingInputBytes + 2 * DEFAULT_LIMITS.maxLineBytes;
      for (const { s, mode } of clients) {
        expect(peaks.get(s), `${mode} session queued ${peaks.get(s)} bytes`).to.be.at.most(cap);
      }
      open();
      // Once the logins answer, the paused connections resume and every queued line is handled in order.
      for (const { c, mode } of clients) {
        if (mode === 'json') {
          expect((await c.waitFor((f) => f.id === 'L', 10000)).code).to.equal('AUTH_FAILED');
          const last = await c.waitFor((f) => f.id === LINES - 1, 20000, 'answer to the last line');
          expect(last.code).to.equal('NOT_LOGGED_IN');
        } else {
          await c.waitText(/bye\n$/, 20000); // three failed tries in text mode, then bye
        }
        c.close();
      }
      for (const { s } of clients) expect(s.pendingInputBytes).to.equal(0);
    } finally {
      open();
      node.login = login;
    }
  });
});
