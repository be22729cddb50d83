// Issue 19 item 8, chat-cli's input line: a lone "/me …" (one slash, naming a command) is a likely
// slip and is not posted as text; Tab completes command names after //help.
import { expect } from 'chai';
import type { Chatd } from '../../lib/app.js';
import { complete } from '../../lib/client/ui.js';
import { flags, plain, pw, Run } from '../helpers/cli-run.js';
import { TestClient } from '../helpers/client.js';
import { makeWorld, startServer, type World } from '../helpers/world.js';

describe('chat-cli completion of //help <command>', () => {
  it('completes command names after //help, not user names', () => {
    expect(complete('//help jo', '//', ['help', 'join', 'me'], ['joe'])).to.deep.equal([['join '], 'jo']);
    expect(complete('//help ', '//', ['help', 'join'], ['joe'])).to.deep.equal([['help', 'join'], '']);
    expect(complete('//help //jo', '//', ['join'], [])).to.deep.equal([['//join '], '//jo']);
    expect(complete('//msg jo', '//', ['join'], ['joe'])).to.deep.equal([['joe '], 'jo']);
  });
});

describe('e2e: chat-cli input slips', function () {
  this.timeout(30000);
  let world: World;
  let chatd: Chatd;
  const runs: Run[] = [];
  const clients: TestClient[] = [];

  before(async () => {
    world = await makeWorld();
    chatd = await startServer(world);
  });
  afterEach(() => {
    for (const r of runs.splice(0)) r.kill();
    for (const c of clients.splice(0)) c.close();
  });
  after(async () => {
    await chatd?.stop();
    await world?.drop();
  });

  it('"/me waves" is not posted: chat-cli asks "did you mean //me?" with the line ready to send', async () => {
    const bob = await TestClient.loggedIn(chatd.address.port, world.certs, 'bob');
    clients.push(bob);
    const alice = Run.start(flags(world.certs, chatd.address.port, 'alice'), { pty: true, env: pw('alice') });
    runs.push(alice);
    // The ready prompt (not "(offline) #lobby> " while logging in) comes once chat-cli has the
    // command list, which it asks for with //help after login: Tab on //he shows it is there.
    await alice.waitScreen(/(?<!\(offline\) )#lobby> $/);
    alice.write('//he\t');
    await alice.until(() => plain(alice.out).endsWith('#lobby> //help '), 'completion of //he');
    alice.write('jo\t');
    await alice.until(() => plain(alice.out).endsWith('#lobby> //help join '), 'completion of //help jo');
    alice.write('\r');
    await alice.waitScreen(/usage: \/\/join <room>/);

    alice.write('/me waves\r');
    await alice.waitScreen(/did you mean \/\/me\? .*leading space/);
    await alice.until(() => plain(alice.out).endsWith('#lobby> //me waves'), 'the corrected line in the input');
    alice.write('\r');
    const me = await bob.waitFor((f) => f.type === 'message' && f.from?.name === 'alice', 5000, 'alice\'s action');
    expect(me).to.include({ kind: 'me', text: 'waves' });

    // A leading space sends it as text, as the hint says; a slash word that names no command is text too.
    alice.write(' /me is literal\r');
    expect(await bob.waitFor((f) => f.type === 'message' && f.from?.name === 'alice', 5000, 'literal')).to.include({ kind: 'say', text: '/me is literal' });
    alice.write('/usr/bin is a path\r');
    expect(await bob.waitFor((f) => f.type === 'message' && f.from?.name === 'alice', 5000, 'path')).to.include({ text: '/usr/bin is a path' });
  });
});
