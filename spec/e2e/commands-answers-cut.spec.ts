// //search and //history @user cut long answers to the answer budget too (lib/commands/budget.ts
// `fitting`): the newest that fit are shown, with truncated: true, and the caller stays connected.
import { expect } from 'chai';
import type { Chatd } from '../../lib/app.js';
import { TestClient } from '../helpers/client.js';
import { withChatd } from '../helpers/chatd.js';

const LONG = '😀'.repeat(1990);

describe('e2e: search and DM history answers fit the budget', function () {
  this.timeout(60000);
  const srv = withChatd({ each: true, server: false });
  let chatd: Chatd;
  const clients: TestClient[] = [];
  const login = async (u: string) => { const c = await TestClient.loggedIn(chatd.address.port, srv.world.certs, u); clients.push(c); return c; };
  afterEach(() => { for (const c of clients.splice(0)) c.close(); });

  it('//search 50 long matches: the newest that fit, newest first, with a note', async () => {
    const t0 = Date.now() - 10_000;
    await srv.world.store.insertMessages(Array.from({ length: 50 }, (_, i) => ({
      senderId: null,
      frame: { type: 'message' as const, id: `s${i}`, ts: new Date(t0 + i).toISOString(), room: 'lobby', from: { name: 'bob', role: 'user', color: 'cyan' }, text: `needle ${LONG}`, kind: 'say' as const },
    })));
    chatd = await srv.start();
    const alice = await login('alice');
    await alice.waitFor((f) => f.type === 'history', 5000, 'history on login');
    const r = await alice.command('//search needle 50');
    expect(r.type, JSON.stringify(r).slice(0, 300)).to.equal('result');
    const h = await alice.waitFor((f) => f.type === 'history' && f.search === true);
    expect(h.messages.length).to.be.above(0).and.below(50);
    expect(h.messages[0].id).to.equal('s49');
    expect(r.data).to.include({ count: 50, shown: h.messages.length, truncated: true });
    expect(alice.closed).to.equal(false);
  });

  it('//history @bob 200 of 200 long DMs: the newest that fit, oldest first, with a note', async () => {
    const t0 = Date.now() - 10_000;
    for (let i = 0; i < 200; i++) {
      await srv.world.store.addDm({ type: 'dm', id: `d${i}`, ts: new Date(t0 + i).toISOString(), from: { name: 'bob', role: 'user', color: 'cyan' }, to: 'alice', text: LONG }, true);
    }
    chatd = await srv.start();
    const alice = await login('alice');
    const r = await alice.command('//history @bob 200');
    expect(r.type, JSON.stringify(r).slice(0, 300)).to.equal('result');
    const ids = r.data.messages.map((d: { id: string }) => d.id);
    expect(ids.length).to.be.above(0).and.below(200);
    expect(ids[ids.length - 1]).to.equal('d199');
    expect(r.data).to.include({ count: ids.length, truncated: true });
    expect(alice.closed).to.equal(false);
  });
});
