// chat-admin's changes and their audit rows are one transaction, as chatd's commands are: running
// nodes learn of a role change, a disabled account or a role edit only through its audit row
// (lib/pollers.ts), and every ban belongs in the log. Before, chat-admin stored the change and then
// audited it: a failed audit insert left a ban, a new role or a disabled account in force that no
// node followed and the log never showed.
import { expect } from 'chai';
import { runBin } from '../helpers/bin.js';
import { withChatd } from '../helpers/chatd.js';
import { refuseAudit } from '../helpers/db-faults.js';
import { auditLog, dbKinds } from '../helpers/world.js';

for (const kind of dbKinds()) {
  describe(`chat-admin: a change and its audit row are one unit (${kind})`, function () {
    this.timeout(30_000);
    const t = withChatd({ kind, server: false, each: true });
    const admin = (...args: string[]) => runBin('chat-admin', [...args, '--db', t.world.db]);
    const bobId = async () => (await t.world.store.getUser('bob'))!.id;

    /** Runs chat-admin while the audit of `action` is refused: it must fail, leaving no row of it. */
    async function refused(action: string, ...args: string[]): Promise<void> {
      t.defer(await refuseAudit(t.world.store, action));
      const r = await admin(...args);
      expect(r.code, r.out).to.equal(1);
      expect(r.err).to.match(/^chat-admin: .*refused/);
      expect((await auditLog(t.world.store)).filter((a) => a.action === action)).to.deep.equal([]);
    }

    it('ban add: no ban without its row', async () => {
      await refused('ban', 'ban', 'add', 'bob', '--reason', 'spam');
      expect(await t.world.store.activeBansOf(await bobId())).to.deep.equal([]);
    });

    it('ban remove: the ban stays without the row of its lifting', async () => {
      expect((await admin('ban', 'add', 'bob')).code).to.equal(0);
      await refused('unban', 'ban', 'remove', 'bob');
      expect(await t.world.store.activeBansOf(await bobId())).to.have.length(1);
    });

    it('user role, user disable, role set: nothing changes without the row nodes follow', async () => {
      await refused('user.role', 'user', 'role', 'bob', 'moderator');
      expect((await t.world.store.getUser('bob'))!.role).to.equal('user');
      await refused('user.disable', 'user', 'disable', 'bob');
      expect((await t.world.store.getUser('bob'))!.disabled).to.equal(false);
      await refused('role.set', 'role', 'set', 'moderator', '--level', '60');
      expect(await t.world.store.getRole('moderator')).to.include({ level: 50 });
    });
  });
}
