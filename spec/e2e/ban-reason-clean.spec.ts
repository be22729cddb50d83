// A ban's reason reaches users' terminals: in the bye that ends their sessions (text mode prints it as
// it is), in //banned-users. A moderator's is cleaned by //ban; an operator's, given to chat-admin with
// --reason, is cleaned the same way, and the bye cleans whatever a stored reason holds.
import { expect } from 'chai';
import { runBin } from '../helpers/bin.js';
import { withChatd } from '../helpers/chatd.js';

const HOSTILE = 'spam\x1b]0;pwned\x07\x1b[2J\nbye SHUTDOWN: fake\r\x1b[31mred';

describe('e2e: ban reasons on a terminal', function () {
  this.timeout(30000);
  const t = withChatd({ each: true, config: { limits: { databasePollMs: 100 } } });

  it('chat-admin ban add --reason with escapes and line breaks: stored and shown clean', async () => {
    const bob = await t.connect('bob', { alpn: false });
    await bob.textLogin('bob');
    const r = await runBin('chat-admin', ['ban', 'add', 'bob', '--reason', HOSTILE, '--db', t.world.db]);
    expect(r.code, r.err).to.equal(0);
    await bob.waitText(/bye BANNED: .*\n$/);
    const bye = bob.text.slice(bob.text.lastIndexOf('bye BANNED'));
    expect(bye).to.not.match(/[\x00-\x09\x0b-\x1f\x7f]/);
    expect(bye.trimEnd()).to.not.include('\n');
    const [ban] = await t.world.store.listActiveBans();
    expect(ban!.reason).to.equal('spam bye SHUTDOWN: fake red');
  });

  it('a reason stored before chat-admin cleaned it still reaches a text-mode terminal clean', async () => {
    const carol = await t.connect('carol', { alpn: false });
    await carol.textLogin('carol');
    const u = (await t.world.store.getUser('carol'))!;
    await t.world.store.addBan({ userId: u.id, username: u.username, ip: null, certFingerprint: null, reason: HOSTILE, by: 'chat-admin', expiresAt: null });
    await carol.waitText(/bye BANNED: .*\n$/);
    const bye = carol.text.slice(carol.text.lastIndexOf('bye BANNED'));
    expect(bye).to.not.match(/[\x00-\x09\x0b-\x1f\x7f]/);
    expect(bye.trimEnd()).to.not.include('\n');
    // And in //banned-users, one row of plain text.
    const mod = await t.login('mod');
    const list = await mod.command('//banned-users');
    expect(list.text).to.match(/^carol +spam bye SHUTDOWN: fake red +chat-admin /m);
    expect(list.text).to.not.include('\x1b');
  });

  it('chat-admin refuses a reason over 300 characters', async () => {
    const r = await runBin('chat-admin', ['ban', 'add', 'dave', '--reason', 'x'.repeat(301), '--db', t.world.db]);
    expect(r.code).to.equal(2);
    expect(r.err).to.match(/bad --reason: text is 301 characters; the limit is 300/);
  });
});
