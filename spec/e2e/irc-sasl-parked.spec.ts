// A connection logged in by SASL is not in the chat until it registers (NICK, USER, CAP END): what
// happens to its account meanwhile (a ban, a new role) must reach it as it reaches attached sessions.
import { expect } from 'chai';
import { withChatd } from '../helpers/chatd.js';
import { runBin } from '../helpers/bin.js';
import { RawIrc } from '../helpers/irc.js';
import { USERS } from '../helpers/world.js';

describe('IRC front door: logged in by SASL, not yet registered', function () {
  this.timeout(20000);
  const t = withChatd({ config: { ircPort: 0 }, each: true });
  const open: RawIrc[] = [];
  afterEach(() => { for (const c of open.splice(0)) c.close(); });

  async function parked(user: string): Promise<RawIrc> {
    const r = await RawIrc.connect(t.chatd.ircAddress!.port, t.world.certs, user);
    open.push(r);
    r.send('CAP LS 302', 'CAP REQ :sasl', 'AUTHENTICATE PLAIN');
    await r.line(/^AUTHENTICATE \+$/);
    r.send(`AUTHENTICATE ${Buffer.from(`\0${user}\0${USERS[user].password}`).toString('base64')}`);
    await r.line(/ 903 /);
    return r;
  }

  it('a ban meanwhile ends it: the banned user never gets into the chat', async () => {
    const alice = await parked('alice');
    const mod = await t.login('mod');
    const ban = await mod.command('//ban alice 1h spam');
    expect(ban.type).to.equal('result');
    alice.send('NICK alice', 'USER alice 0 * :alice', 'CAP END');
    await alice.ended();
    expect(alice.lines.filter((l) => / 001 alice |JOIN #lobby/.test(l))).to.deep.equal([]);
    expect(alice.lines.some((l) => /^ERROR :BANNED/.test(l))).to.equal(true);
  });

  it('a role changed meanwhile is the role it registers with', async () => {
    const ali = await parked('ali'); // a moderator
    const boss = await t.login('boss');
    expect((await boss.command('//role ali user')).type).to.equal('result');
    ali.send('NICK ali', 'USER ali 0 * :ali', 'CAP END');
    await ali.line(/ 366 ali #lobby /);
    await t.login('bob');
    ali.send('KICK #lobby bob');
    await ali.line(/ 482 ali #lobby /);
  });

  it('chat-admin user disable meanwhile ends it (on the node\'s next poll)', async () => {
    const carol = await parked('carol');
    expect((await runBin('chat-admin', ['user', 'disable', 'carol', '--db', t.world.db])).code).to.equal(0);
    await carol.line(/^ERROR :KICKED: account disabled/, 8000);
    expect(carol.lines.filter((l) => / 001 carol /.test(l))).to.deep.equal([]);
  });
});
