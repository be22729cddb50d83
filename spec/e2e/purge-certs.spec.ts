// `chat-admin purge --user` frees the name ("the old name is free again"), but the erased user's
// client certificates, CN = that name and signed by our CA, stayed valid: they were only renamed to
// deleted-<id> in `certificates`. Once the operator gave the name to someone new, the erased user's
// key was one of the new account's two factors (and with ircCertLogin, SASL EXTERNAL, the whole
// login). Purge now revokes every certificate recorded for the account, in its transaction.
import { expect } from 'chai';
import { runBin } from '../helpers/bin.js';
import { TestClient } from '../helpers/client.js';
import { withChatd } from '../helpers/chatd.js';
import { until } from '../helpers/wait.js';

describe('e2e: chat-admin purge revokes the erased account\'s certificates', function () {
  this.timeout(30_000);
  const t = withChatd({ config: { limits: { databasePollMs: 200 } } });

  it('a new account under the freed name cannot be logged into with the old certificate', async () => {
    const old = await t.login('alice');
    const k = t.world.store.knex;
    // Every certificate seen at a login is recorded (source chat-certs).
    await until(async () => (await k('certificates').where({ user: 'alice' })).length > 0, 5000, 'alice\'s certificate recorded');
    const [{ fingerprint }] = await k('certificates').where({ user: 'alice' }).select('fingerprint');

    const r = await runBin('chat-admin', ['purge', '--user', 'alice', '--yes', '--db', t.world.db]);
    expect(r.code, r.err).to.equal(0);
    await old.waitClosed(5000);

    // The operator gives the name to someone new.
    const add = await runBin('chat-admin', ['user', 'add', 'alice', '--password-stdin', '--db', t.world.db], { input: 'New-alice-pass-1234\n' });
    expect(add.code, add.err).to.equal(0);

    // The erased user's key, with the new account's password: refused as revoked.
    const c = await TestClient.connect(t.port, t.world.certs, 'alice');
    expect(await c.login('alice', 'New-alice-pass-1234')).to.include({ type: 'error', code: 'CERT_REVOKED' });
    c.close();
    expect(await k('revoked_certs').where({ fingerprint })).to.have.length(1);
    const shown = await runBin('chat-admin', ['cert', 'list', '--db', t.world.db]);
    expect(shown.out).to.contain(fingerprint);
  });
});
