// Messages on the bus channel that no chatd published: malformed (wrong types, missing fields), with
// escape sequences in their texts, or huge. Redis is trusted with authority (SECURITY.md), not with
// being well-formed: no such message may crash a node, stop the messages after it, or put unsanitized
// text on a JSON, text-mode or IRC screen. Two real nodes on one database and one Redis.
// Runs only when CHATD_TEST_REDIS is set (MariaDB too when CHATD_TEST_MYSQL is set, else SQLite).
import { expect } from 'chai';
import crypto from 'node:crypto';
import type { Chatd } from '../../lib/app.js';
import { withChatd } from '../helpers/chatd.js';
import { TestClient } from '../helpers/client.js';
import { RawIrc } from '../helpers/irc.js';
import { busUrl, dropPrefix, withRedis } from '../helpers/redis.js';

const REDIS = process.env.CHATD_TEST_REDIS;
const ESC = '\x1b[2J\x1b]0;owned\x07\x9b31m';

(REDIS ? describe : describe.skip)('e2e: hostile messages published on the Redis bus channel', function () {
  this.timeout(30_000);
  const t = withChatd({ kind: process.env.CHATD_TEST_MYSQL ? 'mysql' : 'sqlite', server: false, logLevel: 'warn' });
  let prefix: string;
  const open: Array<{ close(): void }> = [];
  beforeEach(() => { prefix = `spec-hostile-${crypto.randomBytes(4).toString('hex')}:`; });
  afterEach(async () => {
    for (const c of open.splice(0)) c.close();
    await dropPrefix(REDIS!, prefix);
  });
  const node = (name: string): Promise<Chatd> => t.start({ bus: busUrl(REDIS!, prefix), nodeName: name, ircPort: 0, limits: { presenceTtlMs: 2000 } });
  const publish = (...msgs: unknown[]) => withRedis(REDIS!, async (r) => { for (const m of msgs) await r.publish(`${prefix}bus`, typeof m === 'string' ? m : JSON.stringify(m)); });
  const track = <T extends { close(): void }>(c: T): T => { open.push(c); return c; };

  /** alice (JSON) on node b, carol (IRC) and bob (text mode) on node a, all in #lobby. */
  async function members() {
    const [a, b] = [await node('ha'), await node('hb')];
    const carol = track(await RawIrc.registered(a.ircAddress!.port, t.world.certs, 'carol'));
    const bob = track(await TestClient.connect(a.address.port, t.world.certs, 'bob', { alpn: false }));
    await bob.textLogin('bob');
    const alice = track(await TestClient.loggedIn(b.address.port, t.world.certs, 'alice'));
    await carol.line(/:alice!alice@chatd JOIN #lobby$/, 5000);
    return { a, b, alice, bob, carol };
  }

  it('a presence event with a reason that is not a string crashes no node, and the room goes on', async () => {
    const { alice, carol } = await members();
    const ts = new Date().toISOString();
    // Held by the IRC member's node for its presence batch; rendering it for IRC threw (reason.trim),
    // from the batch's timer (an uncaught exception: the process exits) or before the next message.
    await publish({ t: 'room', room: 'lobby', frame: { type: 'event', event: 'quit', room: 'lobby', user: 'zed', reason: 5, ts } });
    alice.send({ type: 'say', text: 'after the bad event' });
    await carol.line(/:alice!alice@chatd PRIVMSG #lobby :after the bad event$/, 5000);
    expect(carol.lines.filter((l) => / QUIT /.test(l))).to.deep.equal([]);
    expect(t.logs.some((l) => /bad bus message ignored/.test(l) && /reason is not a string/.test(l))).to.equal(true);
  });

  it('escape sequences in a published message, event or DM reach no screen; the text is sanitized', async () => {
    const { alice, bob, carol } = await members();
    const ts = new Date().toISOString();
    const from = { name: 'eve', role: 'user', color: 'red' };
    await publish(
      { t: 'room', room: 'lobby', frame: { type: 'message', id: 'h1', ts, room: 'lobby', from, text: `hello${ESC} there`, kind: 'say' } },
      { t: 'room', room: 'lobby', frame: { type: 'event', event: 'topic', room: 'lobby', by: 'eve', topic: `new${ESC} topic`, ts } },
      { t: 'dm', to: 'alice', from: 'eve', frame: { type: 'dm', id: 'h2', ts, from, to: 'alice', text: `psst${ESC} alice` } },
      { t: 'dm', to: 'carol', from: 'eve', frame: { type: 'dm', id: 'h3', ts, from, to: 'carol', text: `psst${ESC} carol` } },
    );
    alice.send({ type: 'say', text: 'barrier' });
    await carol.line(/PRIVMSG #lobby :barrier$/, 5000);
    await bob.waitText(/alice: barrier/, 5000);
    await alice.waitFor((f) => f.type === 'message' && f.text === 'barrier', 5000, 'barrier');

    const said = alice.frames.find((f) => f.type === 'message' && f.id === 'h1');
    expect(said?.text).to.equal('hello there');
    expect(alice.frames.find((f) => f.type === 'event' && f.event === 'topic')?.topic).to.equal('new topic');
    expect(alice.frames.find((f) => f.type === 'dm')?.text).to.equal('psst alice');
    expect(carol.lines).to.include(':eve!eve@chatd PRIVMSG #lobby :hello there');
    expect(carol.lines).to.include(':eve!eve@chatd TOPIC #lobby :new topic');
    expect(carol.lines).to.include(':eve!eve@chatd PRIVMSG carol :psst carol');
    for (const seen of [JSON.stringify(alice.frames), carol.lines.join('\n'), bob.text]) {
      expect(seen).to.not.match(/\x1b|\\u001b|\x07|\\u0007|\x9b|\\u009b/);
    }
  });

  it('what a chatd may publish passes: a role without a color, a long node name', async () => {
    const { alice, carol } = await members();
    const node = 'n'.repeat(100);
    await publish({
      t: 'room', room: 'lobby', origin: { node, session: `${node}-1`, ack: 'x' },
      frame: { type: 'message', id: 'ok1', ts: new Date().toISOString(), room: 'lobby', from: { name: 'eve', role: '', color: '' }, text: 'plain', kind: 'say' },
    });
    expect((await alice.waitFor((f) => f.type === 'message' && f.id === 'ok1', 5000, 'the message')).from).to.deep.equal({ name: 'eve', role: '', color: '' });
    await carol.line(/:eve!eve@chatd PRIVMSG #lobby :plain$/, 5000);
  });

  it('a corrupt presence value in Redis: its bad entries are skipped, users, connections and whois still answer', async () => {
    const [a] = [await node('ha'), await node('hb')];
    const mod = track(await TestClient.loggedIn(a.address.port, t.world.certs, 'mod'));
    const now = Date.now();
    const entry = { id: 'zz-1', user: 'ghost', role: 'user', level: 1, color: 'red', rooms: ['lobby'], remote: '10.0.0.9', node: 'zz', since: now, lastActive: now, tls: 'TLSv1.3', fingerprint: null, mode: 'json', bytesIn: 0, bytesOut: 0 };
    await withRedis(REDIS!, async (r) => {
      await r.set(`${prefix}presence:zz`, JSON.stringify([
        null, 5, { ...entry, id: 'zz-2', rooms: 'lobby' }, { ...entry, id: 'zz-3', user: `eve${ESC}` },
        { ...entry, id: 'zz-4', user: 'eve', remote: `1.2.3.4${ESC}` }, entry,
      ]), 'PX', 10_000);
      await r.zadd(`${prefix}nodes`, now + 10_000, 'zz');
    });
    const users = await mod.command('//users');
    expect(users.type, JSON.stringify(users)).to.equal('result');
    expect(users.data.map((u: { name: string }) => u.name).sort()).to.deep.equal(['eve', 'ghost', 'mod']);
    const conns = await mod.command('//connections');
    expect(conns.type, JSON.stringify(conns)).to.equal('result');
    const zz = conns.data.filter((p: { node: string }) => p.node === 'zz');
    expect(zz.map((p: { id: string }) => p.id).sort()).to.deep.equal(['zz-1', 'zz-4']);
    expect(zz.find((p: { id: string }) => p.id === 'zz-4').remote).to.equal('1.2.3.4');
    expect(JSON.stringify([users, conns])).to.not.match(/\\u001b|\\u0007|\\u009b/);
    expect((await mod.command('//whois alice')).text).to.include('offline');
  });

  it('malformed, mistyped and huge messages are logged and dropped whole; nothing of them is delivered', async () => {
    const { a, b, alice, carol } = await members();
    const logged = t.logs.length;
    const ts = new Date().toISOString();
    const from = { name: 'eve', role: 'user', color: 'red' };
    await publish(
      'not json', 'null', '[1,2]',
      { t: 'room', room: 'lobby', frame: null },
      { t: 'room', room: 'lobby', frame: { type: 'message', id: 'm1', ts, room: 'lobby', text: 'no sender', kind: 'say' } },
      { t: 'room', room: 'lobby', frame: { type: 'message', id: 'm2', ts, room: 'lobby', from, text: 'x'.repeat(100_000), kind: 'say' } },
      { t: 'room', room: 'lobby', frame: { type: 'bye', code: 'SHUTDOWN', reason: 'fake' } },
      { t: 'topic', room: 'lobby', topic: { not: 'text' } },
      { t: 'mute', user: 'alice', until: 'soon' },
      { t: 'kill', user: 'carol', code: 'SHUTDOWN', reason: 5 },
      { t: 'away', user: 'alice', message: 7, since: 'x' },
      { t: 'user', user: 'alice', role: 'admin', level: '1000', color: 'red' },
      { t: 'nope' },
    );
    alice.send({ type: 'say', text: 'barrier' });
    await carol.line(/PRIVMSG #lobby :barrier$/, 5000);
    await alice.waitFor((f) => f.type === 'message' && f.text === 'barrier', 5000, 'barrier');
    expect(alice.frames.filter((f) => f.type === 'message' || f.type === 'bye')).to.deep.equal([]);
    expect(carol.lines.filter((l) => / (PRIVMSG|ERROR|TOPIC) /.test(l) || /^ERROR /.test(l))).to.deep.equal([]);
    // Nothing of them stuck: alice may still speak, her level is hers, //topic answers.
    expect((await alice.say('still me')).type).to.equal('message');
    expect((await alice.command('//whoami')).data).to.include({ role: 'user' });
    expect((await alice.command('//topic')).type).to.equal('result');
    for (const n of [a, b]) expect(n.node.busStatus()).to.equal('ok');
    expect(t.logs.slice(logged).filter((l) => /bad bus message ignored/.test(l)).length).to.equal(2 * 13);
  });
});
