// Issue 19 item 4, server side: text mode (openssl s_client) gets no escape sequence unless colour was
// asked for, by the operator (textColor / --text-color on) or by the session (//textcolor on).
import { expect } from 'chai';
import { buildConfig } from '../../lib/config.js';
import { exited, startBin } from '../helpers/bin.js';
import { withChatd } from '../helpers/chatd.js';
import { TestClient } from '../helpers/client.js';
import { makeWorld, type World } from '../helpers/world.js';

describe('e2e: colour in text mode is asked for, never assumed', function () {
  this.timeout(30000);
  const t = withChatd();

  it('plain by default: no escape byte from the welcome to a chat line; //textcolor on and off per session', async () => {
    const c = await t.connect('alice', { alpn: false });
    await c.textLogin('alice');
    const bob = await t.login('bob');
    await bob.say('plain please');
    await c.waitText(/\d\d:\d\d:\d\d #lobby bob: plain please\n/);
    expect(c.text).to.not.include('\x1b');
    // No telnet negotiation either (IAC, 0xFF, arrives as U+FFFD): s_client would print it.
    expect(c.text).to.not.include('\ufffd');
    c.send('//textcolor on');
    await c.waitText(/colou?rs on/);
    await bob.say('now in colour');
    await c.waitText(/#lobby \x1b\[36mbob\x1b\[39m: now in colour/);
    c.send('//textcolor off');
    const from = c.text.length;
    await c.waitText(/colou?rs off/, 5000, from);
    await bob.say('plain again');
    await c.waitText(/#lobby bob: plain again\n/, 5000, from);
    expect(c.text.slice(from)).to.not.include('\x1b');
  });

  it('textColor: true colours text sessions from the start', async () => {
    const s = await t.start({ textColor: true });
    const c = await TestClient.connect(s.address.port, t.world.certs, 'carol', { alpn: false });
    try {
      await c.textLogin('carol');
      await c.waitText(/logged in as \x1b\[36mcarol\x1b\[39m/);
    } finally { c.close(); }
  });

  it('textColor must be a boolean', () => {
    expect(() => buildConfig({ textColor: 'yes' as never })).to.throw(/textColor must be true or false/);
  });
});

describe('e2e: chatd --text-color on', function () {
  this.timeout(30000);
  let world: World;
  before(async () => { world = await makeWorld(); });
  after(async () => { await world?.drop(); });

  it('colours text mode; --text-color bogus is bad usage', async () => {
    const chatd = await startBin('chatd', ['--cert', `${world.certs}/server.crt`, '--key', `${world.certs}/server.key`, '--ca', `${world.certs}/ca.crt`,
      '--db', world.db, '--port', '0', '--text-color', 'on']);
    try {
      const port = Number(/listening on [\d.]+:(\d+)/.exec(chatd.output())![1]);
      const c = await TestClient.connect(port, world.certs, 'dave', { alpn: false });
      await c.textLogin('dave');
      await c.waitText(/logged in as \x1b\[36mdave\x1b\[39m/);
      c.close();
    } finally {
      chatd.kill('SIGTERM');
      await exited(chatd);
    }
    const bad = await import('../helpers/bin.js').then((b) => b.runBin('chatd', ['--text-color', 'bogus']));
    expect(bad.code).to.equal(2);
  });
});
