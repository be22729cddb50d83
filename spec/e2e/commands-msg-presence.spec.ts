// //msg runs per message: a recipient with a session on this node is found without fetching the
// presence of every session in the cluster; one elsewhere (or nowhere) still is looked up.
import { expect } from 'chai';
import { withChatd } from '../helpers/chatd.js';

describe('e2e: //msg and presence', function () {
  this.timeout(30000);
  const t = withChatd();

  it('a DM to a user on this node asks the bus for no presence; one to an offline user does', async () => {
    const alice = await t.login('alice');
    const bob = await t.login('bob');
    const bus = t.chatd.bus;
    const original = bus.presence.bind(bus);
    let calls = 0;
    bus.presence = () => { calls++; return original(); };
    try {
      expect(await alice.command('//msg bob hello')).to.include({ type: 'result' });
      await bob.waitFor((f) => f.type === 'dm' && f.text === 'hello');
      expect(calls).to.equal(0);
      expect((await alice.command('//msg carol later')).data).to.include({ offline: true });
      expect(calls).to.equal(1);
    } finally {
      bus.presence = original;
    }
  });
});
