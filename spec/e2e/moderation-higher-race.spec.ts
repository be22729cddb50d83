// A ban or mute of a higher level is neither replaced nor lifted by a lower one, also when it is
// written while the lower one's //ban, //unban, //mute or //unmute is on its way to the database: the
// check is made again in the transaction that replaces or lifts. An owner's permanent ban written
// between a moderator's check and write was lifted and replaced by the moderator's ten minutes (two
// staff acting on the same troll); the same held for mutes.
import { expect } from 'chai';
import { withChatd } from '../helpers/chatd.js';
import { holdCalls } from '../helpers/wait.js';
import type { Store } from '../../lib/store/index.js';

type Case = { line: string; first?: string; held: 'addBan' | 'liftBans' | 'setMute' | 'liftMute'; what: 'ban' | 'mute' };
const CASES: Case[] = [
  { line: '//ban bob 10m', held: 'addBan', what: 'ban' },
  { line: '//unban bob', first: '//ban bob 10m', held: 'liftBans', what: 'ban' },
  { line: '//mute bob 10m', held: 'setMute', what: 'mute' },
  { line: '//unmute bob', first: '//mute bob 10m', held: 'liftMute', what: 'mute' },
];

/** The owner's permanent ban or mute on bob, written behind the moderator's command. */
async function ownerSets(store: Store, what: 'ban' | 'mute'): Promise<void> {
  const bob = (await store.getUser('bob'))!;
  if (what === 'ban') await store.addBan({ userId: bob.id, username: 'bob', ip: null, certFingerprint: null, reason: 'perm by owner', by: 'owner', byLevel: 1000, expiresAt: null });
  else await store.setMute({ userId: bob.id, username: 'bob', until: null, by: 'owner', byLevel: 1000 });
}

/** What is in force on bob afterwards. */
async function inForce(store: Store, what: 'ban' | 'mute'): Promise<unknown[]> {
  return what === 'ban'
    ? (await store.listActiveBans()).map((b) => [b.by, b.expiresAt, b.reason])
    : (await store.activeMutes()).map((m) => [m.username, m.by, m.until]);
}

const OWNERS = { ban: [['owner', null, 'perm by owner']], mute: [['bob', 'owner', null]] };

for (const kind of ['sqlite', 'mysql'] as const) describe(`e2e: a higher ban or mute written while a lower moderator's command runs (${kind})`, function () {
  this.timeout(20_000);
  // On MySQL/MariaDB only with CHATD_TEST_MYSQL: the transaction's read locks the rows there.
  const t = withChatd({ each: true, kind });

  for (const c of CASES) {
    it(`the moderator's ${c.line.split(' ')[0]} is refused and the owner's permanent ${c.what} stays`, async () => {
      const mod = await t.login('mod');
      if (c.first) expect((await mod.command(c.first)).type).to.equal('result');
      const gate = holdCalls(t.chatd.node.db, c.held);
      const answer = mod.command(c.line);
      await gate.reached;
      await ownerSets(t.world.store, c.what);
      gate.release();
      expect(await answer).to.include({ type: 'error', code: 'FORBIDDEN' });
      expect(await inForce(t.world.store, c.what)).to.deep.equal(OWNERS[c.what]);
    });
  }
});
