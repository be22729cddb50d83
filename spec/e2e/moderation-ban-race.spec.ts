// A ban of a higher level is neither replaced nor lifted by a lower one, also when it is written while
// the lower one's //ban or //unban is on its way to the database: the check is made again in the
// transaction that replaces or lifts. An owner's permanent ban written between a moderator's check and
// write was lifted and replaced by the moderator's ten minutes (two staff acting on the same troll).
import { expect } from 'chai';
import { withChatd } from '../helpers/chatd.js';
import { holdCalls } from '../helpers/wait.js';

for (const kind of ['sqlite', 'mysql'] as const) describe(`e2e: a higher ban written while a lower //ban or //unban runs (${kind})`, function () {
  this.timeout(20_000);
  // On MySQL/MariaDB only with CHATD_TEST_MYSQL: the transaction's read locks the rows there.
  const t = withChatd({ each: true, kind });
  const ownerBan = async () => {
    const bob = await t.world.store.getUser('bob');
    await t.world.store.addBan({ userId: bob!.id, username: 'bob', ip: null, certFingerprint: null, reason: 'perm by owner', by: 'owner', byLevel: 1000, expiresAt: null });
  };
  const active = async () => (await t.world.store.listActiveBans()).map((b) => [b.by, b.expiresAt, b.reason]);

  it('the moderator\'s //ban is refused and the owner\'s permanent ban stays', async () => {
    const mod = await t.login('mod');
    const gate = holdCalls(t.chatd.node.db, 'addBan');
    const ban = mod.command('//ban bob 10m');
    await gate.reached;
    await ownerBan();
    gate.release();
    expect(await ban).to.include({ type: 'error', code: 'FORBIDDEN' });
    expect(await active()).to.deep.equal([['owner', null, 'perm by owner']]);
  });

  it('the moderator\'s //unban is refused and the owner\'s permanent ban stays', async () => {
    const mod = await t.login('mod');
    expect((await mod.command('//ban bob 10m')).type).to.equal('result');
    const gate = holdCalls(t.chatd.node.db, 'liftBans');
    const unban = mod.command('//unban bob');
    await gate.reached;
    await ownerBan();
    gate.release();
    expect(await unban).to.include({ type: 'error', code: 'FORBIDDEN' });
    expect(await active()).to.deep.equal([['owner', null, 'perm by owner']]);
  });
});
