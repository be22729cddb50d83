// The failed-login log (SECURITY.md, for fail2ban) is rate limited so that a flood cannot fill the
// disk. Its budget was one for everybody: a single address sending wrong logins that chatd refuses
// without a hash (RATE_LIMITED, AUTH_LOCKED: free for the sender, 5 a second on each of its 100
// connections) used it all up, and every other address's failures went unlogged, so a guesser
// elsewhere was never banned. Each address now has a budget of its own inside the global one.
import { expect } from 'chai';
import { TestClient, type Frame } from '../helpers/client.js';
import { withChatd } from '../helpers/chatd.js';
import { until } from '../helpers/wait.js';

const lines = (logs: string[], remote: string) => logs.filter((l) => l.includes('"msg":"login failed"') && l.includes(`"remote":"${remote}"`));

describe('e2e: one address flooding failed logins does not hide other addresses\' failures', function () {
  this.timeout(30_000);
  const t = withChatd({ logLevel: 'warn' });

  it('logs a failure from another address in the middle of 400 refused logins from one', async () => {
    const flooder = '127.0.0.31';
    const cs = await Promise.all(Array.from({ length: 20 }, () => TestClient.connect(t.port, t.world.certs, 'carol', { from: flooder })));
    const guesser = await TestClient.connect(t.port, t.world.certs, 'dave', { from: '127.0.0.32' });
    try {
      await Promise.all([...cs, guesser].map((c) => c.waitFor((f) => f.type === 'welcome')));
      // 20 logins per connection (the flood burst, so none is dropped before the login check), from
      // 10 connections, then 10 more at the moment the guesser tries a password.
      const flood = (c: TestClient, k: number) => c.send(Array.from({ length: 20 }, (_, i) => JSON.stringify({ type: 'login', user: 'carol', password: `wrong-${k}-${i}-pw`, id: `f${i}` })).join('\n'));
      const refused = (c: TestClient) => c.frames.filter((f: Frame) => f.type === 'error' && String(f.id).startsWith('f')).length;
      cs.slice(0, 10).forEach(flood);
      await until(async () => cs.slice(0, 10).every((c) => refused(c) === 20), 20_000, 'the first wave answered');
      cs.slice(10).forEach((c, k) => flood(c, k + 10));
      guesser.send({ type: 'login', user: 'dave', password: 'not-daves-password', id: 'G' });
      await until(async () => cs.every((c) => refused(c) === 20), 20_000, 'the second wave answered');
      expect((await guesser.waitFor((f) => f.id === 'G')).code).to.equal('AUTH_FAILED');
      const codes = new Set(cs.flatMap((c) => c.frames.filter((f: Frame) => f.type === 'error').map((f: Frame) => f.code)));
      expect([...codes]).to.include('RATE_LIMITED');

      await until(async () => lines(t.logs, '127.0.0.32').length > 0, 3000, 'the guesser\'s failed login in the log');
      expect(lines(t.logs, '127.0.0.32')[0]).to.contain('"code":"AUTH_FAILED","user":"dave"');
      // The flooder is in the log (fail2ban can ban it), but not 400 times.
      expect(lines(t.logs, flooder).length).to.be.within(5, 50);
    } finally {
      guesser.close();
      for (const c of cs) c.close();
    }
  });
});
