// The IRC front door (issue 17, DESIGN "IRC front door") with irc-framework, a client nobody here wrote:
// registration (SASL PLAIN or PASS over mutual TLS), the commands, and one chat with JSON clients.
import { expect } from 'chai';
import { withChatd } from '../helpers/chatd.js';
import { IrcClient, RawIrc } from '../helpers/irc.js';
import { TestClient } from '../helpers/client.js';

describe('IRC front door', function () {
  this.timeout(20000);
  const t = withChatd({ config: { ircPort: 0 } });
  const open: Array<{ close(): void }> = [];
  const irc = (user: string, o = {}) => { const c = IrcClient.connect(t.chatd.ircAddress!.port, t.world.certs, user, o); open.push(c); return c; };
  const raw = async (user: string | null) => { const c = await RawIrc.connect(t.chatd.ircAddress!.port, t.world.certs, user); open.push(c); return c; };
  const rawIn = async (user: string) => { const c = await RawIrc.registered(t.chatd.ircAddress!.port, t.world.certs, user); open.push(c); return c; };
  afterEach(() => { for (const c of open.splice(0)) c.close(); });

  describe('registration', () => {
    it('registers with SASL PLAIN over mutual TLS: 001..005 with the ISUPPORT tokens, MOTD, #lobby joined', async () => {
      const c = irc('alice');
      await c.line(/ 903 alice :SASL authentication successful/);
      const reg = await c.event('registered');
      expect(reg.nick).to.equal('alice');
      const isupport = await c.line(/ 005 alice /);
      for (const tok of ['CHANTYPES=#', 'PREFIX=(qaov)~&@+', 'CASEMAPPING=ascii', 'NICKLEN=32', 'NETWORK=chatd']) expect(isupport).to.include(tok);
      await c.line(/ 376 alice :/);
      await c.line(/^:alice!alice@chatd JOIN #lobby$/);
      await c.line(/ 353 alice = #lobby :.*\balice\b/);
      await c.line(/ 366 alice #lobby /);
    });

    it('a wrong password fails SASL (904) and the registration (464, ERROR), and counts toward the lockout', async () => {
      const s = await t.start({ ircPort: 0, limits: { loginFailLimit: 2 } });
      for (let i = 0; i < 2; i++) {
        const c = IrcClient.connect(s.ircAddress!.port, t.world.certs, 'ali', { password: 'wrong-password' });
        open.push(c);
        await c.line(/ 904 \S+ :SASL authentication failed: AUTH_FAILED/);
        await c.line(/ 464 \S+ :AUTH_FAILED/);
        await c.line(/^ERROR :AUTH_FAILED/);
      }
      // Locked now, on every port: the right password over JSON is refused too.
      const j = await TestClient.connect(s.address.port, t.world.certs, 'ali');
      open.push({ close: () => j.close() });
      expect(await j.login('ali')).to.include({ type: 'error', code: 'AUTH_LOCKED' });
    });

    it('a certificate for another name is refused: CERT_MISMATCH', async () => {
      const c = irc('bob', { certOf: 'carol' });
      await c.line(/ 904 \S+ :SASL authentication failed: CERT_MISMATCH/);
      await c.line(/^ERROR :CERT_MISMATCH/);
    });

    it('without a client certificate the TLS handshake is refused', async () => {
      let err: unknown = null;
      try { const c = await raw(null); c.send('NICK x'); await c.ended(); } catch (e) { err = e; }
      // Either the handshake fails or the server closes at once: nothing is said to a peer without a certificate.
      expect(err === null || err instanceof Error).to.equal(true);
    });

    it('PASS before NICK/USER logs in; NICK to another name is ERR_ERRONEUSNICKNAME', async () => {
      const c = await rawIn('carol');
      c.send('NICK mallory');
      await c.line(/ 432 carol mallory :/);
      c.send('NICK carol');
      c.send('PING :x1');
      await c.line(/PONG \S+ :?x1$/);
    });

    it('commands before registration get 451; unknown commands 421', async () => {
      const c = await raw('dave');
      c.send('JOIN #x');
      await c.line(/ 451 \* :You have not registered/);
      c.send(`PASS :Dave-pass-1234`, 'NICK dave', 'USER dave 0 * :dave');
      await c.line(/ 366 dave #lobby /);
      c.send('FROBNICATE now');
      await c.line(/ 421 dave FROBNICATE :Unknown command/);
    });
  });

  describe('commands', () => {
    it('JOIN (a comma list), PRIVMSG between IRC users, PART', async () => {
      const a = await irc('alice').ready();
      const b = await irc('bob').ready();
      a.client.join('#irc-a,#irc-b');
      await a.line(/^:alice!alice@chatd JOIN #irc-a$/);
      await a.line(/^:alice!alice@chatd JOIN #irc-b$/);
      b.client.join('#irc-a');
      await b.line(/ 353 bob = #irc-a :.*\balice\b/);
      await a.line(/^(@\S+ )?:bob!bob@chatd JOIN #irc-a$/);
      b.client.say('#irc-a', 'hello alice');
      const m = await a.event('privmsg', (e) => e.target === '#irc-a');
      expect(m).to.include({ nick: 'bob', message: 'hello alice' });
      a.client.part('#irc-b');
      await a.line(/^:alice!alice@chatd PART #irc-b/);
      b.client.part('#irc-a');
      await a.line(/^(@\S+ )?:bob!bob@chatd PART #irc-a/);
    });

    it('NOTICE reaches the channel; a PRIVMSG to a nick is a DM', async () => {
      const a = await irc('alice').ready();
      const b = await irc('bob').ready();
      a.client.notice('#lobby', 'a notice');
      expect(await b.event('notice', (e) => e.message === 'a notice')).to.include({ nick: 'alice', target: '#lobby' });
      a.client.say('bob', 'just for you');
      expect(await b.event('privmsg', (e) => e.message === 'just for you')).to.include({ nick: 'alice', target: 'bob' });
      a.client.say('nobody-here', 'hello?');
      await a.line(/ 401 alice nobody-here /);
    });

    it('TOPIC: view for all, set by a moderator, refused to a user with 482', async () => {
      const m = await irc('mod').ready();
      const b = await irc('bob').ready();
      m.client.setTopic('#lobby', 'irc topic');
      await b.line(/^(@\S+ )?:mod!mod@chatd TOPIC #lobby :irc topic$/);
      b.client.raw('TOPIC #lobby');
      await b.line(/ 332 bob #lobby :irc topic$/);
      b.client.setTopic('#lobby', 'mine now');
      await b.line(/ 482 bob #lobby :/);
    });

    it('NAMES and WHO show roles as prefixes (owner ~, admin &, moderator @)', async () => {
      const o = await irc('owner').ready();
      await irc('boss').ready();
      await irc('mod').ready();
      o.client.raw('NAMES #lobby');
      const names = await o.line(/ 353 owner = #lobby :.*mod/);
      expect(names).to.match(/~owner\b/).and.match(/&boss\b/).and.match(/@mod\b/);
      o.client.raw('WHO #lobby');
      await o.line(/ 352 owner #lobby mod chatd \S+ mod H@ :0 mod/);
      await o.line(/ 315 owner #lobby :/);
    });

    it('WHOIS, LIST, MOTD, MODE', async () => {
      const a = await irc('alice').ready();
      await irc('bob').ready();
      a.client.raw('WHOIS bob');
      await a.line(/ 311 alice bob bob chatd \* :bob/);
      await a.line(/ 319 alice bob :#lobby/);
      await a.line(/ 318 alice bob :/);
      a.client.raw('WHOIS nobody');
      await a.line(/ 401 alice nobody :/);
      a.client.raw('LIST');
      await a.line(/ 321 alice Channel :/);
      await a.line(/ 322 alice #lobby \d+ :/);
      await a.line(/ 323 alice :/);
      a.client.raw('MOTD');
      await a.line(/ 372 alice :- Welcome to chatd/);
      a.client.raw('MODE #lobby');
      await a.line(/ 324 alice #lobby \+nt/);
      a.client.raw('MODE #lobby +o alice');
      await a.line(/ 482 alice #lobby :/);
    });

    it('AWAY marks and unmarks, WHOIS shows it, away-notify tells the others, and it is the one away state of //away', async () => {
      const a = await irc('alice').ready();
      const b = await irc('bob').ready();
      const carol = await t.login('carol');
      a.client.raw('AWAY :lunch');
      await a.line(/ 306 alice :/);
      await b.line(/^(@\S+ )?:alice!alice@chatd AWAY :lunch$/);
      b.client.raw('WHOIS alice');
      await b.line(/ 301 bob alice :lunch/);
      expect((await carol.command('//whois alice')).text).to.contain('lunch');
      a.client.raw('AWAY');
      await a.line(/ 305 alice :/);
      await b.line(/^(@\S+ )?:alice!alice@chatd AWAY$/);
      expect(await carol.command('//away tea')).to.include({ type: 'result' });
      await b.line(/^(@\S+ )?:carol!carol@chatd AWAY :tea$/);
      b.client.raw('WHOIS carol');
      await b.line(/ 301 bob carol :tea/);
    });

    it('//quit in a PRIVMSG ends the session with an ERROR line too', async () => {
      const a = await irc('alice').ready();
      a.client.say('#lobby', '//quit');
      await a.line(/^ERROR :QUIT: goodbye$/);
    });

    it('QUIT: the others see it, the server answers ERROR and closes', async () => {
      const a = await irc('alice').ready();
      const b = await irc('bob').ready();
      a.client.quit('gone');
      await a.line(/^ERROR :/);
      await b.line(/^(@\S+ )?:alice!alice@chatd QUIT /);
    });

    it('a PRIVMSG with the prefix runs the chatd command and answers as NOTICEs', async () => {
      const a = await irc('alice').ready();
      a.client.say('#lobby', '//whoami');
      await a.line(/NOTICE alice :alice \(user, level 1\)/);
      a.client.say('#lobby', '//nosuch');
      await a.line(/NOTICE alice :UNKNOWN_COMMAND: /);
    });
  });
});
