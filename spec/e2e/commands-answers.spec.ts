// Answers stay bounded: rooms per user and in total are capped, and users/rooms/history answers fit
// a budget well below the send queue, with a note or a next page, so the caller stays connected.
import { expect } from 'chai';
import type { Chatd } from '../../lib/app.js';
import { TestClient, type Frame } from '../helpers/client.js';
import { withChatd } from '../helpers/chatd.js';

const fast = { floodBurst: 2000, floodRate: 2000, floodKickCount: 100000 };

/** Sends many command frames at once and waits for every answer. */
async function commands(c: TestClient, lines: string[]): Promise<Frame[]> {
  const tag = Math.random().toString(36).slice(2);
  lines.forEach((line, i) => c.send({ type: 'command', line, id: `${tag}-${i}` }));
  const out: Frame[] = [];
  for (let i = 0; i < lines.length; i++) out.push(await c.waitFor((f) => (f.type === 'result' || f.type === 'error') && f.id === `${tag}-${i}`, 15000, `answer ${i}`));
  return out;
}

const pad = (s: string, n = 32) => (s + '-' + 'x'.repeat(n)).slice(0, n);

/** A paged command's first page: an answer well under the send queue, and how many rows follow it. */
async function firstPage(c: TestClient, command: string): Promise<{ r: Frame; more: number }> {
  const r = await c.command(`//${command}`);
  expect(r.type, JSON.stringify(r).slice(0, 300)).to.equal('result');
  expect(Buffer.byteLength(JSON.stringify(r))).to.be.below(1024 * 1024 / 2);
  const m = new RegExp(`… and (\\d+) more; //${command} 2 shows the next page`).exec(r.text);
  expect(m, r.text.slice(-300)).to.not.equal(null);
  return { r, more: Number(m![1]) };
}

describe('e2e: bounded answers', function () {
  this.timeout(60000);
  // A fresh world for every test, filled before its chatd starts (stopped by the fixture).
  const srv = withChatd({ each: true, server: false });
  let chatd: Chatd;
  const clients: TestClient[] = [];
  const login = async (u: string) => { const c = await TestClient.loggedIn(chatd.address.port, srv.world.certs, u); clients.push(c); return c; };
  afterEach(() => { for (const c of clients.splice(0)) c.close(); });

  it('a user in many rooms: rooms per user are capped and //users stays within the answer budget', async () => {
    chatd = await srv.start({ limits: { ...fast, sendqBytes: 16384, maxRoomsPerUser: 100 } });
    const users = [await login('alice'), await login('bob'), await login('carol')];
    for (const [k, c] of users.entries()) {
      // lobby + 99 more is the cap; the 101st room is refused with a clear error.
      // In batches: a small send queue is the point here, and 100 pipelined joins would fill it.
      const rs: Frame[] = [];
      for (let b = 0; b < 100; b += 10) rs.push(...await commands(c, Array.from({ length: 10 }, (_, i) => `join ${pad(`u${k}r${b + i}`)}`)));
      expect(rs.slice(0, 99).every((r) => r.type === 'result'), JSON.stringify(rs.find((r) => r.type !== 'result'))).to.equal(true);
      expect(rs[99]).to.include({ type: 'error', code: 'FORBIDDEN' });
      expect(rs[99].message).to.match(/100 rooms/);
    }
    const dave = await login('dave');
    const u = await dave.command('//users');
    expect(u.type, JSON.stringify(u).slice(0, 300)).to.equal('result');
    expect(JSON.stringify(u).length).to.be.below(16384 / 2);
    expect(u.text).to.match(/^alice\s+user\s+#/m);
    expect(u.text).to.match(/\+\d+ more/);
    expect(dave.closed).to.equal(false);
  });

  it('rooms in total are capped', async () => {
    chatd = await srv.start({ limits: { ...fast, maxRooms: 10 } });
    const alice = await login('alice');
    const rs = await commands(alice, Array.from({ length: 10 }, (_, i) => `join r${i}`));
    // lobby and 9 more exist now; the 10th new room is one too many.
    expect(rs.slice(0, 9).every((r) => r.type === 'result')).to.equal(true);
    expect(rs[9]).to.include({ type: 'error', code: 'FORBIDDEN' });
    expect(rs[9].message).to.match(/10 rooms/);
    // Joining a room that exists is still fine.
    const bob = await login('bob');
    expect((await bob.command('//join r3')).type).to.equal('result');
  });

  it('many rooms: //rooms answers one page at a time', async () => {
    const rows = Array.from({ length: 2000 }, (_, i) => ({ name: pad(`room${i}`), topic: 'a long topic '.repeat(50), created_at: Date.now() }));
    for (let i = 0; i < rows.length; i += 200) await srv.world.store.knex('rooms').insert(rows.slice(i, i + 200));
    chatd = await srv.start({ limits: fast });
    const alice = await login('alice');
    const { r, more } = await firstPage(alice, 'rooms');
    expect(r.data.length + more).to.equal(2001);
    const p2 = await alice.command('//rooms 2');
    expect(p2.type).to.equal('result');
    expect(p2.data[0].room).to.not.equal(r.data[0].room);
    expect(alice.closed).to.equal(false);
  });

  it('many bans: //banned-users answers one page at a time', async () => {
    const now = Date.now();
    const bans = Array.from({ length: 3000 }, (_, i) => ({ ip: `10.0.${i >> 8}.${i & 255}`, reason: 'r'.repeat(300), by: 'owner', created_at: now }));
    for (let i = 0; i < bans.length; i += 200) await srv.world.store.knex('bans').insert(bans.slice(i, i + 200));
    chatd = await srv.start({ limits: fast });
    const mod = await login('mod');
    const { r, more } = await firstPage(mod, 'banned-users');
    expect(r.data.length + more).to.equal(3000);
    expect((await mod.command('//banned-users 2')).type).to.equal('result');
    expect(mod.closed).to.equal(false);
  });

  it('//history 200 of 200 messages of 2,000 emoji: what fits, with a note', async () => {
    const text = '😀'.repeat(2000);
    const t0 = Date.now() - 10_000;
    await srv.world.store.insertMessages(Array.from({ length: 200 }, (_, i) => ({
      senderId: null,
      frame: { type: 'message' as const, id: `h${i}`, ts: new Date(t0 + i).toISOString(), room: 'lobby', from: { name: 'bob', role: 'user', color: 'cyan' }, text, kind: 'say' as const },
    })));
    chatd = await srv.start({ limits: fast });
    const alice = await login('alice');
    await alice.waitFor((f) => f.type === 'history', 5000, 'history on login');
    const r = await alice.command('//history 200');
    expect(r.type, JSON.stringify(r).slice(0, 300)).to.equal('result');
    const h = await alice.waitFor((f) => f.type === 'history');
    expect(h.messages.length).to.be.above(0).and.below(200);
    // The newest ones, in order.
    expect(h.messages[h.messages.length - 1].id).to.equal('h199');
    expect(r.text).to.match(/of 200/);
    expect(r.data).to.include({ count: h.messages.length, truncated: true });
    expect(alice.closed).to.equal(false);
  });
});
