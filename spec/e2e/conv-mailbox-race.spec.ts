// DESIGN.md "Conversations": at most limits.mailboxMax DMs wait for one offline user; beyond that the
// sender gets MAILBOX_FULL. The count and the insert must be one step: several senders at once (a
// user's sessions, other users, other nodes on one database) each saw room for one more.
import { expect } from 'chai';
import { withChatd } from '../helpers/chatd.js';
import type { Frame } from '../helpers/client.js';

for (const kind of ['sqlite', 'mysql'] as const) {
  describe(`e2e: a full mailbox on ${kind}`, function () {
    this.timeout(60000);
    const t = withChatd({ kind, each: true, config: { limits: { mailboxMax: 3 } } });

    it('takes no more than mailboxMax DMs, however many senders write at once', async () => {
      const senders = [];
      for (const u of ['alice', 'bob', 'carol']) for (let i = 0; i < 4; i++) senders.push(await t.login(u));
      senders.forEach((c, i) => c.send({ type: 'say', text: `//msg dave hello ${i}`, id: `m${i}` }));
      const answers: Frame[] = [];
      for (const [i, c] of senders.entries()) answers.push(await c.waitFor((f) => (f.type === 'result' || f.type === 'error') && f.id === `m${i}`, 15000, `answer ${i}`));
      const taken = answers.filter((a) => a.type === 'result');
      for (const a of answers.filter((x) => x.type === 'error')) expect(a.code, JSON.stringify(a)).to.equal('MAILBOX_FULL');
      expect(await t.world.store.mailboxSize('dave')).to.equal(3);
      expect(taken).to.have.length(3);
    });
  });
}
