// `chat-admin purge --user` frees the name ("the old name is free again"), but the erased user's
// client certificates, CN = that name and signed by our CA, stayed valid: they were only renamed to
// deleted-<id> in `certificates`. Once the operator gave the name to someone new, the erased user's
// key was one of the new account's two factors (and with ircCertLogin, SASL EXTERNAL, the whole
// login). Purge now revokes every certificate recorded for the account, in its transaction.
import { expect } from 'chai';
import fs from 'node:fs';
import { issueClientCert } from '../../lib/auth/certs.js';
import { agedCert } from '../helpers/enroll.js';
import { runBin } from '../helpers/bin.js';
import { TestClient } from '../helpers/client.js';
import { withChatd } from '../helpers/chatd.js';
import { until } from '../helpers/wait.js';
import { tmpdir } from '../helpers/world.js';

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

  it('nor with one chatd never saw (made with chat-certs, never used to log in); one made for the new account logs in', async () => {
    const spare = tmpdir('bob-spare');
    try {
      for (const f of ['ca.crt', 'ca.key']) fs.copyFileSync(`${t.world.certs}/${f}`, `${spare}/${f}`);
      // Made a day ago and in no table: purge has nothing to revoke it by.
      fs.mkdirSync(`${spare}/clients`);
      const keyPem = fs.readFileSync(`${t.world.certs}/clients/bob.key`, 'utf8');
      fs.writeFileSync(`${spare}/clients/bob.crt`, agedCert(spare, 'bob', keyPem, 1, 30));
      fs.writeFileSync(`${spare}/clients/bob.key`, keyPem);
      const r = await runBin('chat-admin', ['purge', '--user', 'bob', '--yes', '--db', t.world.db]);
      expect(r.code, r.err).to.equal(0);
      const add = await runBin('chat-admin', ['user', 'add', 'bob', '--password-stdin', '--db', t.world.db], { input: 'New-bob-pass-1234\n' });
      expect(add.code, add.err).to.equal(0);
      const c = await TestClient.connect(t.port, t.world.certs, 'bob', { certDir: spare });
      expect(await c.login('bob', 'New-bob-pass-1234')).to.include({ type: 'error', code: 'CERT_REVOKED' });
      c.close();
      fs.rmSync(`${spare}/clients`, { recursive: true, force: true });
      await issueClientCert(spare, 'bob'); // the operator's certificate for the new bob
      const fresh = await TestClient.connect(t.port, t.world.certs, 'bob', { certDir: spare });
      expect(await fresh.login('bob', 'New-bob-pass-1234')).to.include({ type: 'login_ok' });
      fresh.close();
    } finally {
      fs.rmSync(spare, { recursive: true, force: true });
    }
  });
});
