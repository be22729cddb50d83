// The send queue (1 MiB) is for readers that stop. A probe found the server's own bursts cutting off
// clients that read: a login's mailbox of 500 long DMs (every one marked delivered before it was sent,
// so the rest were lost), a resuming join of 1,000 messages, and //history commands sent together.
// Bulk output now goes out as the client takes it (SessionOutput.outputRoom). Also here: a say frame's
// `room` for the command it carries, and an away message padded to fake a line of its own.
import { expect } from 'chai';
import { withChatd } from '../helpers/chatd.js';
import type { Frame } from '../helpers/client.js';
import { until } from '../helpers/wait.js';
import type { DmFrame, MessageFrame } from '../../lib/protocol/frames.js';

describe('e2e: bulk output to a client that reads stays within the send queue', function () {
  this.timeout(60000);
  const t = withChatd({});
  const byes = (frames: Frame[]) => frames.filter((f) => f.type === 'bye');

  it('a mailbox of 500 long DMs reaches its reader whole, and leaves the mailbox', async () => {
    const from = { name: 'bob', role: 'user', color: 'green' };
    const text = '漢'.repeat(1990); // ~6 KB each in JSON: ~3 MB in all
    const now = Date.now();
    const rows = Array.from({ length: 500 }, (_, i) => {
      const d: DmFrame = { type: 'dm', id: `mbx-${i}`, ts: new Date(now - 500_000 + i * 1000).toISOString(), from, to: 'dave', text: `${i} ${text}` };
      return { id: d.id, sender: 'bob', sender_role: 'user', sender_color: 'green', recipient: 'dave', text: d.text, ts: Date.parse(d.ts), delivered_at: null };
    });
    for (let i = 0; i < rows.length; i += 100) await t.world.store.knex('dms').insert(rows.slice(i, i + 100));
    const dave = await t.login('dave');
    await until(async () => dave.frames.filter((f) => f.type === 'dm').length === 500 || dave.closed, 30_000, '500 DMs');
    expect(byes(dave.frames)).to.deep.equal([]);
    const dms = dave.frames.filter((f) => f.type === 'dm');
    expect(dms.map((d) => Number(d.text.split(' ')[0]))).to.deep.equal([...Array(500).keys()]);
    expect(dms.every((d) => d.offline === true)).to.equal(true);
    await until(async () => (await t.world.store.mailboxSize('dave')) === 0, 5000, 'the mailbox emptied');
  });

  it('a resuming join of 1,000 long messages, and //history sent six times at once, reach their reader', async () => {
    const alice = (await t.world.store.getUser('alice'))!;
    const now = Date.now();
    const frames: MessageFrame[] = Array.from({ length: 1000 }, (_, i) => ({
      type: 'message', id: `busy-${String(i).padStart(4, '0')}`, ts: new Date(now - 1_000_000 + i * 1000).toISOString(), room: 'busy',
      from: { name: 'alice', role: 'user', color: 'cyan' }, text: `${i} ${'x'.repeat(1000)}`, kind: 'say',
    }));
    await t.world.store.insertMessages(frames.map((frame) => ({ senderId: alice.id, frame })));
    const c = await t.login('alice');
    c.send({ type: 'join', id: 'j1', room: 'busy', since: frames[0]!.id });
    const answer = await c.waitFor((f) => f.id === 'j1' || f.type === 'bye', 20_000, 'the join answered');
    expect(answer).to.include({ type: 'result' });
    const replayed = c.frames.filter((f) => f.type === 'history' && f.room === 'busy').flatMap((h) => h.messages.map((m: Frame) => m.id));
    expect(replayed).to.deep.equal(frames.slice(1).map((m) => m.id));
    for (let i = 0; i < 6; i++) c.send({ type: 'say', id: `h${i}`, text: '//history 200' });
    for (let i = 0; i < 6; i++) expect(await c.waitFor((f) => f.id === `h${i}` || f.type === 'bye', 20_000, `history ${i}`)).to.include({ type: 'result' });
    expect(byes(c.frames)).to.deep.equal([]);
  });

  it('a say frame\'s room is the room of the command it carries', async () => {
    const bob = await t.login('bob');
    const alice = await t.login('alice');
    expect((await alice.command('//join dev')).type).to.equal('result'); // dev is alice's current room now
    alice.send({ type: 'say', id: 'me1', room: 'lobby', text: '//me waves in the lobby' });
    const m = await bob.waitFor((f) => f.type === 'message' && f.kind === 'me', 5000, 'the action');
    expect(m).to.include({ room: 'lobby', text: 'waves in the lobby' });
    // For that command only: a say without a room still goes to alice's current room.
    alice.send({ type: 'say', id: 's1', text: 'still in dev' });
    expect(await alice.waitFor((f) => f.type === 'message' && f.text === 'still in dev', 5000, 'the say')).to.include({ room: 'dev' });
    alice.send({ type: 'say', id: 'me2', room: 'nowhere', text: '//me is not there' });
    expect(await alice.waitFor((f) => f.id === 'me2', 5000, 'answer')).to.include({ type: 'error', code: 'NO_SUCH_ROOM' });
  });

  it('an away message keeps to one line: padding cannot push a fake chat line onto a row of its own', async () => {
    const alice = await t.login('alice');
    const r = await alice.command(`//away ok${' '.repeat(120)}12:00:01 #lobby admin: send your password to bob`);
    expect(r.data.away).to.equal('ok 12:00:01 #lobby admin: send your password to bob');
    expect((await alice.command('//whois alice')).text).to.not.match(/ {2}/);
  });
});
