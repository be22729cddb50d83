// What a probe of the IRC front door found: a prefixed command typed in a channel's window acted on
// the channel joined last; a NOTICE starting with the prefix was shown to the channel and stored (a
// //passwd with both passwords); KICK with a trailing nick (`KICK #a :bob gone`) skipped the
// "they are not on that channel" check; and PART answered every one of hundreds of targets.
import { expect } from 'chai';
import { withChatd } from '../helpers/chatd.js';
import { ircRegistrar } from '../helpers/irc.js';

describe('IRC front door: commands in a channel, NOTICE, KICK and PART targets', function () {
  this.timeout(20000);
  const t = withChatd({ config: { ircPort: 0 } });
  const reg = ircRegistrar(t);

  it('a command typed in a channel acts on that channel, not on the one joined last', async () => {
    const mod = await reg('mod');
    mod.send('JOIN #dev');
    await mod.line(/ 366 mod #dev /);
    mod.send('PRIVMSG #lobby ://topic lobby topic, typed in #lobby');
    expect(await mod.line(/ TOPIC /)).to.match(/^:mod!\S+ TOPIC #lobby :lobby topic, typed in #lobby$/);
    expect(t.chatd.node.topicOf('dev')).to.not.equal('lobby topic, typed in #lobby');
    mod.send('PRIVMSG #lobby ://part');
    expect(await mod.line(/ PART /)).to.match(/^:mod!\S+ PART #lobby/);
    mod.send('PRIVMSG #dev :still in dev', 'PING :after');
    await mod.line(/PONG \S+ :after/);
    expect(mod.lines.filter((l) => / 404 /.test(l))).to.deep.equal([]);
  });

  it('a NOTICE that starts with the prefix is neither run nor shown to anyone', async () => {
    const bob = await reg('bob');
    const alice = await reg('alice');
    alice.send('NOTICE #lobby ://passwd old-secret new-secret', 'NOTICE bob ://ban carol perm', 'PRIVMSG #lobby :after the notices');
    await bob.line(/:alice!\S+ PRIVMSG #lobby :after the notices/);
    expect(bob.lines.filter((l) => /secret|\/\/ban/.test(l))).to.deep.equal([]);
    expect(await t.world.store.history('lobby', 20).then((h) => h.map((m) => m.text))).to.not.include('//passwd old-secret new-secret');
  });

  it('a KICK whose nick is not a user name is 401 and kicks nobody', async () => {
    const mod = await reg('mod');
    const bob = await t.login('bob');
    expect((await bob.command('//join side')).type).to.equal('result');
    expect((await bob.command('//part lobby')).type).to.equal('result');
    mod.send('KICK #lobby :bob gone', 'PING :after');
    expect(await mod.line(/ 401 | 441 /)).to.match(/ 401 mod bob_gone :/);
    await mod.line(/PONG \S+ :after/);
    expect(bob.closed).to.equal(false);
    expect((await bob.command('//whoami')).type).to.equal('result');
  });

  it('PART of hundreds of targets is answered for ten and one 407', async () => {
    const carol = await reg('carol');
    carol.send(`PART ${','.repeat(300)}`, 'PING :after');
    await carol.line(/PONG \S+ :after/);
    expect(carol.lines.filter((l) => / 442 /.test(l))).to.have.length(10);
    expect(carol.lines.filter((l) => / 407 /.test(l))).to.have.length(1);
  });
});
