// One chat across protocols (issue 17): IRC users and JSON (chat-cli's protocol) users see each other's
// messages, actions and moderation; the sanitizer cleans hostile IRC and terminal text both ways.
import { expect } from 'chai';
import { withChatd } from '../helpers/chatd.js';
import { IrcClient, RawIrc } from '../helpers/irc.js';

describe('IRC front door: one chat with JSON clients', function () {
  this.timeout(20000);
  const t = withChatd({ config: { ircPort: 0 } });
  const open: Array<{ close(): void }> = [];
  const irc = (user: string, o = {}) => { const c = IrcClient.connect(t.chatd.ircAddress!.port, t.world.certs, user, o); open.push(c); return c; };
  afterEach(() => { for (const c of open.splice(0)) c.close(); });

  it('a JSON message reaches the IRC user, and the IRC answer reaches the JSON user', async () => {
    const i = await irc('alice').ready();
    const j = await t.login('bob');
    j.send({ type: 'say', text: 'hello from json', id: 1 });
    expect(await i.event('privmsg', (e) => e.message === 'hello from json')).to.include({ nick: 'bob', target: '#lobby' });
    i.client.say('#lobby', 'hello from irc');
    const m = await j.waitFor((f) => f.type === 'message' && f.text === 'hello from irc');
    expect(m).to.deep.include({ room: 'lobby', kind: 'say', from: { name: 'alice', role: 'user', color: 'cyan' } });
  });

  it('another session of the same account coming and going does not JOIN, PART or QUIT the IRC one', async () => {
    const i = await irc('carol').ready();
    i.lines.length = 0; // its own JOIN is behind it
    const j = await t.login('carol');
    j.send({ type: 'say', text: 'from my other session' });
    await i.line(/:carol!carol@chatd PRIVMSG #lobby :from my other session$/);
    j.close();
    await t.login('bob'); // its join comes after carol's quit, had there been one
    await i.line(/:bob!bob@chatd JOIN #lobby$/);
    expect(i.lines.filter((l) => / (JOIN|PART|QUIT) /.test(l) && l.includes(':carol!'))).to.deep.equal([]);
  });

  it('/me both ways: CTCP ACTION is a me message, a me message is a CTCP ACTION', async () => {
    const i = await irc('alice').ready();
    const j = await t.login('bob');
    i.client.action('#lobby', 'waves from irc');
    expect(await j.waitFor((f) => f.type === 'message' && f.kind === 'me')).to.include({ text: 'waves from irc' });
    j.send({ type: 'say', text: '//me waves from json' });
    expect(await i.event('action', (e) => e.message === 'waves from json')).to.include({ nick: 'bob', target: '#lobby' });
  });

  it('echo-message: the sender gets its own message back only when it asked for it', async () => {
    const e = await irc('alice', { echo: true }).ready();
    const n = await irc('carol').ready();
    e.client.say('#lobby', 'echo me');
    await e.line(/^@time=\S+ :alice!alice@chatd PRIVMSG #lobby :echo me$/);
    n.client.say('#lobby', 'no echo');
    await e.line(/:carol!carol@chatd PRIVMSG #lobby :no echo$/);
    n.client.raw('PING :after');
    await n.line(/PONG chatd :after/);
    expect(n.lines.filter((l) => l.includes(':no echo'))).to.deep.equal([]);
  });

  it('a //ban from IRC closes the JSON session of the banned user (bye BANNED)', async () => {
    const m = await irc('mod').ready();
    const j = await t.login('dave');
    m.client.say('#lobby', '//ban dave 10m spamming');
    expect(await j.waitFor((f) => f.type === 'bye')).to.include({ code: 'BANNED' });
    await m.line(/NOTICE mod :/);
    await t.chatd.store.liftBans((await t.chatd.store.getUser('dave'))!.id, 'mod');
  });

  it('a kick from JSON ends the IRC session with ERROR :KICKED', async () => {
    const i = await irc('carol').ready();
    const j = await t.login('ali');
    j.send({ type: 'command', line: 'kick carol enough', id: 'k' });
    await j.waitFor((f) => f.type === 'result' && f.id === 'k');
    await i.line(/^ERROR :KICKED: kicked by ali: enough$/);
    await i.event('close');
  });

  it('hostile mIRC, CTCP and ANSI text is sanitized on its way to both kinds of client', async () => {
    const r = await RawIrc.registered(t.chatd.ircAddress!.port, t.world.certs, 'alice');
    open.push(r);
    const j = await t.login('bob');
    // From IRC: mIRC colour and bold, an ANSI escape, a CTCP other than ACTION.
    r.send('PRIVMSG #lobby :\x034,1red\x03 \x02bold\x02 \x1b[31mansi\x1b[0m \x1fu\x1f');
    r.send('PRIVMSG #lobby :\x01VERSION\x01');
    r.send('PRIVMSG #lobby :\x01DCC SEND x 1 2 3\x01');
    r.send('PRIVMSG #lobby :after');
    const m = await j.waitFor((f) => f.type === 'message' && f.from.name === 'alice' && f.text.includes('red'));
    expect(m.text).to.equal('red bold ansi u');
    await j.waitFor((f) => f.type === 'message' && f.text === 'after');
    expect(j.frames.filter((f) => f.type === 'message' && /VERSION|DCC/.test(f.text))).to.deep.equal([]);
    // From JSON: the same kinds of bytes, and a CR LF that would start a second IRC command.
    j.send({ type: 'say', text: '\x0312blue\x0f \x1b]0;title\x07\x1b[2Jclear \x01ACTION fake\x01\r\nQUIT :pwned' });
    const line = await r.line(/PRIVMSG #lobby :.*blue/);
    // CR and LF became spaces: one PRIVMSG, no second command.
    expect(line).to.match(/^:bob!bob@chatd PRIVMSG #lobby :blue clear ACTION fake +QUIT :pwned$/);
    expect(r.closed).to.equal(false);
  });

  it('shutdown ends an IRC session with ERROR :SHUTDOWN', async () => {
    const s = await t.start({ ircPort: 0 });
    const r = await RawIrc.registered(s.ircAddress!.port, t.world.certs, 'carol');
    open.push(r);
    const stopping = s.stop();
    await r.line(/^ERROR :SHUTDOWN: /);
    await stopping;
  });
});
