// Limits on the IRC port (issue 17): IRC's line lengths (ERR_INPUTTOOLONG), and the flood control and
// send queue every session has, ending an IRC session with ERROR.
import { expect } from 'chai';
import { withChatd } from '../helpers/chatd.js';
import { RawIrc } from '../helpers/irc.js';
import { TestClient } from '../helpers/client.js';
import { until } from '../helpers/wait.js';
import { USERS } from '../helpers/world.js';

describe('IRC front door: limits', function () {
  this.timeout(20000);
  const t = withChatd({ config: { ircPort: 0 } });
  const open: RawIrc[] = [];
  const port = () => t.chatd.ircAddress!.port;
  afterEach(() => { for (const c of open.splice(0)) c.close(); });

  it('a line over 512 bytes gets ERR_INPUTTOOLONG (417) and the session goes on; tags may take 4,096 more', async () => {
    const r = await RawIrc.registered(port(), t.world.certs, 'alice');
    open.push(r);
    r.send(`PRIVMSG #lobby :${'x'.repeat(600)}`);
    await r.line(/ 417 alice :Input line was too long/);
    r.send(`@+client=${'y'.repeat(3000)} PING :tagged`);
    await r.line(/PONG chatd :tagged/);
    r.send(`@+client=${'y'.repeat(5000)} PING :tagged`);
    await r.line(/ 417 alice :/);
    r.send('PING :still-here');
    await r.line(/PONG chatd :still-here/);
  });

  it('a line over the 8,703-byte read limit ends the session with ERROR', async () => {
    const r = await RawIrc.registered(port(), t.world.certs, 'bob');
    open.push(r);
    r.send(`PRIVMSG #lobby :${'z'.repeat(9000)}`);
    await r.line(/^ERROR :FRAME_TOO_LARGE/);
    await r.ended();
  });

  it('odd and malformed lines, before and after registration, get answers or nothing, never a crash', async () => {
    const s = await t.start({ ircPort: 0, limits: { floodBurst: 1000, floodRate: 1000, floodKickCount: 1000 } });
    const odd = ['', ':', '@', '@a=b', ':only.prefix', '@x :p', 'CAP', 'CAP REQ', 'CAP REQ :nonsense', 'AUTHENTICATE', 'AUTHENTICATE PLAIN',
      'AUTHENTICATE ' + 'A'.repeat(400), 'AUTHENTICATE *', 'NICK', 'USER a', '\0\x01\x02', 'PRIVMSG', 'JOIN', 'JOIN ,,,', 'PART', 'KICK',
      'MODE', 'WHOIS', 'WHO', 'TOPIC', 'NAMES', 'PRIVMSG #lobby :\x01', 'PRIVMSG #lobby :\x01\x01', 'PRIVMSG , :x', 'NOTICE #nope :x'];
    const pre = await RawIrc.connect(s.ircAddress!.port, t.world.certs, 'alice');
    open.push(pre);
    pre.send(...odd, 'PING :pre');
    await pre.line(/PONG chatd :pre/);
    const r = await RawIrc.registered(s.ircAddress!.port, t.world.certs, 'bob');
    open.push(r);
    r.send(...odd, 'JOIN #a,#,#!!,#' + 'x'.repeat(40), 'PART #never', 'TOPIC #never :x', 'KICK #lobby nobody', 'MODE #lobby +b', 'MODE alice',
      'WHO nobody', 'USERHOST a b c', 'NICK Bob', 'PRIVMSG #lobby :\xff\xfe', 'PING :post');
    await r.line(/PONG chatd :post/);
    r.sock.write(Buffer.from([0xff, 0xfe, 0x00, 0x0d, 0x0a, 0xc3, 0x28, 0x0d, 0x0a]));
    r.send('PING :bytes');
    await r.line(/PONG chatd :bytes/);
    expect(r.lines.some((l) => / 403 bob #!! /.test(l))).to.equal(true);
    expect(r.lines.some((l) => / 442 bob #never /.test(l))).to.equal(true);
  });

  it('the connection caps count the chat port and the IRC port together', async () => {
    const s = await t.start({ ircPort: 0, limits: { maxConnPerIp: 2 } });
    const j = await TestClient.connect(s.address.port, t.world.certs, 'alice');
    const k = await TestClient.connect(s.address.port, t.world.certs, 'bob');
    open.push({ close: () => { j.close(); k.close(); } } as unknown as RawIrc);
    // Refused: the handshake fails, or the connection is closed at once.
    const r = await RawIrc.connect(s.ircAddress!.port, t.world.certs, 'carol').catch(() => null);
    if (r) open.push(r);
    const refused = r === null || await r.ended(2000).then(() => true, () => false);
    expect(refused).to.equal(true);
    j.close();
    await until(async () => {
      try {
        const r = await RawIrc.registered(s.ircAddress!.port, t.world.certs, 'carol');
        open.push(r);
        return true;
      } catch { return false; }
    }, 5000, 'a free slot for the IRC port');
  });

  it('flood control: excess lines get a RATE_LIMITED notice, a flood that goes on ends with ERROR :FLOOD', async () => {
    const s = await t.start({ ircPort: 0, limits: { floodBurst: 5, floodRate: 1, floodKickCount: 5, floodKickWindowMs: 10000 } });
    const r = await RawIrc.registered(s.ircAddress!.port, t.world.certs, 'carol');
    open.push(r);
    r.send(...Array.from({ length: 30 }, (_, i) => `PRIVMSG #lobby :flood ${i}`));
    await r.line(/NOTICE carol :RATE_LIMITED: too many frames/);
    await r.line(/^ERROR :FLOOD: /);
    await r.ended();
  });

  it('the send queue cap: an answer over it ends the IRC session with ERROR :SENDQ_EXCEEDED', async () => {
    const s = await t.start({ ircPort: 0, motd: `motd ${'m '.repeat(3000)} end`, limits: { sendqBytes: 4096 } });
    const r = await RawIrc.connect(s.ircAddress!.port, t.world.certs, 'dave');
    open.push(r);
    r.send('PASS :Dave-pass-1234', 'NICK dave', 'USER dave 0 * :dave');
    await r.line(/^ERROR :SENDQ_EXCEEDED: send queue exceeded$/);
    await r.ended();
    expect([...s.node.sessions].some((x) => x.user?.name === 'dave')).to.equal(false);
  });

  it('the login timeout ends a connection that never registers, also one that logged in by SASL and stopped there', async () => {
    const s = await t.start({ ircPort: 0, limits: { loginTimeoutMs: 400 } });
    const silent = await RawIrc.connect(s.ircAddress!.port, t.world.certs, 'alice');
    const saslOnly = await RawIrc.connect(s.ircAddress!.port, t.world.certs, 'bob');
    open.push(silent, saslOnly);
    // SASL PLAIN succeeds (903), then no CAP END, NICK or USER: authenticated, never registered.
    saslOnly.send('CAP LS 302', 'CAP REQ :sasl', 'AUTHENTICATE PLAIN');
    await saslOnly.line(/^AUTHENTICATE \+$/);
    saslOnly.send(`AUTHENTICATE ${Buffer.from(`\0bob\0${USERS.bob.password}`).toString('base64')}`);
    await saslOnly.line(/ 903 \S+ :SASL authentication successful/);
    for (const r of [silent, saslOnly]) {
      await r.line(/^ERROR :LOGIN_TIMEOUT: /, 3000);
      await r.ended();
    }
    await until(async () => ![...s.node.sessions].some((x) => x.user?.name === 'bob'), 2000, 'the SASL-only session gone from the node');
  });
});
