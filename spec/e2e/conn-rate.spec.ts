// A handshake flood from one address. maxConnPerIp counts connections held at once, but a client that
// connects, handshakes and closes in a loop holds few at a time, and makes chatd do a full handshake
// each time (the server's signature and key exchange, ~1-3 ms of the event loop, against a client's
// cheap share): one address with a loop of 20 and no certificate at all got 435 handshakes/s and ~40%
// of chatd's core. New connections per address are rate limited on the raw TCP socket, before any
// TLS work (limits.connIpBurst, limits.connIpRate), on both ports together.
import { expect } from 'chai';
import { TestClient } from '../helpers/client.js';
import { withChatd } from '../helpers/chatd.js';
import { probe } from '../helpers/tls-probe.js';
import { until } from '../helpers/wait.js';

/** Did a connection from `from` get through the TLS handshake? (A refused one is closed before it.) */
async function handshakes(port: number, certs: string, from: string, certOf: string | null = 'alice'): Promise<boolean> {
  const r = await probe(port, certs, { from, certOf }, 5000);
  return r.protocol !== null;
}

describe('e2e: new connections per address are rate limited before the TLS handshake', function () {
  this.timeout(30_000);
  const t = withChatd({ server: false, logLevel: 'warn' });

  it('refuses an address past its burst before TLS, keeps its session, lets other addresses in, and lets it in again as the bucket refills', async () => {
    const chatd = await t.start({ limits: { connIpBurst: 3, connIpRate: 1 } });
    const port = chatd.address.port;
    const from = '127.0.0.21';
    const alice = await TestClient.loggedIn(port, t.world.certs, 'alice', { from });
    try {
      // The login took one of 3; within the same second two more pass, and the next ones are refused.
      const got: boolean[] = [];
      for (let i = 0; i < 4; i++) got.push(await handshakes(port, t.world.certs, from));
      expect(got.slice(0, 2)).to.deep.equal([true, true]);
      expect(got.slice(2)).to.include(false);
      // The session already in is untouched; another address is not affected.
      expect((await alice.command('//whoami')).type).to.equal('result');
      expect(await handshakes(port, t.world.certs, '127.0.0.22')).to.equal(true);
      // Refused within the refusal log's budget, under its own code.
      expect(t.logs.some((l) => l.includes('"msg":"tls handshake refused"') && l.includes('"code":"CONN_RATE_PER_IP"') && l.includes(from))).to.equal(true);
      // 1 per second refills: the address gets in again.
      await until(() => handshakes(port, t.world.certs, from), 5000, 'a connection after the refill', 300);
    } finally { alice.close(); }
  });

  it('with the default limits, a loop of handshakes from one address (no certificate) is cut off', async () => {
    const chatd = await t.start();
    const port = chatd.address.port;
    let ok = 0;
    let refusedAt = -1;
    for (let i = 0; i < 300 && refusedAt < 0; i++) {
      if (await handshakes(port, t.world.certs, '127.0.0.23', null)) ok++; else refusedAt = i;
    }
    expect(refusedAt, 'never refused').to.be.greaterThan(-1);
    expect(ok).to.be.within(100, 250); // the burst (100) and what refilled meanwhile (10/s)
    // Another address still gets a handshake at once.
    expect(await handshakes(port, t.world.certs, '127.0.0.24')).to.equal(true);
  });

  it('does not limit the host itself (127.0.0.1): health checks, a local proxy and the operator\'s tools connect from there', async () => {
    const chatd = await t.start({ limits: { connIpBurst: 2, connIpRate: 0.1 } });
    for (let i = 0; i < 6; i++) expect(await handshakes(chatd.address.port, t.world.certs, '127.0.0.1'), `connection ${i + 1}`).to.equal(true);
    expect(await handshakes(chatd.address.port, t.world.certs, '127.0.0.25')).to.equal(true);
    expect(await handshakes(chatd.address.port, t.world.certs, '127.0.0.25')).to.equal(true);
    expect(await handshakes(chatd.address.port, t.world.certs, '127.0.0.25')).to.equal(false);
  });
});
