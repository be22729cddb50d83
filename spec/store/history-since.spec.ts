// The database half of a resuming join (DESIGN "Conversations": every message after `since`). With
// several nodes each writes its own messages in batches, so rows land out of the order they were
// said. historySince went by that landing order (seq): a probe of a cluster saw resumes replay
// messages said before `since`, miss one of its millisecond, and come out of order.
import { expect } from 'chai';
import { openStore, type Store } from '../../lib/store/index.js';
import type { MessageFrame } from '../../lib/protocol/frames.js';
import { dbKinds, freshDb } from '../helpers/world.js';

for (const kind of dbKinds()) {
  describe(`store: historySince on ${kind}`, function () {
    this.timeout(30000);
    let db: { url: string; drop(): Promise<void> };
    let store: Store;
    before(async () => {
      db = await freshDb(kind);
      store = await openStore(db.url);
      await store.migrateLatest();
    });
    after(async () => { await store?.close(); await db?.drop(); });

    const at = (ms: number) => new Date(Date.UTC(2026, 11, 1, 12, 0, 0) + ms).toISOString();
    const msg = (id: string, ms: number): MessageFrame => ({
      type: 'message', id, ts: at(ms), room: 'twonodes', from: { name: 'alice', role: 'user', color: 'cyan' }, text: id, kind: 'say',
    });

    it('is every message after `since` in the order said, whatever order the nodes wrote them in', async () => {
      // Node A's batch lands first, then node C's: C0 and C1 were said before A1, C2 in A1's millisecond.
      const a = [msg('A0', 0), msg('A1', 10), msg('A2', 20)];
      const c = [msg('C0', 1), msg('C1', 5), msg('C2', 10), msg('C3', 30)];
      await store.insertMessages(a.map((frame) => ({ frame, senderId: null })));
      await store.insertMessages(c.map((frame) => ({ frame, senderId: null })));
      const r = await store.historySince('twonodes', 'A1', 100);
      expect(r.found).to.equal(true);
      expect(r.messages.map((m) => m.id)).to.deep.equal(['C2', 'A2', 'C3']);
      expect((await store.historySince('twonodes', 'C2', 100)).messages.map((m) => m.id)).to.deep.equal(['A1', 'A2', 'C3']);
      const last = await store.historySince('twonodes', 'C0', 2);
      expect(last.messages.map((m) => m.id)).to.deep.equal(['A2', 'C3']);
      expect(last.more).to.equal(true);
    });
  });
}
