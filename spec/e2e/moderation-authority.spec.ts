// A moderation command acts with the authority its caller has when it writes, not the one it had when
// it was typed: a demotion (a //role heard on the bus, or chat-admin's, which nodes poll up to
// limits.databasePollMs later) or the target's promotion that lands while the command awaits the
// database must stop it. A demoted moderator's //ban went through with the old level stored as the
// ban's setter level.
import { expect } from 'chai';
import { withChatd } from '../helpers/chatd.js';
import { holdCalls } from '../helpers/wait.js';

describe('e2e: moderation with the authority of the moment it writes', function () {
  this.timeout(20_000);
  // No database poll in the test's time: chat-admin's role change is known to the database alone.
  const t = withChatd({ each: true, config: { limits: { databasePollMs: 600_000 } } });

  it('a moderator demoted by //role while their //ban awaits the database bans nobody', async () => {
    const owner = await t.login('owner');
    const mod = await t.login('mod');
    const bob = await t.login('bob');
    const gate = holdCalls(t.chatd.node.db, 'activeBansOf');
    const ban = mod.command('//ban bob 10m');
    await gate.reached;
    expect(await owner.command('//role mod user')).to.include({ type: 'result' });
    await mod.waitFor((f) => f.type === 'event' && f.event === 'role' && f.user === 'mod');
    gate.release();
    expect(await ban).to.include({ type: 'error', code: 'FORBIDDEN' });
    expect(await t.world.store.listActiveBans()).to.deep.equal([]);
    expect((await bob.command('//whoami')).type).to.equal('result');
  });

  it('a moderator demoted by chat-admin (not polled yet) can neither ban, kick, mute nor unmute', async () => {
    const mod = await t.login('mod');
    const bob = await t.login('bob');
    const owner = await t.login('owner');
    expect((await owner.command('//mute carol 10m')).type).to.equal('result');
    const u = await t.world.store.getUser('mod');
    await t.world.store.setUserRole(u!.id, 'user', { actor: 'chat-admin', action: 'role', target: 'mod', detail: 'moderator -> user' });
    for (const line of ['//ban bob 10m', '//kick bob', '//mute bob', '//unmute carol']) {
      expect(await mod.command(line), line).to.include({ type: 'error', code: 'FORBIDDEN' });
    }
    expect(await t.world.store.listActiveBans()).to.deep.equal([]);
    expect((await t.world.store.activeMutes()).map((m) => m.username)).to.deep.equal(['carol']);
    expect(bob.closed).to.equal(false);
  });

  it('a target promoted to the moderator\'s level while the //mute awaits the database is not muted', async () => {
    const owner = await t.login('owner');
    const mod = await t.login('mod');
    await t.login('bob');
    const gate = holdCalls(t.chatd.node.db, 'activeMuteOf');
    const mute = mod.command('//mute bob 10m');
    await gate.reached;
    expect(await owner.command('//role bob moderator')).to.include({ type: 'result' });
    gate.release();
    expect(await mute).to.include({ type: 'error', code: 'FORBIDDEN' });
    expect(await t.world.store.activeMutes()).to.deep.equal([]);
  });

  it('a moderator still in office acts, and the ban stores their level', async () => {
    const mod = await t.login('mod');
    await t.login('bob');
    expect(await mod.command('//ban bob 10m')).to.include({ type: 'result' });
    expect((await t.world.store.listActiveBans()).map((b) => [b.by, b.byLevel])).to.deep.equal([['mod', 50]]);
  });
});
