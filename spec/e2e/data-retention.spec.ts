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
  });
}
