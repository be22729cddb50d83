// //passwd in chat-cli (issue 19, items 1 and 4): the real binary against a real chatd. After a
// password change the client logs in again with the new password when the connection comes back;
// on a terminal the passwords never appear on the screen, whether typed inline or asked for.
import { expect } from 'chai';
import { flags, plain, pw, Run } from '../helpers/cli-run.js';
import { TestClient } from '../helpers/client.js';
import { TcpProxy } from '../helpers/proxy.js';
import { until } from '../helpers/wait.js';
import { withChatd } from '../helpers/chatd.js';
import { USERS } from '../helpers/world.js';

describe('e2e: chat-cli //passwd', function () {
  this.timeout(30000);
  const t = withChatd();
  const runs: Run[] = [];
  const track = (r: Run): Run => { runs.push(r); return r; };

  afterEach(() => { for (const r of runs.splice(0)) r.kill(); });

  /** A fresh client logs in with `password` (login_ok), or is refused. */
  async function logsIn(user: string, password: string): Promise<boolean> {
    const c = await TestClient.connect(t.port, t.world.certs, user);
    try { return (await c.login(user, password)).type === 'login_ok'; } finally { c.close(); }
  }

  it('after //passwd, chatd restarted: chat-cli logs in again with the new password', async () => {
    const fresh = 'Carol-new-pass-5678';
    const carol = track(Run.start(flags(t.world.certs, t.port, 'carol'), { env: pw('carol') }));
    await carol.waitErr(/logged in as carol/);
    carol.write(`//passwd ${USERS.carol!.password} ${fresh}\n`);
    await carol.waitOut(/password changed/);

    await t.stop();
    await carol.waitErr(/connection lost/);
    await t.restart();
    await carol.waitErr(/reconnected as carol/);
    carol.write('//whoami\n');
    await carol.waitOut(/^carol \(user, level 1\)/m);
    carol.end();
    expect(await carol.exit()).to.equal(0);
    expect(carol.err).to.not.match(/AUTH_FAILED/);
    expect(await logsIn('carol', fresh)).to.equal(true);
  });

  it('a //passwd whose answer was lost with the connection but took effect: the reconnect logs in with the new password', async () => {
    const fresh = 'Ali-new-pass-5678';
    const before = (await t.world.store.getUser('ali'))!.passwordHash;
    const proxy = new TcpProxy('127.0.0.1', t.port);
    const pport = await proxy.start();
    try {
      const ali = track(Run.start(flags(t.world.certs, pport, 'ali'), { env: pw('ali') }));
      await ali.waitErr(/logged in as ali/);
      proxy.deafen(); // chatd gets the line and answers; the answer never arrives
      ali.write(`//passwd ${USERS.ali!.password} ${fresh}\n`);
      await until(async () => (await t.world.store.getUser('ali'))!.passwordHash !== before, 8000, 'the new password hash stored');
      await proxy.cut();
      await ali.waitErr(/connection lost/);
      await proxy.restore();
      await ali.waitErr(/reconnected as ali/);
      await ali.waitErr(/\/\/passwd took effect before the connection dropped/);
      ali.write('//whoami\n');
      await ali.waitOut(/^ali \(moderator, level \d+\)/m);
      ali.end();
      expect(await ali.exit()).to.equal(0);
      expect(ali.out + ali.err).to.not.match(/AUTH_FAILED|old password is wrong/);
      expect(await logsIn('ali', fresh)).to.equal(true);
    } finally {
      await proxy.stop();
    }
  });

  it('on a terminal, //passwd with no arguments asks hidden (old once, new twice); after a network cut it logs in with the new one', async () => {
    const fresh = 'Alice-new-pass-5678';
    const proxy = new TcpProxy('127.0.0.1', t.port);
    const pport = await proxy.start();
    try {
      const alice = track(Run.start(flags(t.world.certs, pport, 'alice'), { pty: true, env: pw('alice') }));
      await alice.waitScreen(/#lobby> $/);
      alice.write('//passwd\r');
      await alice.waitScreen(/current password: $/);
      alice.write(`${USERS.alice!.password}\r`);
      await alice.waitScreen(/new password: $/);
      alice.write(`${fresh}\r`);
      await alice.waitScreen(/new password again: $/);
      alice.write(`${fresh}\r`);
      await alice.waitScreen(/password changed/);
      expect(alice.out).to.not.include(USERS.alice!.password);
      expect(alice.out).to.not.include(fresh);

      await proxy.cut();
      await alice.waitScreen(/connection lost/);
      await proxy.restore();
      await alice.waitScreen(/reconnected as alice/);
      expect(plain(alice.out)).to.not.match(/AUTH_FAILED/);
      expect(await logsIn('alice', fresh)).to.equal(true);
      expect(alice.out).to.not.include(fresh);
    } finally {
      await proxy.stop();
    }
  });

  it('on a terminal, the new passwords must match, and an empty answer or Ctrl-C cancels: nothing is sent or shown', async () => {
    const bob = track(Run.start(flags(t.world.certs, t.port, 'bob'), { pty: true, env: pw('bob') }));
    await bob.waitScreen(/#lobby> $/);
    bob.write('//passwd\r');
    await bob.waitScreen(/current password: $/);
    bob.write(`${USERS.bob!.password}\r`);
    await bob.waitScreen(/new password: $/);
    bob.write('Bob-first-try-1234\r');
    await bob.waitScreen(/new password again: $/);
    bob.write('Bob-other-try-1234\r');
    await bob.waitScreen(/the new passwords do not match; password not changed/);
    bob.write('//passwd\r');
    await bob.waitScreen(/current password: $/);
    bob.write('\r');
    await bob.waitScreen(/password not changed/);
    await bob.waitScreen(/#lobby> $/);
    // Ctrl-C in the middle of an answer cancels it, and what was typed goes with it.
    bob.write('//passwd\r');
    await bob.waitScreen(/current password: $/);
    bob.write('half-typed-secret\x03');
    await bob.waitScreen(/#lobby> $/);
    bob.write('after the cancel\r');
    await bob.waitScreen(/bob: after the cancel/);
    expect(bob.out).to.not.include('half-typed-secret');
    expect(bob.out).to.not.include('Bob-first-try-1234');
    expect(await logsIn('bob', USERS.bob!.password)).to.equal(true);
  });

  it('on a terminal, //passwd typed inline is masked as it is typed and kept out of the input history', async () => {
    const fresh = 'Dave-new-pass-5678';
    const dave = track(Run.start(flags(t.world.certs, t.port, 'dave'), { pty: true, env: pw('dave') }));
    await dave.waitScreen(/#lobby> $/);
    dave.write(`//passwd ${USERS.dave!.password} ${fresh}\r`);
    await dave.waitScreen(/password changed/);
    expect(dave.out).to.not.include(USERS.dave!.password);
    expect(dave.out).to.not.include(fresh);
    expect(plain(dave.out)).to.match(/\/\/passwd \*{14} \*{18}/);
    // Arrow up recalls the previous line: not the password change.
    dave.write('hello\r');
    await dave.waitScreen(/dave: hello/);
    const mark = dave.out.length;
    dave.write('\x1b[A\x1b[A~');
    await dave.until(() => /~|passwd/.test(plain(dave.out.slice(mark))), 'the recalled lines and the typed ~');
    expect(plain(dave.out.slice(mark))).to.not.include('passwd');
    expect(await logsIn('dave', fresh)).to.equal(true);
  });
});
