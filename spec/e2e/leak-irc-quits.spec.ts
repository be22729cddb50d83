// An IRC session tells a user's quit once, not once per shared room, by remembering for 5 s who it
// told. It forgot them only when 1,000 had piled up: in a lobby with the day's comings and goings every
// long-lived IRC session came to hold a thousand names and times (~50 KiB, as much again as the
// session's TLS), for quits it had no more use for after 5 s. Now only the last 5 s are kept.
import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import { withChatd } from '../helpers/chatd.js';
import { IrcClient } from '../helpers/irc.js';

describe('e2e: an IRC session forgets the quits it has told', function () {
  this.timeout(30000);
  const t = withChatd({ each: true, config: { ircPort: 0 } });

  it('a quit older than 5 s is no longer remembered once the next one is told', async () => {
    const irc = IrcClient.connect(t.chatd.ircAddress!.port, t.world.certs, 'alice');
    t.defer(() => irc.close());
    await irc.ready();
    const session = [...t.chatd.node.sessions].find((s) => s.mode === 'irc')! as unknown as { quits: Map<string, number> };
    const comeAndGo = async (user: string) => {
      const c = await t.login(user);
      await irc.line(new RegExp(`^(@\\S+ )?:${user}!\\S+ JOIN #lobby`));
      c.close();
      await irc.line(new RegExp(`^(@\\S+ )?:${user}!\\S+ QUIT`));
    };
    await comeAndGo('bob');
    await comeAndGo('carol');
    expect([...session.quits.keys()].sort()).to.deep.equal(['bob', 'carol']);
    // The quits are 5 s old only once 5 s have passed: the wait is the condition, not a synchronization.
    await sleep(5100);
    await comeAndGo('dave');
    expect([...session.quits.keys()]).to.deep.equal(['dave']);
  });
});
