// The IRC front door holds the command levels of the config (commandLevels) as every other way in does:
// an IRC command that stands for a chatd command needs that command's level (as the JSON join frame
// needs //join's).
import { expect } from 'chai';
import { withChatd } from '../helpers/chatd.js';
import { ircRegistrar } from '../helpers/irc.js';

describe('IRC front door: command levels', function () {
  this.timeout(20000);
  const t = withChatd({ config: { ircPort: 0, commandLevels: { me: 50, whois: 50, rooms: 50, users: 50, topic: 50 } } });
  const reg = ircRegistrar(t);

  it('CTCP ACTION needs the level of //me: refused, and nobody sees it', async () => {
    const alice = await reg('alice');
    const bob = await reg('bob');
    alice.send('PRIVMSG #lobby :\x01ACTION waves\x01', 'PING :after-action');
    await alice.line(/ NOTICE alice :FORBIDDEN: /);
    await alice.line(/PONG chatd :after-action/);
    alice.send('PRIVMSG #lobby :plain', 'PING :after-plain');
    await bob.line(/:alice!alice@chatd PRIVMSG #lobby :plain/);
    expect(bob.lines.filter((l) => l.includes('ACTION'))).to.deep.equal([]);
    // A moderator has the level.
    const mod = await reg('mod');
    mod.send('PRIVMSG #lobby :\x01ACTION nods\x01');
    await bob.line(/:mod!mod@chatd PRIVMSG #lobby :\x01ACTION nods\x01/);
  });

  it('WHOIS needs the level of //whois and LIST that of //rooms', async () => {
    const alice = await reg('alice');
    await reg('carol');
    alice.send('WHOIS carol', 'LIST', 'PING :after-queries');
    await alice.line(/PONG chatd :after-queries/);
    expect(alice.lines.filter((l) => / (311|319|322) alice /.test(l))).to.deep.equal([]);
    expect(alice.lines.filter((l) => / NOTICE alice :FORBIDDEN: /.test(l))).to.have.length(2);
    const mod = await reg('mod');
    mod.send('WHOIS carol', 'LIST');
    await mod.line(/ 311 mod carol /);
    await mod.line(/ 322 mod #lobby /);
  });

  it('WHO of a nick needs the level of //whois; NAMES and WHO of a channel one is not in that of //users', async () => {
    const alice = await reg('alice');
    const carol = await reg('carol');
    carol.send('JOIN #hideout', 'PING :joined');
    await carol.line(/PONG chatd :joined/);
    alice.lines.length = 0; // her own JOIN's names
    alice.send('WHO carol', 'WHO #hideout', 'NAMES #hideout', 'PING :after-queries');
    await alice.line(/PONG chatd :after-queries/);
    expect(alice.lines.filter((l) => / (352|353) alice /.test(l))).to.deep.equal([]);
    expect(alice.lines.filter((l) => / NOTICE alice :FORBIDDEN: /.test(l))).to.have.length(3);
    // Her own channel she sees, as on JOIN.
    alice.send('WHO #lobby', 'NAMES #lobby');
    await alice.line(/ 352 alice #lobby carol /);
    await alice.line(/ 353 alice = #lobby :.*carol/);
    const mod = await reg('mod');
    mod.send('WHO carol', 'NAMES #hideout');
    await mod.line(/ 352 mod \* carol /);
    await mod.line(/ 353 mod = #hideout :carol/);
  });

  it('TOPIC without text needs the level of //topic, as //topic without arguments does', async () => {
    const mod = await reg('mod');
    mod.send('TOPIC #lobby :secret plans', 'PING :set');
    await mod.line(/PONG chatd :set/);
    const alice = await reg('alice');
    alice.lines.length = 0;
    alice.send('TOPIC #lobby', 'PING :after-topic');
    await alice.line(/PONG chatd :after-topic/);
    expect(alice.lines.filter((l) => / (331|332) alice /.test(l))).to.deep.equal([]);
    expect(alice.lines.filter((l) => / NOTICE alice :FORBIDDEN: /.test(l))).to.have.length(1);
    mod.send('TOPIC #lobby');
    await mod.line(/ 332 mod #lobby :secret plans/);
  });
});
