// The IRC front door with the real chat-cli binary on the other side (issue 17): a line from
// chat-cli reaches the IRC user and back, a //ban from IRC ends chat-cli, a kick from chat-cli ends
// the IRC session with ERROR.
import { expect } from 'chai';
import { withChatd } from '../helpers/chatd.js';
import { flags, pw, Run, runCli } from '../helpers/cli-run.js';
import { IrcClient } from '../helpers/irc.js';

describe('IRC front door: with chat-cli', function () {
  this.timeout(30000);
  const t = withChatd({ config: { ircPort: 0 } });
  const open: Array<{ close(): void } | Run> = [];
  const irc = (user: string) => { const c = IrcClient.connect(t.chatd.ircAddress!.port, t.world.certs, user); open.push(c); return c; };
  afterEach(() => { for (const c of open.splice(0)) if (c instanceof Run) c.kill(); else c.close(); });

  it('a chat-cli line reaches the IRC user, and the IRC answer reaches chat-cli', async () => {
    const i = await irc('alice').ready();
    const reader = Run.start([...flags(t.world.certs, t.port, 'bob'), '--json'], { env: pw('bob') });
    open.push(reader);
    await reader.waitOut(/"type":"login_ok"/);
    const sent = await runCli([...flags(t.world.certs, t.port, 'carol'), '--send', 'hello from chat-cli'], { env: pw('carol') });
    expect(sent.code, sent.err).to.equal(0);
    expect(await i.event('privmsg', (e) => e.message === 'hello from chat-cli')).to.include({ nick: 'carol', target: '#lobby' });
    i.client.say('#lobby', 'hello back from irc');
    await reader.waitOut(/"text":"hello back from irc"/);
  });

  it('a //ban from IRC ends the chat-cli session; a kick from chat-cli ends the IRC session with ERROR', async () => {
    const mod = await irc('mod').ready();
    const bob = Run.start([...flags(t.world.certs, t.port, 'bob'), '--json'], { env: pw('bob') });
    open.push(bob);
    await bob.waitOut(/"type":"login_ok"/);
    mod.client.say('#lobby', '//ban bob 10m spamming');
    expect(await bob.exit(10000)).to.equal(1);
    expect(bob.out + bob.err).to.match(/BANNED/);

    const alice = await irc('alice').ready();
    const kick = await runCli([...flags(t.world.certs, t.port, 'boss'), '--send', '//kick alice enough'], { env: pw('boss') });
    expect(kick.code, kick.err).to.equal(0);
    await alice.line(/^ERROR :KICKED: /);
  });
});
