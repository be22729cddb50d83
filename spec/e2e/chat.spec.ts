// Rooms, messages, DMs, actions, history and text mode against a real chatd.
import { expect } from 'chai';
import { TestClient } from '../helpers/client.js';
import { withChatd } from '../helpers/chatd.js';
import { until } from '../helpers/wait.js';
import { USERS } from '../helpers/world.js';

describe('e2e: chat', function () {
  // Every case logs in its own clients (closed after it) and uses its own rooms: none depends on
  // what an earlier case left behind, each runs alone (-g) or in any order.
  // Flood control has its own spec; here one client sends many frames in a row.
  const t = withChatd({ config: { limits: { floodBurst: 1000, floodRate: 1000 } } });
  const trio = async () => Promise.all([t.login('alice'), t.login('bob'), t.login('carol')]);

  it('login_ok carries the role color and puts the user in lobby with its history', async () => {
    const alice = await t.login('alice');
    const c = await t.connect('dave');
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
    const [alice, bob] = await trio();
    alice.send({ type: 'say', text: 'hello room', id: 'h-1' });
    // Found by its text, not by its ack, so that a missing or wrong ack fails here.
    const own = await alice.waitFor((f) => f.type === 'message' && f.text === 'hello room');
    expect(own).to.include({ type: 'message', text: 'hello room', room: 'lobby', kind: 'say', ack: 'h-1' });
    expect(own.from).to.deep.equal({ name: 'alice', role: 'user', color: 'cyan' });
    const m = await bob.waitFor((f) => f.type === 'message' && f.text === 'hello room');
    expect(m.id).to.equal(own.id);
    expect(m).to.not.have.property('ack');
    expect(Date.parse(m.ts)).to.be.closeTo(Date.now(), 5000);
    await alice.say('hello marker');
    await bob.waitFor((f) => f.type === 'message' && f.text === 'hello marker');
    expect([...alice.frames, ...bob.frames].filter((f) => f.text === 'hello room')).to.deep.equal([]); // once each
  });

  it('colors names by role and exact identity: ali (moderator) and alice (user) never share one', async () => {
    const [alice, , carol] = await trio();
    const ali = await t.login('ali');
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
  });

  it('rooms: join, messages only to members, part, rooms list', async () => {
    const [alice, bob, carol] = await trio();
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
    const alice = await t.login('alice');
    const mod = await t.login('mod');
    await alice.command('//join design');
    expect((await alice.command('//topic Hack away')).code).to.equal('FORBIDDEN');
    await mod.command('//join design');
    const r = await mod.command('//topic Ship \x1b[31mit\x1b[0m');
    expect(r.type).to.equal('result');
    const ev = await alice.waitFor((f) => f.type === 'event' && f.event === 'topic');
    expect(ev).to.include({ room: 'design', by: 'mod', topic: 'Ship it', reason: 'Ship it' });
    expect((await alice.command('//topic')).text).to.equal('#design topic: Ship it');
  });

  it('DMs reach the target and the sender only', async () => {
    const [alice, bob, carol] = await trio();
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
    const [alice, , carol] = await trio();
    const r = await alice.command('//me waves');
    expect(r.type).to.equal('result');
    const m = await carol.waitFor((f) => f.type === 'message' && f.kind === 'me');
    expect(m).to.include({ text: 'waves', room: 'lobby' });
    expect(m.from.name).to.equal('alice');
  });

  it('rejects empty and over-long text with their codes', async () => {
    const alice = await t.login('alice');
    expect((await alice.say('\x1b[0m')).code).to.equal('EMPTY_TEXT');
    expect((await alice.say('x'.repeat(2001))).code).to.equal('TEXT_TOO_LONG');
    expect((await alice.say('é'.repeat(2000))).type).to.equal('message');
  });

  it('history: persisted, sent on join, and on request', async () => {
    const bob = await t.login('bob');
    await bob.command('//join annals');
    for (let i = 0; i < 3; i++) await bob.say(`hist ${i}`, 'annals');
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
    await t.chatd.node.history.drain(2000);
    const again = await t.start();
    const c = await TestClient.loggedIn(again.address.port, t.world.certs, 'dave');
    try {
      c.send({ type: 'command', line: 'join annals', id: 'j' });
      const joined = await c.waitFor((f) => f.type === 'history' && f.room === 'annals');
      expect(joined.messages.map((m: { text: string }) => m.text)).to.deep.equal(['hist 0', 'hist 1', 'hist 2']);
    } finally { c.close(); }
  });

  it('answers ping with pong echoing the id, and says goodbye on quit', async () => {
    const c = await t.login('dave');
    c.send({ type: 'ping', id: 7 });
    expect(await c.waitFor((f) => f.type === 'pong')).to.deep.equal({ type: 'pong', id: 7 });
    c.send({ type: 'command', line: 'quit', id: 'q' });
    expect(await c.waitFor((f) => f.id === 'q')).to.include({ type: 'result', command: 'quit' });
    await c.waitClosed();
  });

  it('a command frame needs no prefix; a say with the prefix is a command', async () => {
    const alice = await t.login('alice');
    alice.send({ type: 'command', line: 'whoami', id: 'w1' });
    const a = await alice.waitFor((f) => f.id === 'w1');
    expect(a).to.include({ type: 'result', command: 'whoami' });
    expect(a.data).to.include({ name: 'alice', role: 'user', level: 1 });
    const b = await alice.command('//WHOAMI');
    expect(b.command).to.equal('whoami');
  });

  it('rejects malformed frames without closing', async () => {
    const alice = await t.login('alice');
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
  const srv = withChatd();

  it('prompts, logs in, renders colored lines on request, runs commands', async () => {
    const t = await srv.connect('alice', { alpn: false });
    await t.waitText(/login: $/);
    t.send('alice');
    await t.waitText(/password: $/);
    t.send(USERS.alice.password);
    // Plain unless asked for (issue 19 item 4); //textcolor on turns the role colours on.
    await t.waitText(/logged in as alice \(user\)/);
    t.send('//textcolor on');
    await t.waitText(/colors on/);
    const bob = await srv.login('bob');
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
    const t = await srv.connect('carol', { alpn: false });
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
  const t = withChatd({ config: { limits: { presenceEventsMaxRoom: 2 } } });

  it('stops join/quit events above limits.presenceEventsMaxRoom members, messages still flow', async () => {
    const alice = await t.login('alice');
    const bob = await t.login('bob');
    await alice.waitFor((f) => f.type === 'event' && f.event === 'join' && f.user === 'bob'); // 2 members: announced
    const carol = await t.login('carol'); // 3 > 2: silent
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
