// The enrollment service remembers which certificates of this process's logins and renewals are in
// the certificates table, so that a login does not write its certificate again. It forgot none: every
// certificate ever renewed or logged in with stayed for the life of the process, and one user renewing
// at the allowed rate (10 per 10 minutes, same key every time) added 1,440 a day. It is a cache of
// what the database knows, and keeps at most a bounded number now, the oldest forgotten first.
import { expect } from 'chai';
import { newKeyAndCsr } from '../../lib/client/keys.js';
import { withChatd } from '../helpers/chatd.js';

describe('e2e: the certificates a node remembers recording stay bounded', function () {
  this.timeout(60000);
  const t = withChatd({
    each: true,
    config: (w) => ({ caKey: `${w.certs}/ca.key`, limits: { floodBurst: 10_000, floodRate: 10_000 }, enroll: { attemptsPerIp: 100_000, attemptsWindowMs: 600_000, certDays: 90, warnDays: 14 } }),
  });

  it('after 60 renewals with a cap of 25, it remembers at most 25, the newest among them, and all 60 are recorded', async () => {
    const service = t.chatd.node.enroll as unknown as { recorded: Set<string>; recordedMax: number };
    service.recordedMax = 25; // the default (10,000) takes 10,000 renewals to reach
    const bob = await t.login('bob');
    const { csrPem } = await newKeyAndCsr('bob');
    let last = '';
    for (let i = 0; i < 60; i++) {
      bob.send({ type: 'renew', id: `r${i}`, csr: csrPem });
      const a = await bob.waitFor((f) => f.id === `r${i}`, 8000, `renewal ${i}`);
      expect(a.type, JSON.stringify(a)).to.equal('renewed');
      last = a.cert;
    }
    expect(service.recorded.size).to.be.at.most(25);
    const { X509Certificate } = await import('node:crypto');
    expect(service.recorded.has(new X509Certificate(last).fingerprint256)).to.equal(true);
    expect(await t.world.store.knex('certificates').where({ user: 'bob', source: 'renew' }).count({ n: '*' }).first()).to.deep.include({ n: 60 });
  });
});
