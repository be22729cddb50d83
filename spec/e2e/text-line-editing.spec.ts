// What a terminal sends when its line discipline does not edit the line for it (a raw terminal,
// `socat -,rawer`, an erase key the tty does not know): the erase characters themselves. Text mode
// used the login name, the password and chat lines with them in: a corrected password never matched.
import { expect } from 'chai';
import { withChatd } from '../helpers/chatd.js';

describe('e2e: text mode, backspace and DEL in a line', function () {
  this.timeout(30000);
  const t = withChatd();

  it('erase the character before them: in the login name, the password and a chat line', async () => {
    const bob = await t.login('bob');
    const alice = await t.connect('alice', { alpn: false });
    await alice.waitText(/login: $/);
    alice.send('alicx\x7fe');
    await alice.waitText(/password: $/);
    alice.send('Alice-pass-12x\x0834\x7f\x7f34'); // BS from one terminal, DEL from another
    await alice.waitText(/logged in as alice/);
    alice.send('\x7fhex\x7fllo');
    const m = await bob.waitFor((f) => f.type === 'message' && f.from.name === 'alice', 5000, "alice's line");
    expect(m.text).to.equal('hello');
  });

  it('an empty answer at the password prompt asks again, and costs no try (no password is empty)', async () => {
    const alice = await t.connect('alice', { alpn: false });
    await alice.waitText(/login: $/);
    alice.send('alice');
    await alice.waitText(/password: $/);
    for (let i = 0; i < 3; i++) { // as many as the tries a session has
      const from = alice.text.length;
      alice.send('');
      await alice.waitText(/^\s*password: $/, 5000, from);
    }
    alice.send('Alice-pass-1234');
    await alice.waitText(/logged in as alice/);
  });

  it('a character is a code point: one DEL erases "é" or an emoji whole', async () => {
    const bob = await t.login('bob');
    const alice = await t.connect('alice', { alpn: false });
    await alice.textLogin('alice');
    alice.send('caf\u00e9\u{1f600}\x7f\x7fe!');
    const m = await bob.waitFor((f) => f.type === 'message' && f.from.name === 'alice', 5000, "alice's line");
    expect(m.text).to.equal('cafe!');
  });
});

describe('e2e: text mode, line ends', function () {
  this.timeout(30000);
  const t = withChatd();

  it('a bare CR ends a line (Enter on a raw terminal), as LF and CR LF do', async () => {
    const bob = await t.login('bob');
    const alice = await t.connect('alice', { alpn: false });
    await alice.waitText(/login: $/);
    alice.sock.write('alice\r');
    await alice.waitText(/password: $/);
    alice.sock.write('Alice-pass-1234\r');
    await alice.waitText(/logged in as alice/);
    alice.sock.write('one\rtwo\r');
    const one = await bob.waitFor((f) => f.type === 'message' && f.from.name === 'alice', 5000, 'one');
    const two = await bob.waitFor((f) => f.type === 'message' && f.from.name === 'alice', 5000, 'two');
    expect([one.text, two.text]).to.deep.equal(['one', 'two']);
  });

  it('CR LF split between two records, and telnet\'s CR NUL, are one line end each', async () => {
    const bob = await t.login('bob');
    const alice = await t.connect('alice', { alpn: false });
    await alice.waitText(/login: $/);
    alice.sock.write('alice\r');
    await alice.waitText(/password: $/);
    // The LF of the name's CR LF comes with the password: it must not be an empty password.
    alice.sock.write('\nAlice-pass-1234\r\0');
    await alice.waitText(/logged in as alice/);
    alice.sock.write('three\r\0four\r\n');
    const three = await bob.waitFor((f) => f.type === 'message' && f.from.name === 'alice', 5000, 'three');
    const four = await bob.waitFor((f) => f.type === 'message' && f.from.name === 'alice', 5000, 'four');
    expect([three.text, four.text]).to.deep.equal(['three', 'four']);
    expect(alice.text).to.not.include('AUTH_FAILED');
  });
});
