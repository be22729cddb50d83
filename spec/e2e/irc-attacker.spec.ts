// An attacker's and a strict client's probe of the IRC front door: what one IRC line may make the
// server do for others (flood control counts what a line does), and what irc-framework is told about
// who is where and who is away.
import { expect } from 'chai';
import { withChatd } from '../helpers/chatd.js';
import { IrcClient, RawIrc } from '../helpers/irc.js';
import { TestClient } from '../helpers/client.js';

describe('IRC front door: an attacker\'s and a strict client\'s probe', function () {
  this.timeout(20000);
  const t = withChatd({ config: { ircPort: 0 } });
  const open: Array<{ close(): void }> = [];
  afterEach(() => { for (const c of open.splice(0)) c.close(); });

  it('one PRIVMSG naming a channel four times posts once; each further target costs a flood token', async () => {
    // A burst of 6: PASS, NICK and USER take 3, each PRIVMSG line 1; nothing comes back meanwhile.
    const s = await t.start({ ircPort: 0, limits: { floodBurst: 6, floodRate: 0.01 } });
    const bob = await TestClient.loggedIn(s.address.port, t.world.certs, 'bob');
    open.push(bob);
    const r = await RawIrc.registered(s.ircAddress!.port, t.world.certs, 'alice');
    open.push(r);
    const j = await TestClient.loggedIn(s.address.port, t.world.certs, 'carol');
    open.push(j);
    // Tokens left: 3. This line takes 1 and the channel, named four times, is one target.
    r.send('PRIVMSG #lobby,#lobby,#LOBBY,#lobby :once');
    await j.waitFor((f) => f.type === 'message' && f.text === 'once');
    // Tokens left: 2. This line takes 1, and of its three further targets only one more is paid for.
    r.send('PRIVMSG #lobby,bob,carol,dave :paid');
    await r.line(/ NOTICE alice :RATE_LIMITED: /);
    await bob.waitFor((f) => f.type === 'dm' && f.text === 'paid');
    j.send({ type: 'ping', id: 'sync' });
    await j.waitFor((f) => f.type === 'pong');
    // waitFor took the one copy: no other.
    expect(j.frames.filter((f) => f.type === 'message' && f.text === 'once')).to.deep.equal([]);
    expect(j.frames.filter((f) => f.type === 'dm' && f.text === 'paid')).to.deep.equal([]);
  });

  it('a user who quits, comes back and quits again within seconds gets a QUIT each time (no ghost in the channel)', async () => {
    const i = IrcClient.connect(t.chatd.ircAddress!.port, t.world.certs, 'alice');
    open.push(i);
    await i.ready();
    for (let n = 0; n < 2; n++) {
      const j = await t.login('carol');
      await i.event('join', (e) => e.nick === 'carol' && e.channel === '#lobby');
      j.close();
      await i.event('quit', (e) => e.nick === 'carol');
    }
  });

  it('a DM to an away user is answered RPL_AWAY (301), as IRC clients expect, not a server NOTICE to "*"', async () => {
    const i = IrcClient.connect(t.chatd.ircAddress!.port, t.world.certs, 'alice');
    open.push(i);
    await i.ready();
    const j = await t.login('dave');
    await j.command('//away fishing');
    // irc-framework asks for away-notify: that AWAY line first; the 301 makes a second away event.
    await i.line(/^:dave!dave@chatd AWAY :fishing$/);
    await i.event('away', (e) => e.nick === 'dave');
    i.client.say('dave', 'are you there?');
    await j.waitFor((f) => f.type === 'dm' && f.text === 'are you there?');
    expect(await i.event('away', (e) => e.nick === 'dave')).to.include({ message: 'fishing' });
    expect(await i.line(/ 301 /)).to.equal(':chatd 301 alice dave :fishing');
    expect(i.lines.filter((l) => / NOTICE /.test(l))).to.deep.equal([]);
    await j.command('//back');
  });

  it('WHO marks an away user G (gone), on a channel and by nick, as clients read it to grey out names', async () => {
    const i = IrcClient.connect(t.chatd.ircAddress!.port, t.world.certs, 'alice');
    open.push(i);
    await i.ready();
    const j = await t.login('carol');
    await j.command('//away lunch');
    await i.line(/^:carol!carol@chatd AWAY :lunch$/);
    i.client.raw('WHO #lobby');
    const list = await i.event('wholist', (e) => e.target === '#lobby');
    expect(list.users.map((u: any) => [u.nick, u.away]).sort()).to.deep.equal([['alice', false], ['carol', true]]);
    i.client.raw('WHO carol');
    expect(await i.line(/ 352 alice \* carol /)).to.match(/ carol G :0 carol$/);
    await j.command('//back');
    i.client.raw('WHO carol');
    expect(await i.line(/ 352 alice \* carol /)).to.match(/ carol H :0 carol$/);
  });

  it('a NOTICE arrives as a NOTICE, in a channel and to a nick, and gets no automatic answer (no bot loops)', async () => {
    // RFC 2812 3.3.2: a NOTICE must never be answered automatically, so that two bots cannot answer each
    // other for ever. Delivered as a PRIVMSG, a bot's NOTICE was what the other bot answers.
    const a = IrcClient.connect(t.chatd.ircAddress!.port, t.world.certs, 'alice');
    const b = IrcClient.connect(t.chatd.ircAddress!.port, t.world.certs, 'bob');
    open.push(a, b);
    await a.ready();
    await b.ready();
    const j = await t.login('dave');
    await j.command('//away out');
    a.client.notice('#lobby', 'channel notice');
    expect(await b.event('notice', (e) => e.message === 'channel notice')).to.include({ nick: 'alice', target: '#lobby' });
    // JSON users get it as any message.
    expect(await j.waitFor((f) => f.type === 'message' && f.text === 'channel notice')).to.include({ kind: 'say' });
    a.client.notice('bob', 'nick notice');
    expect(await b.event('notice', (e) => e.message === 'nick notice')).to.include({ nick: 'alice', target: 'bob' });
    a.client.notice('dave', 'to the away one');
    await j.waitFor((f) => f.type === 'dm' && f.text === 'to the away one');
    a.client.raw('PING :sync');
    await a.line(/PONG chatd :sync/);
    expect(a.lines.filter((l) => / 301 /.test(l))).to.deep.equal([]);
    // (history replayed on JOIN brings earlier tests' messages as PRIVMSGs: only this test's count)
    expect(b.events.filter((e) => e.name === 'privmsg' && /notice/.test(e.e.message))).to.deep.equal([]);
    await j.command('//back');
  });
});
