// `chat-admin user list` says "locked" for the names chatd has locked after failed logins: the per-name
// locks in login_locks (lib/auth/counters.ts, persisted by lib/auth/login.ts), not users.locked_until,
// which nothing sets any more.
import { expect } from 'chai';
import { runBin } from '../helpers/bin.js';
import { withChatd } from '../helpers/chatd.js';

describe('chat-admin user list: login locks', () => {
  const t = withChatd({ server: false });

  it('shows a name locked while its login lock lasts, active once it has ended', async () => {
    const now = Date.now();
    await t.world.store.setLoginLock('bob', now + 60_000, now);
    await t.world.store.setLoginLock('carol', now - 1, now - 60_000);
    const list = await runBin('chat-admin', ['user', 'list', '--db', t.world.db]);
    expect(list.code, list.err).to.equal(0);
    expect(list.out).to.match(/^bob\s+user\s+1\s+locked/m);
    expect(list.out).to.match(/^carol\s+user\s+1\s+active/m);
    expect(list.out).to.match(/^alice\s+user\s+1\s+active/m);
  });
});
