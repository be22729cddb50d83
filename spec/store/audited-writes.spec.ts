// The Store's audited writes (withAudit): a ban, unban, mute, unmute, role change, disabled account
// or role edit and its audit row are one transaction. The database refusing either (a trigger here)
// leaves neither; an unban of nobody writes no row.
import { expect } from 'chai';
import type { AuditEntry, Store } from '../../lib/store/index.js';
import { refuseAudit, refuseRoleChanges } from '../helpers/db-faults.js';
import { auditLog, dbKinds, makeWorld, type World } from '../helpers/world.js';

for (const kind of dbKinds()) {
  describe(`store: audited writes on ${kind}`, function () {
    this.timeout(30_000);
    let world: World;
    let store: Store;
    let bob: number;
    beforeEach(async () => {
      world = await makeWorld(kind, { bob: { password: 'x', role: 'user' } });
      store = world.store;
      bob = (await store.getUser('bob'))!.id;
    });
    afterEach(async () => { await world?.drop(); });

    const entry = (action: string): AuditEntry => ({ actor: 'mod', action, target: 'bob', detail: 'spec' });
    const rows = async () => (await auditLog(store)).map((a) => a.action);
    const ban = () => ({ userId: bob, username: 'bob', ip: null, certFingerprint: null, reason: 'r', by: 'mod', byLevel: 50, expiresAt: null });
    /** Runs `write` while the audit of `action` is refused: it must reject, and `unchanged` must still hold. */
    async function refused(action: string, write: () => Promise<unknown>, unchanged: () => Promise<void>) {
      const drop = await refuseAudit(store, action);
      try {
        const before = await rows();
        let failed = false;
        await write().catch(() => { failed = true; });
        expect(failed, `${action} rejects`).to.equal(true);
        expect(await rows(), `${action}: no row`).to.deep.equal(before);
        await unchanged();
      } finally { await drop(); }
    }

    it('a refused audit row leaves no ban, unban, mute or unmute', async () => {
      await refused('ban', () => store.addBan(ban(), entry('ban')), async () => {
        expect(await store.activeBansOf(bob)).to.deep.equal([]);
      });
      await store.addBan(ban(), entry('ban'));
      await refused('unban', () => store.liftBans(bob, 'mod', entry('unban')), async () => {
        expect(await store.activeBansOf(bob)).to.have.length(1);
      });
      await refused('mute', () => store.setMute({ userId: bob, username: 'bob', until: null, by: 'mod' }, entry('mute')), async () => {
        expect(await store.activeMuteOf(bob)).to.equal(null);
      });
      await store.setMute({ userId: bob, username: 'bob', until: null, by: 'mod' }, entry('mute'));
      await refused('unmute', () => store.liftMute(bob, entry('unmute')), async () => {
        expect(await store.activeMuteOf(bob)).to.include({ by: 'mod' });
      });
      expect(await rows()).to.deep.equal(['mute', 'ban']);
    });

    it('a refused audit row leaves no role change, disabled account or role edit', async () => {
      await refused('user.role', () => store.setUserRole(bob, 'moderator', entry('user.role')), async () => {
        expect((await store.getUser('bob'))!.role).to.equal('user');
      });
      await refused('user.disable', () => store.setDisabled(bob, true, entry('user.disable')), async () => {
        expect((await store.getUser('bob'))!.disabled).to.equal(false);
      });
      await refused('role.set', () => store.updateRole('moderator', { level: 60 }, entry('role.set')), async () => {
        expect(await store.getRole('moderator')).to.include({ level: 50 });
      });
    });

    it('a refused write leaves no audit row', async () => {
      const drop = await refuseRoleChanges(store);
      try {
        let failed = false;
        await store.setUserRole(bob, 'moderator', entry('role')).catch(() => { failed = true; });
        expect(failed).to.equal(true);
        expect(await rows()).to.deep.equal([]);
      } finally { await drop(); }
    });

    it('writes the row with the change; none for an unban of nobody or an edit of no role', async () => {
      expect(await store.liftBans(bob, 'mod', entry('unban'))).to.equal(0);
      expect(await store.updateRole('nosuchrole', { level: 7 }, entry('role.set'))).to.equal(false);
      expect(await rows()).to.deep.equal([]);
      await store.addBan(ban(), entry('ban'));
      expect(await store.liftBans(bob, 'mod', entry('unban'))).to.equal(1);
      await store.setUserRole(bob, 'moderator', entry('user.role'));
      expect(await rows()).to.deep.equal(['user.role', 'unban', 'ban']);
      expect((await store.getUser('bob'))!.role).to.equal('moderator');
    });
  });
}
