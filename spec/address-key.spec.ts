// Per-address limits count an IPv6 client by its /64 (limits.ipv6PrefixLength) and an IPv4-mapped
// address as the IPv4 address it is: lib/address-key.ts.
import { expect } from 'chai';
import { addressKey } from '../lib/address-key.js';
import { MemoryCounters } from '../lib/auth/counters.js';
import { buildConfig, DEFAULT_LIMITS } from '../lib/config.js';
import { withChatd } from './helpers/chatd.js';
import { TestClient } from './helpers/client.js';

describe('addressKey', () => {
  it('keeps an IPv4 address as it is', () => {
    expect(addressKey('203.0.113.7', 64)).to.equal('203.0.113.7');
  });

  it('counts an IPv4-mapped IPv6 address as its IPv4 address, in either spelling', () => {
    expect(addressKey('::ffff:203.0.113.7', 64)).to.equal('203.0.113.7');
    expect(addressKey('::ffff:cb00:7107', 64)).to.equal('203.0.113.7');
    expect(addressKey('0:0:0:0:0:ffff:203.0.113.7', 128)).to.equal('203.0.113.7');
  });

  it('keys IPv6 addresses by their first 64 bits, however they are written', () => {
    const key = '2001:db8:1:2:0:0:0:0/64';
    for (const a of ['2001:db8:1:2::1', '2001:db8:1:2:ffff:ffff:ffff:ffff', '2001:0DB8:0001:0002:abcd::', '2001:db8:1:2::1%eth0']) {
      expect(addressKey(a, 64), a).to.equal(key);
    }
    expect(addressKey('2001:db8:1:3::1', 64)).to.not.equal(key);
    expect(addressKey('::1', 64)).to.equal('0:0:0:0:0:0:0:0/64');
  });

  it('takes other prefix lengths, a 16-bit word cut in the middle included', () => {
    expect(addressKey('2001:db8:1:2::1', 128)).to.equal('2001:db8:1:2:0:0:0:1/128');
    expect(addressKey('2001:db8:1:2::1', 48)).to.equal('2001:db8:1:0:0:0:0:0/48');
    expect(addressKey('2001:db8:12ff::1', 40)).to.equal('2001:db8:1200:0:0:0:0:0/40');
    expect(addressKey('2001:db8::1', 0)).to.equal('0:0:0:0:0:0:0:0/0');
  });

  it('leaves what is not an IP address alone (a key already made, or "?")', () => {
    expect(addressKey('?', 64)).to.equal('?');
    expect(addressKey('2001:db8:1:2:0:0:0:0/64', 64)).to.equal('2001:db8:1:2:0:0:0:0/64');
  });

  it('is a setting of its own: a whole number 0-128', () => {
    expect(buildConfig().limits.ipv6PrefixLength).to.equal(64);
    expect(buildConfig({ limits: { ipv6PrefixLength: 56 } }).limits.ipv6PrefixLength).to.equal(56);
    expect(() => buildConfig({ limits: { ipv6PrefixLength: 129 } })).to.throw(/ipv6PrefixLength must be a whole number 0-128/);
    expect(() => buildConfig({ limits: { ipv6PrefixLength: 64.5 } })).to.throw(/ipv6PrefixLength/);
  });
});

describe('the failed-login throttle per address', () => {
  it('one IPv6 /64 shares one budget; another /64 has its own', async () => {
    const c = new MemoryCounters({ ...DEFAULT_LIMITS, loginIpBurst: 2, loginIpRate: 0.001 });
    expect([await c.takeIp('2001:db8::1'), await c.takeIp('2001:db8::2'), await c.takeIp('2001:db8::ffff:3')]).to.deep.equal([true, true, false]);
    expect(await c.takeIp('2001:db8:0:1::1')).to.equal(true);
    await c.returnIp('2001:db8::99');
    expect(await c.takeIp('2001:db8::4')).to.equal(true);
  });

  it('with ipv6PrefixLength 128 every IPv6 address is its own', async () => {
    const c = new MemoryCounters({ ...DEFAULT_LIMITS, loginIpBurst: 1, loginIpRate: 0.001, ipv6PrefixLength: 128 });
    expect([await c.takeIp('2001:db8::1'), await c.takeIp('2001:db8::2'), await c.takeIp('2001:db8::1')]).to.deep.equal([true, true, false]);
  });
});

describe('e2e: the connection cap on a dual-stack listener', function () {
  this.timeout(30000);
  // On '::' Linux reports IPv4 clients as ::ffff:a.b.c.d. Were those taken as IPv6, every IPv4
  // client would fall into ::/64 and one address's cap would shut out all of them.
  const t = withChatd({ config: { host: '::', limits: { maxConnPerIp: 1 } } });

  it('two IPv4 clients have a cap each; a second connection from one of them is refused', async () => {
    const a = await TestClient.connect(t.port, t.world.certs, 'alice', { from: '127.0.0.1' });
    const b = await TestClient.connect(t.port, t.world.certs, 'bob', { from: '127.0.0.2' });
    try {
      await a.waitFor((f) => f.type === 'welcome');
      await b.waitFor((f) => f.type === 'welcome');
      // Refused on the TCP socket, before any TLS: the handshake never completes.
      const refused = await TestClient.connect(t.port, t.world.certs, 'carol', { from: '127.0.0.1' }).then((c) => { c.sock.destroy(); return false; }, () => true);
      expect(refused).to.equal(true);
    } finally {
      a.sock.destroy();
      b.sock.destroy();
    }
  });
});
