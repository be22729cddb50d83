// DESIGN.md "Conversations", server side, over the wire: stored DMs and mailboxes, the resuming
// `join` frame, exactly-once say and command frames, away, and name colors. Real chatd, real TLS;
// cuts and lost answers through the TCP proxy.
import { expect } from 'chai';
import { TestClient, type Frame } from '../helpers/client.js';
import { withChatd } from '../helpers/chatd.js';
import { TcpProxy } from '../helpers/proxy.js';
import { until } from '../helpers/wait.js';

const FAST = { floodBurst: 2000, floodRate: 2000 };

describe('e2e: conversations (server)', function () {
  this.timeout(60_000);
  const t = withChatd({ config: { limits: FAST } });
  const extra: TestClient[] = [];
  afterEach(() => { for (const c of extra.splice(0)) c.close(); });

  async function on(port: number, user: string): Promise<TestClient> {
    const c = await TestClient.loggedIn(port, t.world.certs, user);
    extra.push(c);
    return c;
  }

  /** Frames of a type matching `pred`, consumed, once `n` of them are there. */
  async function collect(c: TestClient, n: number, pred: (f: Frame) => boolean, ms = 10_000): Promise<Frame[]> {
    await until(async () => c.frames.filter(pred).length >= n, ms, `${n} frames`);
    const got = c.frames.filter(pred);
    c.frames = c.frames.filter((f) => !pred(f));
    return got;
  }

  const messagesOf = (frames: Frame[], room = 'lobby') => frames.filter((f) => f.type === 'history' && f.room === room).flatMap((f) => f.messages);

  describe('stored DMs', () => {
    it('a //msg to an offline user waits and arrives at their next login, oldest first, with offline: true', async () => {
      const alice = await t.login('alice');
      const r1 = await alice.command('//msg bob first while you were out');
      expect(r1).to.include({ type: 'result', command: 'msg' });
      expect(r1.data.offline).to.equal(true);
      await alice.command('//msg bob second');
      const bob = await t.login('bob');
      const dms = await collect(bob, 2, (f) => f.type === 'dm');
      expect(dms.map((d) => d.text)).to.deep.equal(['first while you were out', 'second']);
      expect(dms.every((d) => d.offline === true && d.from.name === 'alice' && d.to === 'bob')).to.equal(true);
      // Delivered once: the next login finds the mailbox empty.
      bob.close();
      const again = await t.login('bob');
      await again.command('//whoami');
      expect(again.frames.filter((f) => f.type === 'dm')).to.deep.equal([]);
    });

    it('a //msg to a user who does not exist is still NO_SUCH_USER', async () => {
      const alice = await t.login('alice');
      expect(await alice.command('//msg nobody hi')).to.include({ type: 'error', code: 'NO_SUCH_USER' });
    });

    it('offline DMs survive a chatd restart', async () => {
      const alice = await t.login('alice');
      await alice.command('//msg carol kept across a restart');
      await t.restart();
      const carol = await t.login('carol');
      const [dm] = await collect(carol, 1, (f) => f.type === 'dm');
      expect(dm).to.include({ text: 'kept across a restart', offline: true });
    });

    it('at most limits.mailboxMax DMs wait; beyond that the sender gets MAILBOX_FULL', async () => {
      const s = await t.start({ limits: { ...FAST, mailboxMax: 3 } });
      const alice = await on(s.address.port, 'alice');
      for (let i = 0; i < 3; i++) expect((await alice.command(`//msg dave n${i}`)).type).to.equal('result');
      const full = await alice.command('//msg dave one too many');
      expect(full).to.include({ type: 'error', code: 'MAILBOX_FULL' });
      expect(full.message).to.match(/dave has 3 messages waiting/);
      const dave = await on(s.address.port, 'dave');
      expect((await collect(dave, 3, (f) => f.type === 'dm')).map((d) => d.text)).to.deep.equal(['n0', 'n1', 'n2']);
      // Read: room again.
      expect((await alice.command('//msg dave now it fits')).type).to.equal('result');
    });

    it('history @user shows the DM conversation both ways, oldest first', async () => {
      const alice = await t.login('alice');
      const bob = await t.login('bob');
      await alice.command('//msg bob ping one');
      await bob.command('//msg alice pong one');
      await alice.command('//msg bob ping two');
      const h = await alice.command('//history @bob 2');
      expect(h).to.include({ type: 'result', command: 'history' });
      expect(h.data.messages.map((d: Frame) => `${d.from.name}:${d.text}`)).to.deep.equal(['bob:pong one', 'alice:ping two']);
      expect(h.text).to.match(/bob -> alice: pong one\n.*alice -> bob: ping two$/);
    });
  });

  describe('the join frame', () => {
    it('replays every message after `since` as history frames and answers like //join', async () => {
      const reader = await t.login('carol');
      const bob = await t.login('bob');
      await reader.command('//join resume1');
      await bob.command('//join resume1');
      const ids: string[] = [];
      for (let i = 0; i < 30; i++) ids.push((await bob.say(`r${i}`, 'resume1')).id);
      const c = await t.login('carol');
      c.send({ type: 'join', room: 'resume1', since: ids[9], id: 'j1' });
      const result = await c.waitFor((f) => f.id === 'j1');
      expect(result).to.deep.include({ type: 'result', command: 'join', data: { room: 'resume1', topic: '' } });
      const replay = messagesOf(c.frames, 'resume1');
      expect(replay.map((m: Frame) => m.text)).to.deep.equal(ids.slice(10).map((_, i) => `r${i + 10}`));
      expect(c.frames.find((f) => f.type === 'history' && f.room === 'resume1')!.truncated).to.equal(undefined);
    });

    it('replays at most limits.resumeMax, the newest, with truncated: true', async () => {
      const s = await t.start({ limits: { ...FAST, resumeMax: 5 } });
      const bob = await on(s.address.port, 'bob');
      const ids: string[] = [];
      for (let i = 0; i < 12; i++) ids.push((await bob.say(`t${i}`)).id);
      const c = await on(s.address.port, 'carol');
      c.send({ type: 'join', room: 'lobby', since: ids[0], id: 'j2' });
      await c.waitFor((f) => f.id === 'j2');
      const h = c.frames.filter((f) => f.type === 'history' && f.room === 'lobby').pop()!;
      expect(h.truncated).to.equal(true);
      expect(h!.messages.map((m: Frame) => m.text)).to.deep.equal(['t7', 't8', 't9', 't10', 't11']);
    });

    it('a reader cut off while 300 messages are said sees all 300 exactly once, in order, after resuming', async () => {
      const proxy = new TcpProxy('127.0.0.1', t.port);
      await proxy.start();
      t.defer(() => proxy.stop());
      const writer = await t.login('bob');
      await writer.command('//join flood300');
      let reader = await TestClient.loggedIn(proxy.port, t.world.certs, 'carol');
      extra.push(reader);
      reader.send({ type: 'join', room: 'flood300', id: 'j0' });
      await reader.waitFor((f) => f.id === 'j0');
      const shown: string[] = [];
      const take = (c: TestClient) => {
        for (const f of c.frames.splice(0)) {
          if (f.type === 'message' && f.room === 'flood300') shown.push(f.text);
          if (f.type === 'history' && f.room === 'flood300') for (const m of f.messages) shown.push(m.text);
        }
      };
      const sent: string[] = [];
      const lastId = () => {
        const all = reader.frames.filter((f) => f.type === 'message' && f.room === 'flood300');
        return all.length ? all[all.length - 1].id : null;
      };
      for (let i = 0; i < 300; i++) {
        sent.push(`m${i}`);
        writer.send({ type: 'say', text: `m${i}`, room: 'flood300', id: `w${i}` });
        if (i === 100) {
          await until(async () => reader.frames.filter((f) => f.type === 'message' && f.room === 'flood300').length >= 50, 10_000, 'half');
          await proxy.cut();
        }
      }
      const since = lastId();
      take(reader);
      await writer.waitFor((f) => f.ack === 'w299', 20_000, 'last ack');
      await proxy.restore();
      reader = await TestClient.loggedIn(proxy.port, t.world.certs, 'carol');
      extra.push(reader);
      reader.send({ type: 'join', room: 'flood300', since, id: 'j1' });
      await reader.waitFor((f) => f.id === 'j1');
      take(reader);
      expect(shown).to.deep.equal(sent);
    });
  });

  describe('exactly-once frames', () => {
    it('a plain line and a //msg whose answers are dropped on the way back run exactly once when resent', async () => {
      const proxy = new TcpProxy('127.0.0.1', t.port);
      await proxy.start();
      t.defer(() => proxy.stop());
      const bob = await t.login('bob');
      await bob.command('//join once');
      const alice = await TestClient.loggedIn(proxy.port, t.world.certs, 'alice');
      extra.push(alice);
      alice.send({ type: 'command', line: 'join once', id: 'j' });
      await alice.waitFor((f) => f.id === 'j');
      proxy.deafen();
      alice.send({ type: 'say', text: 'said once', room: 'once', id: 'line-1' });
      alice.send({ type: 'command', line: 'msg bob dm once', id: 'msg-1' });
      await bob.waitFor((f) => f.type === 'dm' && f.text === 'dm once');
      await proxy.cut();
      const again = await t.login('alice');
      again.send({ type: 'say', text: 'said once', room: 'once', id: 'line-1' });
      again.send({ type: 'command', line: 'msg bob dm once', id: 'msg-1' });
      const ack = await again.waitFor((f) => f.ack === 'line-1');
      const res = await again.waitFor((f) => f.id === 'msg-1');
      expect(ack).to.include({ type: 'message', text: 'said once', room: 'once' });
      expect(res).to.include({ type: 'result', command: 'msg' });
      // Bob's view: one of each. A marker after them shows that nothing more is on the way.
      await again.command('//join once');
      await again.say('marker', 'once');
      await bob.waitFor((f) => f.type === 'message' && f.text === 'marker');
      const seen = bob.frames.filter((f) => f.text === 'said once' || f.text === 'dm once');
      expect(seen.map((f) => f.type)).to.deep.equal(['message']);
      expect(ack.id).to.equal(seen[0].id);
    });

    it('a repeated id gets the original answer again, also for an error', async () => {
      const alice = await t.login('alice');
      alice.send({ type: 'command', line: 'whoami', id: 'w-1' });
      const first = await alice.waitFor((f) => f.id === 'w-1');
      alice.send({ type: 'command', line: 'whoami', id: 'w-1' });
      expect(await alice.waitFor((f) => f.id === 'w-1')).to.deep.equal(first);
      alice.send({ type: 'command', line: 'msg nobody x', id: 'e-1' });
      const err = await alice.waitFor((f) => f.id === 'e-1');
      alice.send({ type: 'command', line: 'msg nobody x', id: 'e-1' });
      expect(await alice.waitFor((f) => f.id === 'e-1')).to.deep.equal(err);
    });

    it('the same id with a different frame is a new frame (a restarted client numbering from 1 again)', async () => {
      const alice = await t.login('alice');
      expect((await alice.say('one')).text).to.equal('one');
      alice.send({ type: 'say', text: 'first text', id: 'n-1' });
      await alice.waitFor((f) => f.ack === 'n-1');
      alice.send({ type: 'say', text: 'other text', id: 'n-1' });
      expect(await alice.waitFor((f) => f.ack === 'n-1')).to.include({ text: 'other text' });
    });
  });

  describe('away', () => {
    it('shows in users and whois; a DM to an away user gets one event away per sender per absence', async () => {
      const alice = await t.login('alice');
      const bob = await t.login('bob');
      const carol = await t.login('carol');
      expect(await alice.command('//away lunch until 2')).to.include({ type: 'result', command: 'away' });
      expect((await bob.command('//whois alice')).text).to.match(/away: lunch until 2/);
      const users = await bob.command('//users');
      expect(users.data.find((u: Frame) => u.name === 'alice').away).to.equal('lunch until 2');
      expect(users.text).to.match(/alice \(away: lunch until 2\)/);
      await bob.command('//msg alice one');
      await bob.command('//msg alice two');
      await carol.command('//msg alice three');
      const bobNotices = bob.frames.filter((f) => f.type === 'event' && f.event === 'away');
      expect(bobNotices).to.have.length(1);
      expect(bobNotices[0]).to.include({ user: 'alice', text: 'lunch until 2' });
      expect(carol.frames.filter((f) => f.type === 'event' && f.event === 'away')).to.have.length(1);
      // Back, then away again: a new absence, a new notice.
      expect((await alice.command('//back')).text).to.equal('welcome back');
      expect((await bob.command('//whois alice')).text).not.to.match(/away/);
      await alice.command('//away');
      bob.frames = [];
      await bob.command('//msg alice four');
      expect(bob.frames.filter((f) => f.type === 'event' && f.event === 'away')).to.have.length(1);
      await alice.command('//back');
    });

    it('a muted user cannot say things through an away message (shown by users and whois, sent to IRC away-notify)', async () => {
      const mod = await t.login('mod');
      const dave = await t.login('dave');
      const bob = await t.login('bob');
      expect(await mod.command('//mute dave 10m')).to.include({ type: 'result' });
      expect(await dave.command('//away buy cheap pills at example.com')).to.include({ type: 'error', code: 'MUTED' });
      expect((await bob.command('//whois dave')).text).not.to.match(/pills/);
      const users = await bob.command('//users');
      expect(users.data.find((u: Frame) => u.name === 'dave').away).to.equal(undefined);
      // Away without words says nothing of one's own; back is always allowed.
      expect(await dave.command('//away')).to.include({ type: 'result', command: 'away' });
      expect(await dave.command('//back')).to.include({ type: 'result', command: 'back' });
      expect(await mod.command('//unmute dave')).to.include({ type: 'result' });
      expect(await dave.command('//away tea')).to.include({ type: 'result', command: 'away' });
      await dave.command('//back');
    });
  });

  describe('color', () => {
    it('refuses the colors of roles above the caller, and a chosen color survives a restart', async () => {
      const alice = await t.login('alice');
      expect(await alice.command('//color yellow')).to.include({ type: 'error', code: 'FORBIDDEN' });
      expect(await alice.command('//color red')).to.include({ type: 'error', code: 'FORBIDDEN' });
      expect(await alice.command('//color chartreuse')).to.include({ type: 'error', code: 'BAD_ARGS' });
      expect(await alice.command('//color green')).to.deep.include({ type: 'result', data: { color: 'green' } });
      // Applied at once: the next message carries it.
      expect((await alice.say('in green')).from.color).to.equal('green');
      // A moderator may take a user's color, not an admin's.
      const mod = await t.login('mod');
      expect((await mod.command('//color cyan')).type).to.equal('result');
      expect(await mod.command('//color red')).to.include({ type: 'error', code: 'FORBIDDEN' });
      await t.restart();
      const again = await TestClient.connect(t.port, t.world.certs, 'alice');
      extra.push(again);
      const ok = await again.login('alice');
      expect(ok.user.color).to.equal('green');
      expect((await again.command('//color reset')).data.color).to.equal('cyan');
      expect((await again.say('plain again')).from.color).to.equal('cyan');
    });

    it('takes the bright colors it lists, in any case, and refuses the bright variant of a staff color', async () => {
      const dave = await t.login('dave');
      const refused = await dave.command('//color chartreuse');
      expect(refused.message).to.include('cyanBright');
      expect(await dave.command('//color CYANBRIGHT')).to.deep.include({ type: 'result', data: { color: 'cyanBright' } });
      expect((await dave.say('bright')).from.color).to.equal('cyanBright');
      // red is the admin's, yellow the moderator's: their bright variants look the same on most terminals.
      expect(await dave.command('//color redBright')).to.include({ type: 'error', code: 'FORBIDDEN' });
      expect(await dave.command('//color yellowbright')).to.include({ type: 'error', code: 'FORBIDDEN' });
      expect((await dave.command('//color reset')).type).to.equal('result');
    });

    it('a user who took a color allowed then (a moderator\'s own) does not keep it once demoted', async () => {
      const ali = await t.login('ali');
      expect((await ali.command('//color yellow')).data.color).to.equal('yellow');
      const boss = await t.login('boss');
      expect((await boss.command('//role ali user')).type).to.equal('result');
      ali.close();
      const again = await TestClient.connect(t.port, t.world.certs, 'ali');
      extra.push(again);
      expect((await again.login('ali')).user).to.include({ role: 'user', color: 'cyan' });
      await boss.command('//role ali moderator'); // as the suite's other tests expect
    });
  });
});

