// Rooms, messages, DMs, actions, history and text mode against a real chatd.
import { expect } from 'chai';
import type { Chatd } from '../../lib/app.js';
import { TestClient } from '../helpers/client.js';
import { until } from '../helpers/wait.js';
import { makeWorld, startServer, USERS, type World } from '../helpers/world.js';

describe('e2e: chat', function () {
  let world: World;
  let chatd: Chatd;
  let port: number;
  let alice: TestClient;
  let bob: TestClient;
  let carol: TestClient;

  before(async () => {
    world = await makeWorld();
    // Flood control has its own spec; here one client sends many frames in a row.
    chatd = await startServer(world, { limits: { floodBurst: 1000, floodRate: 1000 } });
    port = chatd.address.port;
    alice = await TestClient.loggedIn(port, world.certs, 'alice');
    bob = await TestClient.loggedIn(port, world.certs, 'bob');
    carol = await TestClient.loggedIn(port, world.certs, 'carol');
  });
  after(async () => {
    for (const c of [alice, bob, carol]) c?.close();
    await chatd?.stop();
    await world?.drop();
  });

  it('login_ok carries the role color and puts the user in lobby with its history', async () => {
    const c = await TestClient.connect(port, world.certs, 'dave');
    const ok = await c.login('dave');
    expect(ok).to.deep.include({ type: 'login_ok', room: 'lobby', id: 'L' });
    expect(ok.user).to.deep.equal({ name: 'dave', role: 'user', level: 1, color: 'cyan' });
    const h = await c.waitFor((f) => f.type === 'history');
    expect(h.room).to.equal('lobby');
    expect(h.messages).to.be.an('array');
    await alice.waitFor((f) => f.type === 'event' && f.event === 'join' && f.user === 'dave');
    c.close();
    await alice.waitFor((f) => f.type === 'event' && f.event === 'quit' && f.user === 'dave');
  });

  it('a message reaches every member once; the sender gets it back with ack', async () => {
    const ack = await alice.say('hello room');
    expect(ack).to.include({ type: 'message', text: 'hello room', room: 'lobby', kind: 'say', ack: ack.ack });
    expect(ack.from).to.deep.equal({ name: 'alice', role: 'user', color: 'cyan' });
    const m = await bob.waitFor((f) => f.type === 'message' && f.text === 'hello room');
    expect(m.id).to.equal(ack.id);
    expect(m).to.not.have.property('ack');
    expect(Date.parse(m.ts)).to.be.closeTo(Date.now(), 5000);
  });

  it('colors names by role and exact identity: ali (moderator) and alice (user) never share one', async () => {
    const ali = await TestClient.loggedIn(port, world.certs, 'ali');
    await ali.say('from ali');
    await alice.say('from alice');
    const a = await carol.waitFor((f) => f.type === 'message' && f.text === 'from ali');
    const b = await carol.waitFor((f) => f.type === 'message' && f.text === 'from alice');
    expect(a.from).to.deep.equal({ name: 'ali', role: 'moderator', color: 'yellow' });
    expect(b.from).to.deep.equal({ name: 'alice', role: 'user', color: 'cyan' });
    // Markup in the text cannot recolor anything: it is stripped, the color stays the role's.
    await alice.say('[magenta]alice[/magenta] \x1b[35mpurple');
    const c = await carol.waitFor((f) => f.type === 'message' && f.from.name === 'alice' && f.text.includes('purple'));
    expect(c.text).to.equal('alice purple');
    expect(c.from.color).to.equal('cyan');
    ali.close();
  });

  it('rooms: join, messages only to members, part, rooms list', async () => {
    let r = await alice.command('//join #Dev');
    expect(r).to.include({ type: 'result', command: 'join' });
    await alice.waitFor((f) => f.type === 'history' && f.room === 'dev');
    r = await bob.command('//join dev');
    expect(r.type).to.equal('result');
    await alice.waitFor((f) => f.type === 'event' && f.event === 'join' && f.room === 'dev' && f.user === 'bob');
    const ack = await alice.say('dev only');
    expect(ack.room).to.equal('dev');
    await bob.waitFor((f) => f.type === 'message' && f.text === 'dev only' && f.room === 'dev');
    // carol is not in #dev: a marker sent afterwards in lobby arrives, the dev message never did.
    await alice.say('lobby marker', 'lobby');
    await carol.waitFor((f) => f.type === 'message' && f.text === 'lobby marker');
    expect(carol.frames.some((f) => f.text === 'dev only')).to.equal(false);
    const e = await carol.say('sneak', 'dev');
    expect(e).to.include({ type: 'error', code: 'NO_SUCH_ROOM' });
    const list = await carol.command('//rooms');
    expect(list.text).to.match(/#dev\s+2/).and.match(/#lobby/);
    r = await bob.command('//part');
    expect(r.data).to.deep.equal({ room: 'dev', current: 'lobby' });
    await alice.waitFor((f) => f.type === 'event' && f.event === 'part' && f.user === 'bob' && f.room === 'dev');
    expect((await bob.command('//part dev')).code).to.equal('NO_SUCH_ROOM');
    expect((await bob.command('//join ../etc')).code).to.equal('BAD_ARGS');
  });

  it('topic: everyone may read it, only moderators set it', async () => {
    expect((await alice.command('//topic Hack away')).code).to.equal('FORBIDDEN');
    const mod = await TestClient.loggedIn(port, world.certs, 'mod');
    await mod.command('//join dev');
    const r = await mod.command('//topic Ship \x1b[31mit\x1b[0m');
    expect(r.type).to.equal('result');
    const ev = await alice.waitFor((f) => f.type === 'event' && f.event === 'topic');
    expect(ev).to.include({ room: 'dev', by: 'mod', topic: 'Ship it', reason: 'Ship it' });
    expect((await alice.command('//topic')).text).to.equal('#dev topic: Ship it');
    mod.close();
  });

  it('DMs reach the target and the sender only', async () => {
    const r = await alice.command('//msg bob psst, secret');
    expect(r).to.include({ type: 'result', command: 'msg' });
    const dm = await bob.waitFor((f) => f.type === 'dm');
    expect(dm).to.include({ to: 'bob', text: 'psst, secret' });
    expect(dm.from.name).to.equal('alice');
    await alice.waitFor((f) => f.type === 'dm' && f.id === dm.id);
    await alice.say('after dm', 'lobby');
    await carol.waitFor((f) => f.text === 'after dm');
    expect(carol.frames.some((f) => f.type === 'dm')).to.equal(false);
    expect((await alice.command('//msg nobody hi')).code).to.equal('NO_SUCH_USER');
    expect((await alice.command('//msg bob')).code).to.equal('BAD_ARGS');
  });

  it('me sends an action', async () => {
    await alice.command('//join lobby');
    const r = await alice.command('//me waves');
    expect(r.type).to.equal('result');
    const m = await carol.waitFor((f) => f.type === 'message' && f.kind === 'me');
    expect(m).to.include({ text: 'waves', room: 'lobby' });
  });

  it('rejects empty and over-long text with their codes', async () => {
    expect((await alice.say('\x1b[0m')).code).to.equal('EMPTY_TEXT');
    expect((await alice.say('x'.repeat(2001))).code).to.equal('TEXT_TOO_LONG');
    expect((await alice.say('é'.repeat(2000))).type).to.equal('message');
  });

  it('history: persisted, sent on join, and on request', async () => {
    for (let i = 0; i < 3; i++) await bob.say(`hist ${i}`, 'lobby');
    const got = bob.frames.length;
    const r = await bob.command('//history 3');
    expect(r).to.include({ type: 'result', command: 'history' });
    // Exactly one direct answer (the result); the history frame before it is a side effect, no id.
    const since = bob.frames.slice(got);
    expect(since.filter((f) => f.id === r.id)).to.deep.equal([]);
    const h = since.find((f) => f.type === 'history')!;
    expect(h).to.not.have.property('id');
    expect(h.messages.map((m: { text: string }) => m.text)).to.deep.equal(['hist 0', 'hist 1', 'hist 2']);
    expect((await bob.command('//history 201')).code).to.equal('BAD_ARGS');
    // A restart keeps it: history comes from the database.
    await chatd.node.history.drain(2000);
    const again = await startServer(world);
    try {
      const c = await TestClient.connect(again.address.port, world.certs, 'dave');
      await c.login('dave');
      const joined = await c.waitFor((f) => f.type === 'history' && f.room === 'lobby');
      expect(joined.messages.map((m: { text: string }) => m.text)).to.include.members(['hist 0', 'hist 1', 'hist 2']);
      c.close();
    } finally { await again.stop(); }
  });

  it('answers ping with pong echoing the id, and says goodbye on quit', async () => {
    const c = await TestClient.loggedIn(port, world.certs, 'dave');
    c.send({ type: 'ping', id: 7 });
    expect(await c.waitFor((f) => f.type === 'pong')).to.deep.equal({ type: 'pong', id: 7 });
    c.send({ type: 'command', line: 'quit', id: 'q' });
    expect(await c.waitFor((f) => f.id === 'q')).to.include({ type: 'result', command: 'quit' });
    await c.waitClosed();
  });

  it('a command frame needs no prefix; a say with the prefix is a command', async () => {
    alice.send({ type: 'command', line: 'whoami', id: 'w1' });
    const a = await alice.waitFor((f) => f.id === 'w1');
    expect(a).to.include({ type: 'result', command: 'whoami' });
    expect(a.data).to.include({ name: 'alice', role: 'user', level: 1 });
    const b = await alice.command('//WHOAMI');
    expect(b.command).to.equal('whoami');
  });

  it('rejects malformed frames without closing', async () => {
    alice.send('{"type":');
    expect((await alice.waitFor((f) => f.type === 'error')).code).to.equal('BAD_FRAME');
    alice.send('[1,2]');
    expect((await alice.waitFor((f) => f.type === 'error')).code).to.equal('BAD_FRAME');
    alice.send({ type: 'say', text: 42, id: 'n' });
    expect(await alice.waitFor((f) => f.type === 'error')).to.include({ code: 'BAD_FRAME', id: 'n' });
    alice.send({ type: 'nope', id: 'u' });
    expect(await alice.waitFor((f) => f.type === 'error')).to.include({ code: 'UNKNOWN_TYPE', id: 'u' });
    alice.send('{"type":"say","text":"proto","__proto__":{"admin":true},"id":"p"}');
    expect(await alice.waitFor((f) => f.type === 'message' && f.ack === 'p')).to.include({ text: 'proto' });
    expect(alice.closed).to.equal(false);
  });
});

describe('e2e: text mode (no ALPN, as with openssl s_client)', function () {
  let world: World;
  let chatd: Chatd;
  before(async () => { world = await makeWorld(); chatd = await startServer(world); });
  after(async () => { await chatd?.stop(); await world?.drop(); });

  it('prompts, logs in, renders colored lines, runs commands', async () => {
    const t = await TestClient.connect(chatd.address.port, world.certs, 'alice', { alpn: false });
    await t.waitText(/login: $/);
    t.send('alice');
    await t.waitText(/password: $/);
    t.send(USERS.alice.password);
    await t.waitText(/logged in as \x1b\[36malice\x1b\[39m \(user\)/);
    const bob = await TestClient.loggedIn(chatd.address.port, world.certs, 'bob');
    await bob.say('hi text mode');
    // "HH:MM:SS #lobby bob: hi text mode" with bob's name in cyan (SGR 36).
    const text = await t.waitText(/\d\d:\d\d:\d\d #lobby \x1b\[36mbob\x1b\[39m: hi text mode/);
    expect(text.replace(/\x1b\[[0-9;]*m/g, '')).to.not.match(/\x1b/);
    t.send('hello from text');
    await bob.waitFor((f) => f.type === 'message' && f.text === 'hello from text' && f.from.name === 'alice');
    t.send('//whoami');
    await t.waitText(/alice \(user, level 1\)/);
    bob.close();
    t.close();
  });

  it('allows three login tries, then says bye', async () => {
    const t = await TestClient.connect(chatd.address.port, world.certs, 'carol', { alpn: false });
    for (let i = 0; i < 3; i++) {
      await t.waitText(new RegExp(`(login: [\\s\\S]*){${i + 1}}$`));
      t.send('carol');
      await t.waitText(new RegExp(`(password: [\\s\\S]*){${i + 1}}$`));
      t.send('wrong-password');
    }
    await t.waitText(/AUTH_FAILED[\s\S]*bye\n$/);
    await t.waitClosed();
  });
});

describe('e2e: presence events in large rooms', function () {
  let world: World;
  let chatd: Chatd;
  before(async () => { world = await makeWorld(); chatd = await startServer(world, { limits: { presenceEventsMaxRoom: 2 } }); });
  after(async () => { await chatd?.stop(); await world?.drop(); });

  it('stops join/quit events above limits.presenceEventsMaxRoom members, messages still flow', async () => {
    const alice = await TestClient.loggedIn(chatd.address.port, world.certs, 'alice');
    const bob = await TestClient.loggedIn(chatd.address.port, world.certs, 'bob');
    await alice.waitFor((f) => f.type === 'event' && f.event === 'join' && f.user === 'bob'); // 2 members: announced
    const carol = await TestClient.loggedIn(chatd.address.port, world.certs, 'carol'); // 3 > 2: silent
    await carol.say('carol here');
    await alice.waitFor((f) => f.type === 'message' && f.text === 'carol here');
    expect(alice.frames.some((f) => f.type === 'event' && f.user === 'carol')).to.equal(false);
    carol.close(); // leaves a room of 3: silent
    await until(async () => !/^carol\s/m.test((await alice.command('//users')).text), 5000, 'carol gone from users', 20);
    bob.close(); // leaves a room of 2: announced
    await alice.waitFor((f) => f.type === 'event' && f.event === 'quit' && f.user === 'bob');
    expect(alice.frames.some((f) => f.type === 'event' && f.user === 'carol')).to.equal(false);
    alice.close();
  });
});
