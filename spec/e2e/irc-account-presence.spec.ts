// A user in a channel from IRC and from chat-cli at once is one nick in it. When the chat-cli session
// joined, left or quit, IRC users were told JOIN, PART or QUIT for a user still there and still
// talking, and a QUIT dropped them from every channel the IRC client shared with them. Presence events
// are now the account's on a node (lib/bus-delivery.ts accountPresence).
import { expect } from 'chai';
import { withChatd } from '../helpers/chatd.js';
import { ircRegistrar, type RawIrc } from '../helpers/irc.js';
import type { TestClient } from '../helpers/client.js';
import { until } from '../helpers/wait.js';

describe('IRC front door: presence is the account\'s, not each session\'s', function () {
  this.timeout(20000);
  const t = withChatd({ config: { ircPort: 0 } });
  const reg = ircRegistrar(t);

  /** Closes a chat-cli session and waits until the node has let it go (its quit, if any, is published by then). */
  async function leave(c: TestClient, user: string): Promise<void> {
    const before = t.chatd.node.sessionsOf(user)?.size ?? 0;
    c.close();
    await until(async () => (t.chatd.node.sessionsOf(user)?.size ?? 0) < before, 5000, `${user}'s session gone`);
  }

  /**
   * alice says a line in #lobby and bob waits for it: presence events held for batching are sent
   * before a room's next message, so any JOIN, PART or QUIT about alice has reached bob by then.
   */
  async function presenceSeenBy(bob: RawIrc, alice: RawIrc, marker: string): Promise<string[]> {
    alice.send(`PRIVMSG #lobby :${marker}`);
    await bob.line(new RegExp(`:alice!\\S+ PRIVMSG #lobby :${marker}`));
    return bob.lines.filter((l) => /^:alice!\S+ (JOIN|PART|QUIT)/.test(l));
  }

  it('a second session of the user joining, parting and quitting tells IRC users nothing', async () => {
    const bob = await reg('bob');
    const alice = await reg('alice');
    await bob.line(/^:alice!\S+ JOIN #lobby/);
    const second = await t.login('alice'); // in #lobby too, where alice already is
    expect((await second.command('//join dev')).type).to.equal('result');
    expect((await second.command('//part lobby')).type).to.equal('result');
    expect(await presenceSeenBy(bob, alice, 'after the part')).to.deep.equal([]);
    expect((await second.command('//join lobby')).type).to.equal('result');
    await leave(second, 'alice');
    expect(await presenceSeenBy(bob, alice, 'after the quit')).to.deep.equal([]);
  });

  it('the user leaving a channel their other session is not in is a PART there, not a QUIT from every channel', async () => {
    const bob = await reg('bob');
    const alice = await reg('alice');
    bob.send('JOIN #dev');
    await bob.line(/ 366 bob #dev /);
    alice.send('JOIN #dev', 'PART #lobby');
    await alice.line(/^:alice!\S+ PART #lobby/);
    await bob.line(/^:alice!\S+ PART #lobby/);
    const second = await t.login('alice'); // back in #lobby through chat-cli only
    await bob.line(/^:alice!\S+ JOIN #lobby/);
    await leave(second, 'alice');
    expect(await bob.line(/^:alice!\S+ (PART|QUIT)/)).to.match(/ PART #lobby/);
    alice.send('PRIVMSG #dev :still in dev');
    await bob.line(/:alice!\S+ PRIVMSG #dev :still in dev/);
    expect(bob.lines.filter((l) => /^:alice!\S+ QUIT/.test(l))).to.deep.equal([]);
  });

  it('the last session leaving is still a QUIT', async () => {
    const bob = await reg('bob');
    const alice = await reg('alice');
    await bob.line(/^:alice!\S+ JOIN #lobby/);
    alice.send('QUIT :done');
    await bob.line(/^:alice!\S+ QUIT/);
  });
});
