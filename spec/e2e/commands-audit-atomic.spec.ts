// A moderation command's change and its audit row are one transaction: the database refusing either
// write (a trigger here, a hiccup in life) leaves neither, and nothing of the change is felt. Before,
// a ban or mute stayed in force with no audit row when the audit insert failed (DESIGN: every
// moderation action goes to audit_log), and a //role whose role write failed left an audit row
// claiming a change that never happened, and was there to be read (by nodes following //role
// through the log) before the role was stored.
import { expect } from 'chai';
import { withChatd } from '../helpers/chatd.js';
import { ADMIN_ACTOR } from '../../lib/auth/policy.js';
import { refuseAudit, refuseRoleChanges } from '../helpers/db-faults.js';
import { holdCalls, until } from '../helpers/wait.js';
import { auditLog, dbKinds } from '../helpers/world.js';

for (const kind of dbKinds()) {
  describe(`e2e: moderation and its audit row are one unit (${kind})`, function () {
    this.timeout(30_000);
    // Polls often: a ban left in the database would reach bob's session within the test.
    const t = withChatd({ kind, each: true, config: { limits: { databasePollMs: 100 } } });
    const refusing = async (p: Promise<() => Promise<void>>) => t.defer(await p);
    const userId = async (name: string) => (await t.world.store.getUser(name))!.id;
    /** Waits until the node's ban poll has answered `n` more times. */
    const banPolls = async (n: number) => {
      const store = t.chatd.node.store;
      const real = store.listActiveBans.bind(store);
      let seen = 0;
      store.listActiveBans = async (...a) => { const r = await real(...a); seen++; return r; };
      await until(async () => seen >= n, 5000, `${n} ban polls`);
    };
    const audited = async (action: string, target: string) => (await auditLog(t.world.store)).filter((a) => a.action === action && a.target === target);

    it('//ban whose audit row cannot be written bans nobody: no ban stored, the target stays', async () => {
      const mod = await t.login('mod');
      const bob = await t.login('bob');
      const drop = await refuseAudit(t.world.store, 'ban');
      t.defer(drop);
      expect(await mod.command('//ban bob 10m spam')).to.include({ type: 'error', code: 'SERVICE_UNAVAILABLE' });
      expect(await t.world.store.activeBansOf(await userId('bob'))).to.deep.equal([]);
      // Two ban polls later bob still speaks: no ban was left for them to find.
      await banPolls(2);
      expect(await bob.say('still here')).to.include({ type: 'message' });
      expect(bob.frames.filter((f) => f.type === 'bye' || (f.type === 'event' && f.event === 'ban'))).to.deep.equal([]);
      // Once the audit row can be written, the same command bans, with its row.
      await drop();
      expect(await mod.command('//ban bob 10m spam')).to.include({ type: 'result' });
      await bob.waitFor((f) => f.type === 'bye' && f.code === 'BANNED');
      expect((await audited('ban', 'bob')).map((a) => a.detail)).to.deep.equal(['10m spam']);
    });

    it('//unban whose audit row cannot be written lifts nothing', async () => {
      const mod = await t.login('mod');
      expect(await mod.command('//ban bob 10m')).to.include({ type: 'result' });
      await refusing(refuseAudit(t.world.store, 'unban'));
      expect(await mod.command('//unban bob')).to.include({ type: 'error', code: 'SERVICE_UNAVAILABLE' });
      expect((await t.world.store.activeBansOf(await userId('bob'))).map((b) => b.by)).to.deep.equal(['mod']);
      expect(await audited('unban', 'bob')).to.deep.equal([]);
    });

    it('//mute whose audit row cannot be written mutes nobody, on this node either', async () => {
      const mod = await t.login('mod');
      const bob = await t.login('bob');
      await refusing(refuseAudit(t.world.store, 'mute'));
      expect(await mod.command('//mute bob 10m')).to.include({ type: 'error', code: 'SERVICE_UNAVAILABLE' });
      expect(await t.world.store.activeMuteOf(await userId('bob'))).to.equal(null);
      expect(await bob.say('not muted')).to.include({ type: 'message' });
      expect(bob.frames.filter((f) => f.type === 'event' && f.event === 'mute')).to.deep.equal([]);
    });

    it('//unmute whose audit row cannot be written leaves the mute', async () => {
      const mod = await t.login('mod');
      const bob = await t.login('bob');
      expect(await mod.command('//mute bob 10m')).to.include({ type: 'result' });
      await refusing(refuseAudit(t.world.store, 'unmute'));
      expect(await mod.command('//unmute bob')).to.include({ type: 'error', code: 'SERVICE_UNAVAILABLE' });
      expect(await t.world.store.activeMuteOf(await userId('bob'))).to.include({ by: 'mod' });
      expect(await bob.say('muted still')).to.include({ type: 'error', code: 'MUTED' });
    });

    it('//role whose role write fails leaves no audit row claiming it', async () => {
      const boss = await t.login('boss');
      await refusing(refuseRoleChanges(t.world.store));
      expect(await boss.command('//role bob moderator')).to.include({ type: 'error', code: 'SERVICE_UNAVAILABLE' });
      expect((await t.world.store.getUser('bob'))!.role).to.equal('user');
      expect(await audited('role', 'bob')).to.deep.equal([]);
    });

    it('//role in progress: a node following the audit log finds its row only with the new role stored', async () => {
      const boss = await t.login('boss');
      // The command is held where it stores the role; the log is read then as another node's poll would.
      const held = holdCalls(t.chatd.node.store, 'setUserRole');
      const answer = boss.command('//role bob moderator');
      await held.reached;
      const poll = () => t.world.store.auditAfter(0, ADMIN_ACTOR, ['role']);
      expect(await poll(), 'no row before the role is stored').to.deep.equal([]);
      held.release();
      expect(await answer).to.include({ type: 'result' });
      expect((await poll()).map((e) => [e.target, e.detail])).to.deep.equal([['bob', 'user -> moderator']]);
      expect((await t.world.store.getUser('bob'))!.role).to.equal('moderator');
    });

    it('//role whose audit row cannot be written changes no role', async () => {
      const boss = await t.login('boss');
      const bob = await t.login('bob');
      await refusing(refuseAudit(t.world.store, 'role'));
      expect(await boss.command('//role bob moderator')).to.include({ type: 'error', code: 'SERVICE_UNAVAILABLE' });
      expect((await t.world.store.getUser('bob'))!.role).to.equal('user');
      expect((await bob.command('//whoami')).data).to.include({ role: 'user' });
    });
  });
}
