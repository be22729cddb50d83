// A chatd command sent as an IRC PRIVMSG runs every time it is sent: a command repeated by a new IRC
// connection of the same user (a reconnect, a second client) is a new command, not a retransmission.
// Exactly-once ids (DESIGN "Conversations") are the client's to give; an IRC client gives none.
import { expect } from 'chai';
import { withChatd } from '../helpers/chatd.js';
import { ircRegistrar } from '../helpers/irc.js';

describe('IRC front door: repeated commands', function () {
  this.timeout(20000);
  const t = withChatd({ config: { ircPort: 0 } });
  const reg = ircRegistrar(t);

  it('a moderator\'s //kick from a second IRC connection kicks again (it was answered "kicked" and not run)', async () => {
    const first = await reg('mod');
    let bob = await t.login('bob');
    first.send('PRIVMSG #lobby ://kick bob calm down');
    await first.line(/ NOTICE mod :bob kicked/);
    expect(await bob.waitFor((f) => f.type === 'bye')).to.include({ code: 'KICKED' });
    first.close();

    bob = await t.login('bob');
    const second = await reg('mod');
    second.send('PRIVMSG #lobby ://kick bob calm down');
    await second.line(/ NOTICE mod :bob kicked/);
    expect(await bob.waitFor((f) => f.type === 'bye', 3000, 'bye KICKED of the second kick')).to.include({ code: 'KICKED' });
  });

  it('two IRC connections of one moderator each run their own first //mute', async () => {
    const a = await reg('mod');
    const b = await reg('mod');
    a.send('PRIVMSG #lobby ://mute bob 10m');
    await a.line(/ NOTICE mod :bob muted/);
    a.send('PRIVMSG #lobby ://unmute bob');
    await a.line(/ NOTICE mod :bob unmuted/);
    // b's first command is the same line as a's first one.
    b.send('PRIVMSG #lobby ://mute bob 10m');
    await b.line(/ NOTICE mod :bob muted/);
    expect(t.chatd.node.isMuted('bob')).to.equal(true);
  });
});
