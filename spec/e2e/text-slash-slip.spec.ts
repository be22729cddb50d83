// A text-mode user (openssl s_client) who types a command with one slash, as in IRC, sent it to the
// room as a message: "/passwd <old> <new>" reached every member and stayed in the room's history.
// chat-cli catches that slip on the client side; in text mode the server is the only UI there is.
import { expect } from 'chai';
import { withChatd } from '../helpers/chatd.js';
import { TestClient } from '../helpers/client.js';

describe('e2e: text mode, a command typed with one slash', function () {
  this.timeout(30000);
  const t = withChatd();

  it('"/passwd old new" is not sent, nor kept in history; the answer names //passwd and not the password', async () => {
    const bob = await t.login('bob');
    const alice = await t.connect('alice', { alpn: false });
    await alice.textLogin('alice');
    const from = alice.text.length;
    alice.send('/passwd Alice-pass-1234 New-pass-56789');
    await alice.waitText(/error UNKNOWN_COMMAND: did you mean \/\/passwd\?.*\n/, 5000, from);
    expect(alice.text.slice(from)).to.not.include('Alice-pass-1234').and.not.include('New-pass-56789');
    // Anything invisible in front does not make it a message either; uppercase neither.
    alice.send('\u200b/PASSWD Alice-pass-1234 New-pass-56789');
    alice.send('after');
    const next = await bob.waitFor((f) => f.type === 'message' && f.from.name === 'alice', 5000, "alice's next message");
    expect(next.text).to.equal('after');
    const hist = await bob.command('//history 10');
    expect(JSON.stringify(hist)).to.not.include('Alice-pass');
    expect(JSON.stringify(bob.frames)).to.not.include('Alice-pass');
    // The password was not changed either: the old one still logs in.
    const again = await t.connect('alice', { alpn: false });
    await again.textLogin('alice', 'Alice-pass-1234');
  });

  it('a leading space sends it as text; a slash word that is no command is text', async () => {
    const bob = await t.login('bob');
    const alice = await t.connect('alice', { alpn: false });
    await alice.textLogin('alice');
    alice.send(' /me is text on purpose');
    const m1 = await bob.waitFor((f) => f.type === 'message' && f.from.name === 'alice', 5000, 'the spaced line');
    expect(m1.text).to.equal('/me is text on purpose');
    alice.send('/shrug');
    const m2 = await bob.waitFor((f) => f.type === 'message' && f.from.name === 'alice', 5000, '/shrug');
    expect(m2.text).to.equal('/shrug');
    alice.send('//me waves');
    const m3 = await bob.waitFor((f) => f.type === 'message' && f.from.name === 'alice', 5000, '//me');
    expect(m3).to.include({ kind: 'me', text: 'waves' });
  });

  it('with --prefix !, "/passwd …" is refused as a slip for !passwd', async () => {
    const s = await t.start({ prefix: '!' });
    const alice = await TestClient.connect(s.address.port, t.world.certs, 'alice', { alpn: false });
    try {
      await alice.textLogin('alice');
      const from = alice.text.length;
      alice.send('/passwd Alice-pass-1234 New-pass-56789');
      await alice.waitText(/error UNKNOWN_COMMAND: did you mean !passwd\? not sent; to send a line that starts with "\/passwd" as text, begin it with a space\n/, 5000, from);
    } finally { alice.close(); }
  });
});
