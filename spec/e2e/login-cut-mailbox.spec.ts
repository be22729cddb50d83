// A connection cut while its login is being answered (between login_ok and the mailbox) must not take
// the offline DMs with it: they were marked delivered and sent to a closed session, and the next
// login found the mailbox empty (DESIGN "Conversations": delivered at their next login).
import { expect } from 'chai';
import { withChatd } from '../helpers/chatd.js';
import { until } from '../helpers/wait.js';

describe('offline DMs and a connection cut during its login', function () {
  this.timeout(30000);
  const srv = withChatd();

  it('stay in the mailbox when the session is gone before they are handed to it', async () => {
    const alice = await srv.login('alice');
    expect((await alice.command('//msg bob waiting for you')).data.offline).to.equal(true);

    const node = srv.chatd.node;
    let open!: () => void;
    const gate = new Promise<void>((r) => { open = r; });
    const recent = node.recentHistory.bind(node);
    const attach = node.attach.bind(node);
    let attached: Promise<void> | undefined;
    // The join's history read (part of answering the login) waits until bob's connection is gone.
    node.recentHistory = async (...a) => { await gate; return recent(...a); };
    node.attach = (...a) => (attached = attach(...a));
    try {
      const bob = await srv.connect('bob');
      expect((await bob.login('bob')).type).to.equal('login_ok');
      bob.close();
      await until(async () => ![...node.sessions].some((s) => s.user?.name === 'bob'), 5000, "bob's session closed");
      open();
      await attached;
    } finally {
      open();
      node.recentHistory = recent;
      node.attach = attach;
    }

    const again = await srv.connect('bob');
    expect((await again.login('bob')).type).to.equal('login_ok');
    const dm = await again.waitFor((f) => f.type === 'dm', 5000, 'the offline DM');
    expect(dm).to.include({ text: 'waiting for you', offline: true });
  });
});
