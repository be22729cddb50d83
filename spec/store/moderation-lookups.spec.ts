// The per-user ban and mute lookups //ban, //unban, //mute and //unmute check the setter's level
// with: only that user's records, only active ones, and on SQLite from an index.
import { expect } from 'chai';
import { openStore, SQL, Store } from '../../lib/store/index.js';
import { dbKinds, freshDb } from '../helpers/world.js';

for (const kind of dbKinds()) {
  describe(`per-user ban and mute lookups on ${kind}`, function () {
    let db: { url: string; drop(): Promise<void> };
    let store: Store;
    let bob: number;
    let eve: number;

    before(async () => {
      db = await freshDb(kind);
      store = await openStore(db.url);
      await store.migrateLatest();
      await store.createUser({ username: 'bob', passwordHash: 'h', role: 'user' });
      await store.createUser({ username: 'eve', passwordHash: 'h', role: 'user' });
      bob = (await store.getUser('bob'))!.id;
      eve = (await store.getUser('eve'))!.id;
    });
    after(async () => {
      await store?.close();
      await db?.drop();
    });

    it('activeBansOf: the active bans of that user only', async () => {
      const now = Date.now();
      const ban = (userId: number, username: string, by: string, expiresAt: number | null) =>
        store.addBan({ userId, username, ip: null, certFingerprint: null, reason: '', by, byLevel: 50, expiresAt });
      await ban(eve, 'eve', 'mod', null);
      await ban(bob, 'bob', 'old', now - 1000); // expired
      expect(await store.activeBansOf(bob)).to.deep.equal([]);
      await ban(bob, 'bob', 'owner', null);
      expect((await store.activeBansOf(bob)).map((b) => [b.username, b.by, b.byLevel])).to.deep.equal([['bob', 'owner', 50]]);
      await store.liftBans(bob, 'owner');
      expect(await store.activeBansOf(bob)).to.deep.equal([]);
      expect((await store.activeBansOf(eve)).map((b) => b.by)).to.deep.equal(['mod']);
    });

    it('activeMuteOf: that user\'s mute while it lasts', async () => {
      const now = Date.now();
      await store.setMute({ userId: eve, username: 'eve', until: null, by: 'mod', byLevel: 50 });
      expect(await store.activeMuteOf(bob)).to.equal(null);
      await store.setMute({ userId: bob, username: 'bob', until: now - 1000, by: 'mod', byLevel: 50 });
      expect(await store.activeMuteOf(bob)).to.equal(null);
      await store.setMute({ userId: bob, username: 'bob', until: null, by: 'owner', byLevel: 1000 });
      expect(await store.activeMuteOf(bob)).to.deep.equal({ userId: bob, username: 'bob', until: null, by: 'owner', byLevel: 1000 });
      await store.liftMute(bob);
      expect(await store.activeMuteOf(bob)).to.equal(null);
      expect((await store.activeMuteOf(eve))?.by).to.equal('mod');
    });

    if (kind === 'sqlite') {
      it('finds a user\'s bans from an index', async () => {
        const plan = (await store.knex.raw(`explain query plan ${SQL.userBans}`, [1, 1]) as Array<{ detail: string }>).map((r) => r.detail).join(' | ');
        expect(plan).to.not.match(/^SCAN|\| SCAN/);
      });
    }
  });
}
