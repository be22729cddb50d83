// IRC KICK names a channel: the kicker must be on it (442 ERR_NOTONCHANNEL), it must be a channel
// (403), and the one kicked must be on it (441 ERR_USERNOTINCHANNEL) when this node can see where
// they are. A KICK naming any channel at all, one the kicker was not on or one that did not exist,
// disconnected the target from the whole server, and IRC clients showed the kick in #lobby.
import { expect } from 'chai';
import { withChatd } from '../helpers/chatd.js';
import { ircRegistrar } from '../helpers/irc.js';

describe('IRC front door: KICK and its channel', function () {
  this.timeout(20000);
  const t = withChatd({ config: { ircPort: 0 } });
  const reg = ircRegistrar(t);

  it('a KICK from a channel the kicker is not on, or no channel, kicks nobody', async () => {
    const mod = await reg('mod');
    const bob = await t.login('bob');
    expect((await bob.command('//join side')).type).to.equal('result');
    mod.send('KICK #side bob :off topic', 'KICK nochannel bob :x', 'KICK #!! bob :x', 'PING :after');
    await mod.line(/ 442 mod #side :/);
    await mod.line(/ 403 mod nochannel :/);
    await mod.line(/ 403 mod #!! :/);
    await mod.line(/PONG chatd :after/);
    expect(bob.closed).to.equal(false);
    expect((await bob.command('//whoami')).type).to.equal('result');
    expect(bob.frames.filter((f) => f.type === 'event' && f.event === 'kick')).to.deep.equal([]);
  });

  it('a KICK of someone online but not on that channel is 441; one on it is kicked', async () => {
    const mod = await reg('mod');
    const carol = await t.login('carol');
    mod.send('JOIN #ops');
    await mod.line(/ 366 mod #ops /);
    mod.send('KICK #ops carol :not here', 'PING :after');
    await mod.line(/ 441 mod carol #ops :/);
    await mod.line(/PONG chatd :after/);
    expect(carol.closed).to.equal(false);
    mod.send('KICK #lobby carol :enough');
    expect(await carol.waitFor((f) => f.type === 'bye')).to.include({ code: 'KICKED', reason: 'kicked by mod: enough' });
  });
});
