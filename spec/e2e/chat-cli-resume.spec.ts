// chat-cli and resume tokens (issue 18, reconnect storm): after chatd restarts, chat-cli logs in
// again with the token of its last login_ok, so chatd hashes no password; a token chatd refuses
// (a new key) is followed by the password, and the user sees nothing of it. Proven by chatd's own
// log line "login" and its `method`, not by timing. The real binary, a real chatd, real TLS.
import { expect } from 'chai';
import { flags, pw, Run } from '../helpers/cli-run.js';
import { withChatd } from '../helpers/chatd.js';
import { USERS } from '../helpers/world.js';
import { recordIssuedTokens } from '../helpers/hashes.js';

describe('e2e: chat-cli reconnects with its resume token', function () {
  this.timeout(30000);
  const t = withChatd({ each: true, logLevel: 'info' });
  const runs: Run[] = [];
  const track = (r: Run): Run => { runs.push(r); return r; };
  /** Every token chatd issued in this test: none may appear in what chat-cli prints. */
  const issued = recordIssuedTokens();
  beforeEach(() => {
    t.logs.length = 0; // the fixture keeps one log for the whole suite
  });
  afterEach(() => { for (const r of runs.splice(0)) r.kill(); });

  const lines = () => t.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
  const methods = (user: string) => lines().filter((l) => l.msg === 'login' && l.user === user).map((l) => l.method);
  const failed = (user: string) => lines().filter((l) => l.msg === 'login failed' && l.user === user).map((l) => l.code);
  const leaked = (r: Run) => issued.filter((tok) => r.out.includes(tok) || r.err.includes(tok) || r.out.includes(tok.split('.')[3]!));

  /** chatd stops and comes back on the same port and database; `between` runs while it is down. */
  async function restartUnder(r: Run, user: string, between?: () => Promise<unknown>): Promise<void> {
    const seen = r.err.length;
    await t.stop();
    await r.until(() => /connection lost/.test(r.err.slice(seen)), 'connection lost');
    await between?.();
    await t.restart();
    await r.until(() => new RegExp(`reconnected as ${user}`).test(r.err.slice(seen)), `reconnected as ${user}`);
  }

  it('after a chatd restart: logged in by token (chatd logs method resume), no failure, the token never printed', async () => {
    const bob = track(Run.start(flags(t.world.certs, t.port, 'bob'), { env: pw('bob') }));
    await bob.waitErr(/logged in as bob/);
    await restartUnder(bob, 'bob');
    bob.write('//whoami\n');
    await bob.waitOut(/^bob \(user, level 1\)/m);
    expect(methods('bob')).to.deep.equal(['password', 'resume']);
    expect(failed('bob')).to.deep.equal([]);
    expect(issued).to.have.length(3); // the login's, the bye SHUTDOWN's (the one used), the resumed login's
    expect(leaked(bob)).to.deep.equal([]);
    bob.end();
    expect(await bob.exit()).to.equal(0);
  });

  it('--json: the login_ok frames it prints carry no token', async () => {
    const carol = track(Run.start([...flags(t.world.certs, t.port, 'carol'), '--json'], { env: pw('carol') }));
    await carol.waitOut(/"type":"login_ok"/);
    await restartUnder(carol, 'carol');
    await carol.until(() => (carol.out.match(/"type":"login_ok"/g) ?? []).length === 2, 'the second login_ok');
    const oks = carol.out.split('\n').filter((l) => l.includes('"login_ok"')).map((l) => JSON.parse(l));
    expect(oks.map((f) => Object.keys(f).includes('resume'))).to.deep.equal([false, false]);
    expect(methods('carol')).to.deep.equal(['password', 'resume']);
    expect(leaked(carol)).to.deep.equal([]);
  });

  it("a new server key: the token is refused, the password follows on the same connection, and the user sees nothing of it", async () => {
    const bob = track(Run.start(flags(t.world.certs, t.port, 'bob'), { env: pw('bob') }));
    await bob.waitErr(/logged in as bob/);
    await restartUnder(bob, 'bob', () => t.world.store.knex('server_secrets').where({ name: 'resume-token' }).del());
    expect(methods('bob')).to.deep.equal(['password', 'password']);
    expect(failed('bob')).to.deep.equal(['AUTH_FAILED']); // the refused token, counted like any failure
    expect(bob.err).to.not.match(/AUTH_FAILED|refused|token/i);
    // The login_ok of the password brought a token made with the new key: the next restart uses it.
    await restartUnder(bob, 'bob');
    expect(methods('bob')).to.deep.equal(['password', 'password', 'resume']);
    expect(leaked(bob)).to.deep.equal([]);
  });

  it('//passwd forgets the token (chatd voided it): the next reconnect goes straight to the new password', async () => {
    const fresh = 'Dave-new-pass-5678';
    const dave = track(Run.start(flags(t.world.certs, t.port, 'dave'), { env: pw('dave') }));
    await dave.waitErr(/logged in as dave/);
    dave.write(`//passwd ${USERS.dave!.password} ${fresh}\n`);
    await dave.waitOut(/password changed/);
    // A network cut, not a restart: a bye SHUTDOWN would bring a fresh token, made over the new password.
    const seen = dave.err.length;
    for (const s of t.chatd.node.sessions) if (s.user?.name === 'dave') s.socket.destroy();
    await dave.until(() => /reconnected as dave/.test(dave.err.slice(seen)), 'reconnected as dave');
    expect(methods('dave')).to.deep.equal(['password', 'password']);
    expect(failed('dave')).to.deep.equal([]);
    await restartUnder(dave, 'dave');
    expect(methods('dave')).to.deep.equal(['password', 'password', 'resume']);
  });
});
