// A muted moderator still moderates, but the reason of a //kick or //ban is their words shown in every
// room the target is in (the kick or ban event) and to the target: it is refused (MUTED) as //topic
// and //announce are, while the same action without a reason goes through. A muted moderator spoke to
// any room through `//kick <user> <words>`.
import { expect } from 'chai';
import { withChatd } from '../helpers/chatd.js';
import { RawIrc } from '../helpers/irc.js';

describe('e2e: a muted moderator\'s kick and ban reasons', function () {
  this.timeout(20000);
  const t = withChatd({ each: true, config: { ircPort: 0 } });

  it('//kick and //ban with a reason are MUTED and do nothing; without one they act, with no reason shown', async () => {
    const owner = await t.login('owner');
    const mod = await t.login('mod');
    const bob = await t.login('bob');
    const carol = await t.login('carol');
    expect((await owner.command('//mute mod')).type).to.equal('result');
    expect(await mod.command('//kick bob buy cheap pills at example.com')).to.include({ type: 'error', code: 'MUTED' });
    expect(await mod.command('//ban bob 10m buy cheap pills at example.com')).to.include({ type: 'error', code: 'MUTED' });
    expect(await t.world.store.listActiveBans()).to.deep.equal([]);
    expect(bob.closed).to.equal(false);
    expect((await mod.command('//kick bob')).type).to.equal('result');
    expect(await bob.waitFor((f) => f.type === 'bye')).to.deep.equal({ type: 'bye', code: 'KICKED', reason: 'kicked by mod' });
    expect((await mod.command('//ban carol 10m')).type).to.equal('result');
    expect((await carol.waitFor((f) => f.type === 'bye')).code).to.equal('BANNED');
    expect(owner.text).to.not.include('pills');
  });

  it('IRC KICK with a reason from a muted moderator is refused, and says why', async () => {
    const owner = await t.login('owner');
    const bob = await t.login('bob');
    const mod = await RawIrc.registered(t.chatd.ircAddress!.port, t.world.certs, 'mod');
    try {
      expect((await owner.command('//mute mod')).type).to.equal('result');
      mod.send('KICK #lobby bob :buy cheap pills', 'PING :after');
      await mod.line(/ NOTICE mod :MUTED: /);
      await mod.line(/PONG chatd :after/);
      expect(bob.closed).to.equal(false);
      expect(owner.text).to.not.include('pills');
    } finally { mod.close(); }
  });
});
