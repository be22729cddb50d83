// Performance II batching, end to end: a session's frames written together under load
// (limits.writeCoalesceMs/writeCoalesceAbove), join/part/quit events held per room
// (limits.presenceBatchMs), history rows written in batches (limits.historyFlushMs). None of it may
// change what a client sees: every frame, in order; history and search see a message at once.
import { expect } from 'chai';
import { withChatd } from '../helpers/chatd.js';
import type { TestClient } from '../helpers/client.js';

/** Says `n` messages from `c` about every `gapMs` without waiting for acks (a person typing fast, not a benchmark). */
function sayPaced(c: TestClient, n: number, gapMs: number, tag: string): Promise<void> {
  return new Promise((resolve) => {
    let i = 0;
    const next = () => {
      c.send({ type: 'say', text: `${tag} ${i}`, id: `${tag}-${i}` });
      if (++i < n) setTimeout(next, gapMs); else resolve();
    };
    next();
  });
}

/** Every frame `c` received so far, consumed by a waitFor or not. */
function received(c: TestClient): Array<Record<string, any>> {
  return c.text.split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

/** Counts the TLS reads (data events) of `c` until `done` resolves. */
async function readsDuring(c: TestClient, done: Promise<unknown>): Promise<number> {
  let reads = 0;
  const count = () => { reads++; };
  c.sock.on('data', count);
  try { await done; } finally { c.sock.off('data', count); }
  return reads;
}

async function pacedReads(t: ReturnType<typeof withChatd>, limits: Record<string, number>, tag: string): Promise<number> {
  const s = await t.start({ limits });
  const port = s.address.port;
  const { TestClient } = await import('../helpers/client.js');
  const alice = await TestClient.loggedIn(port, t.world.certs, 'alice');
  const bob = await TestClient.loggedIn(port, t.world.certs, 'bob');
  try {
    const all = bob.waitText(new RegExp(`"${tag} 19"`), 8000);
    const reads = readsDuring(bob, all);
    await sayPaced(alice, 20, 10, tag);
    const n = await reads;
    const got = received(bob).filter((f) => f.type === 'message' && String(f.text).startsWith(`${tag} `)).map((f) => f.text);
    expect(got).to.deep.equal(Array.from({ length: 20 }, (_, i) => `${tag} ${i}`)); // all, once, in order
    return n;
  } finally {
    alice.close();
    bob.close();
  }
}

describe('e2e: output batching', function () {
  this.timeout(30000);
  const t = withChatd();

  it('under load a session gets the frames of many messages in few writes, all of them, in order', async () => {
    // writeCoalesceAbove 0: every node counts as busy, so writes wait up to writeCoalesceMs.
    const held = await pacedReads(t, { writeCoalesceAbove: 0, writeCoalesceMs: 400 }, 'held');
    // The control: the same messages written as they come, one write (and read) each.
    const direct = await pacedReads(t, { writeCoalesceAbove: 0, writeCoalesceMs: 0 }, 'direct');
    expect(held, `reads with coalescing (${held}) vs without (${direct})`).to.be.at.most(4);
    expect(direct).to.be.at.least(10);
  });

  it('history and search show a message at once, though rows are written in batches', async () => {
    const s = await t.start({ limits: { historyFlushMs: 60_000 } });
    const { TestClient } = await import('../helpers/client.js');
    const alice = await TestClient.loggedIn(s.address.port, t.world.certs, 'alice');
    try {
      await alice.say('zebra42 crossing the road');
      expect(s.node.history.pending).to.equal(1); // not written yet: the window is a minute
      const h = await alice.command('//history 5');
      const shown = alice.frames.filter((f) => f.type === 'history' && f.messages?.some((m: any) => m.text === 'zebra42 crossing the road'));
      expect(h.type, JSON.stringify(h)).to.equal('result');
      expect(shown.length).to.be.at.least(1);
      const bob = await TestClient.loggedIn(s.address.port, t.world.certs, 'bob'); // the join history
      const joinHistory = bob.frames.find((f) => f.type === 'history' && f.room === 'lobby');
      expect(joinHistory?.messages.map((m: any) => m.text)).to.include('zebra42 crossing the road');
      bob.close();
      const found = await alice.command('//search zebra42');
      expect(found.data?.count, JSON.stringify(found)).to.equal(1);
      expect(s.node.history.pending).to.equal(0); // search wrote what was pending first
    } finally {
      alice.close();
    }
  });

  it('a member gets a newcomer\'s join before its first message, and held events before the bye at shutdown', async () => {
    const s = await t.start({ limits: { presenceBatchMs: 60_000 } });
    const { TestClient } = await import('../helpers/client.js');
    const alice = await TestClient.loggedIn(s.address.port, t.world.certs, 'alice');
    const bob = await TestClient.loggedIn(s.address.port, t.world.certs, 'bob');
    // bob's own join came at once, after the history.
    const own = received(bob).filter((f) => f.type === 'history' || (f.type === 'event' && f.event === 'join')).map((f) => f.type === 'history' ? 'history' : `join ${f.user}`);
    expect(own).to.deep.equal(['history', 'join bob']);
    await bob.say('hi all');
    await alice.waitFor((f) => f.type === 'message' && f.text === 'hi all');
    const seen = received(alice).filter((f) => (f.type === 'event' && f.user === 'bob') || f.type === 'message').map((f) => f.type === 'message' ? f.text : f.event);
    expect(seen).to.deep.equal(['join', 'hi all']);
    // carol's join is held (a minute); stopping the server sends it before the bye.
    const carol = await TestClient.loggedIn(s.address.port, t.world.certs, 'carol');
    await bob.say('sync');
    await alice.waitText(/"sync"/);
    const carolJoin = () => received(alice).some((f) => f.type === 'event' && f.event === 'join' && f.user === 'carol');
    expect(carolJoin()).to.equal(true); // a message to the room delivered it first
    const dave = await TestClient.loggedIn(s.address.port, t.world.certs, 'dave');
    expect(received(alice).some((f) => f.type === 'event' && f.user === 'dave')).to.equal(false);
    await s.stop();
    await alice.waitText(/"type":"bye"/);
    const tail = received(alice).filter((f) => (f.type === 'event' && f.user === 'dave') || f.type === 'bye').map((f) => f.type);
    expect(tail).to.deep.equal(['event', 'bye']);
    for (const c of [alice, bob, carol, dave]) c.close();
  });
});
