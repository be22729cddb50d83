// A node that runs for months keeps in memory the last messages of every room it heard of (the ring
// of lib/room-history.ts). Per room that was 200 messages, and rooms that fell silent kept theirs for
// good: one user saying long messages in room after room (10,000 rooms by default) made the node hold
// gigabytes. The rings together now stay within limits.recentHistoryBytes, the rooms spoken in least
// recently giving theirs up first.
import { expect } from 'chai';
import { withChatd } from '../helpers/chatd.js';
import type { TestClient } from '../helpers/client.js';
import type { MessageFrame } from '../../lib/protocol/frames.js';

const BUDGET = 64 * 1024;

/** The node's rings of recent messages, as they are now. */
function rings(t: ReturnType<typeof withChatd>): Map<string, MessageFrame[]> {
  return (t.chatd.node as unknown as { roomHistory: { recent: Map<string, MessageFrame[]> } }).roomHistory.recent;
}

async function joinRoom(c: TestClient, room: string): Promise<void> {
  c.send({ type: 'join', room, id: `j-${room}` });
  const r = await c.waitFor((f) => (f.type === 'result' || f.type === 'error') && f.id === `j-${room}`, 8000, `join ${room}`);
  expect(r.type, JSON.stringify(r)).to.equal('result');
}

/** Says `n` messages in `room` at once and waits for the last one's ack. */
async function sayMany(c: TestClient, room: string, n: number, text: string): Promise<void> {
  for (let i = 0; i < n; i++) c.send({ type: 'say', room, text: `${room} ${i} ${text}`, id: `s-${room}-${i}` });
  const last = `s-${room}-${n - 1}`;
  const a = await c.waitFor((f) => (f.type === 'message' && f.ack === last) || (f.type === 'error' && f.id === last), 8000, `ack in ${room}`);
  expect(a.type, JSON.stringify(a)).to.equal('message');
}

describe('e2e: the node\'s memory of recent messages stays bounded', function () {
  this.timeout(60000);
  const t = withChatd({
    each: true,
    config: { limits: { recentHistoryBytes: BUDGET, floodBurst: 10_000, floodRate: 10_000, floodKickCount: 10_000 } },
  });

  it('after 400 long messages in 40 rooms it keeps at most limits.recentHistoryBytes of them, the latest room\'s included', async () => {
    const alice = await t.login('alice');
    const text = 'x'.repeat(1500);
    for (let r = 0; r < 40; r++) {
      const room = `leak${r}`;
      await joinRoom(alice, room);
      await sayMany(alice, room, 10, text);
      alice.send({ type: 'say', text: `//part ${room}`, id: `p-${room}` });
      await alice.waitFor((f) => (f.type === 'result' || f.type === 'error') && f.id === `p-${room}`, 8000, `part ${room}`);
    }
    const held = [...rings(t).values()].flat();
    const textBytes = held.reduce((n, m) => n + m.text.length, 0);
    expect(textBytes, `${held.length} messages in ${rings(t).size} rings`).to.be.at.most(BUDGET);
    // What goes first is what was said longest ago: the room spoken in last is kept whole.
    expect((rings(t).get('leak39') ?? []).map((m) => m.text.split(' ', 2)[1])).to.deep.equal(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(rings(t).has('leak0')).to.equal(false);
  });

  it('a join still gets the room\'s history from the database once its ring is gone', async () => {
    const alice = await t.login('alice');
    await joinRoom(alice, 'first');
    await sayMany(alice, 'first', 3, 'early');
    for (let r = 0; r < 30; r++) await sayMany(alice, 'lobby', 5, `${r} ${'y'.repeat(1500)}`);
    expect(rings(t).has('first')).to.equal(false);
    const bob = await t.login('bob');
    bob.send({ type: 'join', room: 'first', id: 'jb' });
    const h = await bob.waitFor((f) => f.type === 'history' && f.room === 'first', 8000, 'history of first');
    expect(h.messages.map((m: MessageFrame) => m.text)).to.deep.equal(['first 0 early', 'first 1 early', 'first 2 early']);
  });
});
