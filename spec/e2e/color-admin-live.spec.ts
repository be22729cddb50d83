// DESIGN.md "Conversations": nobody may look like staff. chat-admin changes roles in the database
// only, and running nodes apply them to live sessions (lib/pollers.ts): a name color of one's own
// that a role above has just been given must go there too, not only at the next login
// (lib/name-color.ts).
import { expect } from 'chai';
import { ADMIN_ACTOR } from '../../lib/auth/policy.js';
import { withChatd } from '../helpers/chatd.js';
import { until } from '../helpers/wait.js';

describe('e2e: own name colors after chat-admin role set, live', function () {
  this.timeout(20000);
  const t = withChatd({ config: { limits: { databasePollMs: 20 } }, each: true });

  const sessionOf = (name: string) => [...t.chatd.node.sessions].find((s) => s.user?.name === name);

  it('a user whose own color becomes a staff role\'s color through chat-admin role set loses it at once', async () => {
    const alice = await t.login('alice');
    expect((await alice.command('//color green')).type).to.equal('result');
    await t.login('mod'); // a moderator online: the recolor shows on their session first
    const bob = await t.login('bob');
    await t.world.store.updateRole('moderator', { color: 'green' });
    await t.world.store.audit({ actor: ADMIN_ACTOR, action: 'role.set', target: 'moderator', detail: '{"color":"green"}' });
    await until(async () => sessionOf('mod')?.user?.color === 'green', 5000, 'the recolor applied');
    await alice.say('am I staff now?');
    const m = await bob.waitFor((f) => f.type === 'message' && f.text === 'am I staff now?');
    expect(m.from).to.include({ name: 'alice', role: 'user', color: 'cyan' });
  });
});
