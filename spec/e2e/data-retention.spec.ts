// Issue 15: limits.retentionDays on SQLite and (with CHATD_TEST_MYSQL) MariaDB: a chatd started on
// a database with old messages deletes exactly those older than the limit, and search forgets them.
import { expect } from 'chai';
import { withChatd } from '../helpers/chatd.js';
import type { MessageFrame } from '../../lib/protocol/frames.js';
import type { Store } from '../../lib/store/index.js';
import { DAY_MS, Retention } from '../../lib/retention.js';
import { Logger } from '../../lib/log.js';

function msg(id: string, ts: number, text = `retained ${id}`): MessageFrame {
  return { type: 'message', id, ts: new Date(ts).toISOString(), room: 'lobby', from: { name: 'alice', role: 'user', color: 'cyan' }, text, kind: 'say' };
}

async function ids(store: Store): Promise<string[]> {
  return (await store.knex('messages').select('id').orderBy('id')).map((r: { id: string }) => r.id);
}

for (const kind of ['sqlite', 'mysql'] as const) {
  describe(`e2e: retention on ${kind}`, function () {
    this.timeout(30000);
    const t = withChatd({ kind, server: false });

    it('keeps everything by default (retentionDays 0)', async () => {
      const store = t.world.store;
      await store.insertMessages([{ senderId: null, frame: msg('ancient', Date.now() - 3650 * DAY_MS) }]);
      const chatd = await t.start();
      expect(await chatd.node.retention.settled()).to.equal(0);
      expect(await ids(store)).to.include('ancient');
      await store.knex('messages').del();
    });

    it('deletes at start exactly the messages older than retentionDays, in batches, and search forgets them', async () => {
      const store = t.world.store;
      const now = Date.now();
      const rows = [];
      for (let i = 0; i < 1200; i++) rows.push({ senderId: null, frame: msg(`old${String(i).padStart(4, '0')}`, now - 8 * DAY_MS - i * 1000, 'forgotten words') });
      rows.push({ senderId: null, frame: msg('day6', now - 6 * DAY_MS) });
      rows.push({ senderId: null, frame: msg('justin', now - 7 * DAY_MS + 60_000) }); // a minute inside the limit
      rows.push({ senderId: null, frame: msg('justout', now - 7 * DAY_MS - 60_000) });
      rows.push({ senderId: null, frame: msg('today', now) });
      for (let i = 0; i < rows.length; i += 500) await store.insertMessages(rows.slice(i, i + 500));
      const chatd = await t.start({ limits: { retentionDays: 7 } });
      // 1,201 rows are due: three batches of 500, a pause between them.
      expect(await chatd.node.retention.settled()).to.equal(1201);
      expect(await ids(store)).to.deep.equal(['day6', 'justin', 'today']);
      expect(await store.searchMessages({ words: ['forgotten'], rooms: ['lobby'], limit: 50 })).to.deep.equal([]);
    });

    it('runs again on its interval, with the limit read at each run (a reload applies)', async () => {
      const store = t.world.store;
      const limits = { retentionDays: 0, dbTimeoutMs: 5000 };
      await store.knex('messages').del();
      const r = new Retention(store, limits, new Logger('silent'), { batch: 2, pauseMs: 0, intervalMs: 60_000 });
      await store.insertMessages([0, 1, 2, 3, 4].map((i) => ({ senderId: null, frame: msg(`again${i}`, Date.now() - 2 * DAY_MS - i) })));
      r.start();
      expect(await r.settled()).to.equal(0);
      limits.retentionDays = 1;
      expect(await r.trigger()).to.equal(5);
      r.stop();
      expect((await ids(store)).filter((id) => id.startsWith('again'))).to.deep.equal([]);
    });

    it('deletes old DMs too, delivered or waiting in a mailbox: not in history @user, not delivered at login', async () => {
      const store = t.world.store;
      const now = Date.now();
      const dm = (id: string, from: string, to: string, ts: number, text: string) => ({
        type: 'dm' as const, id, ts: new Date(ts).toISOString(), from: { name: from, role: 'user', color: 'cyan' }, to, text,
      });
      await store.addDm(dm('dm-old-read', 'alice', 'bob', now - 9 * DAY_MS, 'old and read'), true);
      await store.addDm(dm('dm-old-waiting', 'alice', 'carol', now - 8 * DAY_MS, 'old and waiting'), false);
      await store.addDm(dm('dm-new-read', 'alice', 'bob', now - 6 * DAY_MS, 'recent and read'), true);
      await store.addDm(dm('dm-new-waiting', 'alice', 'carol', now - 60_000, 'recent and waiting'), false);
      const chatd = await t.start({ limits: { retentionDays: 7 } });
      await chatd.node.retention.settled();
      expect((await store.knex('dms').select('id').orderBy('id')).map((r: { id: string }) => r.id)).to.deep.equal(['dm-new-read', 'dm-new-waiting']);

      const { TestClient } = await import('../helpers/client.js');
      const carol = await TestClient.loggedIn(chatd.address.port, t.world.certs, 'carol');
      const bob = await TestClient.loggedIn(chatd.address.port, t.world.certs, 'bob');
      try {
        const waiting = await carol.waitFor((f) => f.type === 'dm' && f.offline === true, 5000, 'mailbox dm');
        expect(waiting.text).to.equal('recent and waiting');
        const h = await bob.command('//history @alice 50');
        expect(h.data.messages.map((d: { text: string }) => d.text)).to.deep.equal(['recent and read']);
        expect(carol.frames.filter((f) => f.type === 'dm')).to.deep.equal([]);
      } finally {
        carol.close();
        bob.close();
      }
    });
  });
}
