// As for bans (moderation-ban-race.spec.ts): a mute of a higher level written while a lower //mute or
// //unmute is on its way to the database is neither replaced nor lifted. An owner's permanent mute
// written between a moderator's check and write became the moderator's ten minutes, or was lifted.
import { expect } from 'chai';
import { withChatd } from '../helpers/chatd.js';
import { holdCalls } from '../helpers/wait.js';

for (const kind of ['sqlite', 'mysql'] as const) describe(`e2e: a higher mute written while a lower //mute or //unmute runs (${kind})`, function () {
  this.timeout(20_000);
  const t = withChatd({ each: true, kind });
  const ownerMute = async () => {
    const bob = await t.world.store.getUser('bob');
    await t.world.store.setMute({ userId: bob!.id, username: 'bob', until: null, by: 'owner', byLevel: 1000 });
  };
  const active = async () => (await t.world.store.activeMutes()).map((m) => [m.username, m.by, m.until]);

  it('the moderator\'s //mute is refused and the owner\'s permanent mute stays', async () => {
    const mod = await t.login('mod');
    const gate = holdCalls(t.chatd.node.db, 'setMute');
    const mute = mod.command('//mute bob 10m');
    await gate.reached;
    await ownerMute();
    gate.release();
    expect(await mute).to.include({ type: 'error', code: 'FORBIDDEN' });
    expect(await active()).to.deep.equal([['bob', 'owner', null]]);
  });

  it('the moderator\'s //unmute is refused and the owner\'s permanent mute stays', async () => {
    const mod = await t.login('mod');
    expect((await mod.command('//mute bob 10m')).type).to.equal('result');
    const gate = holdCalls(t.chatd.node.db, 'liftMute');
    const unmute = mod.command('//unmute bob');
    await gate.reached;
    await ownerMute();
    gate.release();
    expect(await unmute).to.include({ type: 'error', code: 'FORBIDDEN' });
    expect(await active()).to.deep.equal([['bob', 'owner', null]]);
  });
});
