// Parser robustness: 100,000 generated hostile frames at a live server over TLS, in both modes.
// The server never crashes, every bad frame gets exactly one error with its code, and good
// sessions are unaffected.
import { expect } from 'chai';
import { TestClient } from '../helpers/client.js';
import { withChatd } from '../helpers/chatd.js';

/** A small seeded PRNG so a failure can be replayed. */
function prng(seed: number): () => number {
  return () => { seed |= 0; seed = (seed + 0x6d2b79f5) | 0; let t = Math.imul(seed ^ (seed >>> 15), 1 | seed); t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t; return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
}

type Case = { line: Buffer; code: 'BAD_FRAME' | 'UNKNOWN_TYPE' };

function generator(rand: () => number): () => Case {
  const int = (n: number) => Math.floor(rand() * n);
  const bytes = (n: number) => {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) { let x = int(256); if (x === 0x0a) x = 0x0b; b[i] = x; }
    return b;
  };
  const json = (o: unknown) => Buffer.from(JSON.stringify(o));
  const kinds: Array<() => Case> = [
    // random bytes: never valid JSON objects; a leading '!' keeps them from being blank or a number
    () => ({ line: Buffer.concat([Buffer.from('!'), bytes(1 + int(200))]), code: 'BAD_FRAME' }),
    // truncated UTF-8 inside JSON
    () => ({ line: Buffer.concat([Buffer.from('{"type":"say","text":"'), Buffer.from([0xe2, 0x82]), Buffer.from('"')]), code: 'BAD_FRAME' }),
    () => ({ line: Buffer.from(`{"type":"say","text":"abc${'\\'.repeat(1 + int(3))}`), code: 'BAD_FRAME' }),
    // huge numbers and wrong field types
    () => ({ line: Buffer.from(`{"type":"say","text":1e${int(400)},"id":"n"}`), code: 'BAD_FRAME' }),
    () => ({ line: Buffer.from(`{"type":"login","user":"alice","password":${'9'.repeat(1 + int(400))}}`), code: 'BAD_FRAME' }),
    () => ({ line: json({ type: 'say', text: { nested: [1, 2, 3] } }), code: 'BAD_FRAME' }),
    () => ({ line: json({ type: 'command', line: null }), code: 'BAD_FRAME' }),
    () => ({ line: json({ type: 'say', text: 'x', id: { evil: true } }), code: 'BAD_FRAME' }),
    () => ({ line: json({ type: 12 }), code: 'BAD_FRAME' }),
    () => ({ line: json([1, 'two', null]), code: 'BAD_FRAME' }),
    () => ({ line: Buffer.from(['null', 'true', '"str"', '3.14', '-0'][int(5)]), code: 'BAD_FRAME' }),
    // deep JSON
    () => { const d = 100 + int(3000); return { line: Buffer.from('['.repeat(d) + ']'.repeat(d)), code: 'BAD_FRAME' }; },
    () => { const d = 100 + int(2000); return { line: Buffer.from('{"a":'.repeat(d) + '1' + '}'.repeat(d)), code: 'BAD_FRAME' }; },
    // prototype pollution keys and unknown types
    () => ({ line: Buffer.from(`{"__proto__":{"type":"say","admin":true},"type":"x${int(1e6)}"}`), code: 'UNKNOWN_TYPE' }),
    () => ({ line: Buffer.from('{"constructor":{"prototype":{"polluted":1}},"type":"constructor"}'), code: 'UNKNOWN_TYPE' }),
    () => ({ line: Buffer.from('{"type":"__proto__"}'), code: 'UNKNOWN_TYPE' }),
    // NUL bytes and controls
    () => ({ line: Buffer.from('{"type":"s\\u0000ay","text":"a"}'), code: 'UNKNOWN_TYPE' }), // escaped NUL in a type
    () => ({ line: Buffer.from('{"type":"s\u0000ay","text":"a"}'), code: 'BAD_FRAME' }), // raw NUL inside a JSON string
    () => ({ line: Buffer.concat([Buffer.from('{"type":"say"'), Buffer.from([0, 0, 0]), Buffer.from('}')]), code: 'BAD_FRAME' }),
  ];
  return () => kinds[int(kinds.length)]();
}

describe('hardening: fuzzing the parser', function () {
  this.timeout(120000);
  const srv = withChatd({ config: { limits: { floodBurst: 1e9, floodRate: 1e9, floodKickCount: 1e9 } } });

  it('answers 100,000 hostile JSON frames with exactly one error each; a good session is unaffected', async () => {
    const N = 100_000;
    const gen = generator(prng(20261125));
    const fuzz = await TestClient.loggedIn(srv.port, srv.world.certs, 'alice');
    const good = await TestClient.loggedIn(srv.port, srv.world.certs, 'bob');
    const expected = new Map<string, number>();
    // Counting errors as they arrive instead of keeping 100k frames.
    const seen = new Map<string, number>();
    fuzz.frames = new Proxy([] as Array<Record<string, unknown>>, {
      get(target, prop, recv) {
        if (prop === 'push') return (f: Record<string, unknown>) => { if (f.type === 'error') seen.set(f.code as string, (seen.get(f.code as string) ?? 0) + 1); else target.push(f); return target.length; };
        return Reflect.get(target, prop, recv);
      },
    });
    const BATCH = 2000;
    for (let i = 0; i < N; i += BATCH) {
      const parts: Buffer[] = [];
      for (let j = 0; j < BATCH; j++) {
        const c = gen();
        expected.set(c.code, (expected.get(c.code) ?? 0) + 1);
        parts.push(c.line, Buffer.from('\n'));
      }
      fuzz.sock.write(Buffer.concat(parts));
      // Interleave a good frame from the good session and check it is served.
      const r = await good.command('//whoami');
      expect(r.type).to.equal('result');
    }
    fuzz.send({ type: 'ping', id: 'end' });
    await fuzz.waitFor((f) => f.type === 'pong' && f.id === 'end', 60000);
    expect(Object.fromEntries(seen)).to.deep.equal(Object.fromEntries(expected));
    expect([...expected.values()].reduce((a, b) => a + b)).to.equal(N);
    // Still a working session afterwards.
    expect((await fuzz.say('still here')).type).to.equal('message');
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
    fuzz.close(); good.close();
  });

  it('closes a line over 16 KiB with FRAME_TOO_LARGE, whatever its chunking, pre- or post-login', async () => {
    for (const login of [false, true]) {
      const c = login ? await TestClient.loggedIn(srv.port, srv.world.certs, 'carol') : await TestClient.connect(srv.port, srv.world.certs, 'carol');
      for (let i = 0; i < 20; i++) c.sock.write('a'.repeat(1000)); // 20,000 bytes, no newline, many writes
      expect((await c.waitFor((f) => f.type === 'error')).code).to.equal('FRAME_TOO_LARGE');
      await c.waitClosed();
    }
  });

  it('survives random lines in text mode', async () => {
    const rand = prng(7);
    const t = await TestClient.connect(srv.port, srv.world.certs, 'dave', { alpn: false });
    await t.waitText(/login: $/);
    t.send('dave');
    await t.waitText(/password: $/);
    t.send('Dave-pass-1234');
    await t.waitText(/logged in as/);
    const good = await TestClient.loggedIn(srv.port, srv.world.certs, 'bob');
    // 5,000 random lines in bursts of 500: one unpaced burst of all of them would, correctly, push
    // bob (who receives each as a message) past the 1 MiB send queue within one event-loop turn.
    for (let burst = 1; burst <= 10; burst++) {
      const lines: Buffer[] = [];
      for (let i = 0; i < 500; i++) {
        const n = 1 + Math.floor(rand() * 120);
        const b = Buffer.alloc(n);
        for (let j = 0; j < n; j++) { let x = Math.floor(rand() * 256); if (x === 0x0a) x = 0x20; b[j] = x; }
        lines.push(b, Buffer.from('\n'));
      }
      const from = t.text.length; // only this burst's answer: matching all the text so far grows with every burst
      t.sock.write(Buffer.concat(lines));
      t.send('//whoami');
      await t.waitText(/dave \(user, level 1\)/, 30000, from);
    }
    // Whatever arrived at bob was sanitized: no ESC, no C1 controls.
    for (const f of good.frames) if (f.type === 'message') expect(f.text).to.not.match(/[\x00-\x1f\x7f-\x9f]/);
    expect((await good.command('//whoami')).type).to.equal('result');
    t.close(); good.close();
  });
});
