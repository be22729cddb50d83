// Issue 19 item 2 (handshake side): every refused TLS handshake is logged once, with the reason, the
// remote address and, when chatd has the certificate in hand, its subject and fingerprint; a flood of
// refusals is logged within a budget and summarized.
import { expect } from 'chai';
import fs from 'node:fs';
import net from 'node:net';
import type { Chatd } from '../../lib/app.js';
import { fingerprintOfPem, initCertDir, issueClientCert } from '../../lib/auth/certs.js';
import { Logger } from '../../lib/log.js';
import { RefusalLog, REFUSAL_LOG_ADDRESS_BURST, REFUSAL_LOG_BURST, REFUSAL_LOG_PER_SECOND } from '../../lib/tls-refusals.js';
import { probe } from '../helpers/tls-probe.js';
import { withChatd } from '../helpers/chatd.js';
import { deadline, until } from '../helpers/wait.js';
import { startServer, tmpdir } from '../helpers/world.js';

type Line = Record<string, any>;

/** A logger whose lines can be awaited. */
class Lines {
  readonly all: Line[] = [];
  private waiters: Array<() => boolean> = [];
  readonly logger = new Logger('info', (l) => { this.all.push(JSON.parse(l)); this.waiters = this.waiters.filter((w) => !w()); });

  refusals(): Line[] { return this.all.filter((l) => l.msg === 'tls handshake refused'); }

  /** Waits until `n` refusal lines have been logged since `from` (an index into all). */
  waitRefusals(n: number, from: number, ms = 5000): Promise<Line[]> {
    return deadline(ms, () => `no ${n} refusal line(s) in ${ms} ms: ${JSON.stringify(this.all.slice(from)).slice(-600)}`, (resolve) => {
      const test = () => {
        const got = this.all.slice(from).filter((l) => l.msg === 'tls handshake refused');
        if (got.length >= n) { resolve(got); return true; }
        return false;
      };
      if (!test()) this.waiters.push(test);
      return () => { this.waiters = this.waiters.filter((w) => w !== test); };
    });
  }
}

describe('e2e: refused TLS handshakes are logged', function () {
  this.timeout(60000);
  const lines = new Lines();
  const t = withChatd({ logger: lines.logger });
  let foreign: string;
  let optional: Chatd;

  before(async () => {
    foreign = tmpdir('foreign-ca');
    await initCertDir(foreign, ['localhost'], {});
    await issueClientCert(foreign, 'alice', {});
    // A second chatd on the suite's world for all its tests (t.start would stop it after one).
    optional = await startServer(t.world, { clientCert: 'optional' }, lines.logger);
  });
  after(async () => {
    await optional?.stop();
    fs.rmSync(foreign, { recursive: true, force: true });
  });

  it('a client certificate from another CA: refused, one line with the reason and the remote address', async () => {
    const from = lines.all.length;
    expect((await probe(t.port, t.world.certs, { certDir: foreign })).accepted).to.equal(false);
    const [line] = await lines.waitRefusals(1, from);
    expect(line).to.include({ level: 'warn', remote: '127.0.0.1', code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    expect(line!.reason).to.match(/not issued by this server's CA/);
    expect(Object.keys(line!).slice(0, 5)).to.deep.equal(['t', 'level', 'msg', 'remote', 'code']); // the documented order
    expect(lines.all.slice(from).filter((l) => l.msg === 'tls handshake refused')).to.have.length(1);
  });

  it('with --client-cert optional, the line also names the certificate: subject, issuer and fingerprint', async () => {
    const from = lines.all.length;
    expect((await probe(optional.address.port, t.world.certs, { certDir: foreign })).accepted).to.equal(false);
    const [line] = await lines.waitRefusals(1, from);
    expect(line).to.include({ remote: '127.0.0.1', subject: 'CN=alice', fingerprint: fingerprintOfPem(fs.readFileSync(`${foreign}/clients/alice.crt`)) });
    expect(line!.issuer).to.be.a('string');
  });

  it('no certificate, and a TLS version below the minimum: one line each, naming why', async () => {
    let from = lines.all.length;
    expect((await probe(t.port, t.world.certs, { certOf: null })).accepted).to.equal(false);
    expect((await lines.waitRefusals(1, from))[0]).to.include({ remote: '127.0.0.1', code: 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE', reason: 'no client certificate' });
    from = lines.all.length;
    expect((await probe(t.port, t.world.certs, { maxVersion: 'TLSv1.2' })).accepted).to.equal(false);
    expect((await lines.waitRefusals(1, from))[0]).to.include({ remote: '127.0.0.1', code: 'ERR_SSL_UNSUPPORTED_PROTOCOL' });
  });

  it('a TCP connection closed before any TLS is not a refusal (port scanners, health checks)', async () => {
    const from = lines.all.length;
    await new Promise<void>((resolve, reject) => {
      const s = net.connect(t.port, '127.0.0.1', () => s.end());
      s.on('close', () => resolve());
      s.on('error', reject);
    });
    // A refused handshake right after it is the first refusal logged since: nothing came in between.
    await probe(t.port, t.world.certs, { certOf: null });
    const got = await lines.waitRefusals(1, from);
    expect(got[0]!.code).to.equal('ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE');
  });

  it('a flood is logged within the budget: the burst, then one line a second', async () => {
    const from = lines.all.length;
    const t0 = Date.now();
    const n = 60;
    // From 8 addresses: each has a share of the budget of its own (5 at once), the whole is what is measured.
    for (let i = 0; i < n; i++) expect((await probe(t.port, t.world.certs, { certDir: foreign, from: `127.0.0.${50 + (i % 8)}` })).accepted).to.equal(false);
    await lines.waitRefusals(REFUSAL_LOG_BURST - 5, from); // the tests above spent a few tokens of the burst
    const seconds = (Date.now() - t0) / 1000;
    const logged = lines.all.slice(from).filter((l) => l.msg === 'tls handshake refused').length;
    expect(logged).to.be.at.most(REFUSAL_LOG_BURST + Math.ceil(seconds) * REFUSAL_LOG_PER_SECOND);
    expect(logged, `${n} refusals in ${seconds} s`).to.be.below(n);
  });
});

describe('e2e: a refused connection (limit reached) is logged within the same budget', function () {
  this.timeout(30000);
  const lines = new Lines();
  const t = withChatd({ config: { limits: { maxConnPerIp: 1 } }, logger: lines.logger });

  it('the connection over the per-IP cap: one refusal line with its code; a flood of them stays within the budget', async () => {
    const held = await probeHeld(t.port);
    const from = lines.all.length;
    const n = REFUSAL_LOG_BURST + 20;
    const t0 = Date.now();
    for (let i = 0; i < n; i++) await tcpRefused(t.port);
    const [first] = await lines.waitRefusals(1, from);
    expect(first).to.include({ remote: '127.0.0.1', code: 'CONN_LIMIT_PER_IP' });
    const logged = lines.refusals().length;
    expect(logged).to.be.at.most(REFUSAL_LOG_BURST + Math.ceil((Date.now() - t0) / 1000) * REFUSAL_LOG_PER_SECOND);
    expect(logged).to.be.below(n);
    held.destroy();
  });

  it('one address flooding refusals does not hide another address\'s refused handshake', async () => {
    // The budget was one for everybody: the flooder's refusals (free for it: refused on the TCP
    // socket) took every line, and a client certificate from another CA, elsewhere, went unlogged.
    const chatd = await t.start({ limits: { maxConnPerIp: 1 } }, lines.logger); // a budget of its own, untouched
    const port = chatd.address.port;
    const flooder = '127.0.0.41';
    const held = await probeHeld(port, flooder);
    const foreign = tmpdir('foreign-ca-2');
    await initCertDir(foreign, ['localhost'], {});
    await issueClientCert(foreign, 'alice', {});
    try {
      const start = lines.all.length;
      for (let i = 0; i < 40; i++) await tcpRefused(port, flooder);
      const from = lines.all.length;
      const flood = Promise.all(Array.from({ length: 20 }, () => tcpRefused(port, flooder)));
      expect((await probe(port, t.world.certs, { certDir: foreign, from: '127.0.0.42' })).accepted).to.equal(false);
      await flood;
      const of42 = () => lines.all.slice(from).filter((l) => l.msg === 'tls handshake refused' && l.remote === '127.0.0.42');
      await until(async () => of42().length > 0, 3000, 'the refusal of 127.0.0.42 in the log');
      expect(of42().map((l) => l.code)).to.deep.equal(['UNABLE_TO_VERIFY_LEAF_SIGNATURE']);
      // The flooder is logged (a fail2ban jail can ban it), not 60 times.
      expect(lines.all.slice(start).filter((l) => l.msg === 'tls handshake refused' && l.remote === flooder).length).to.be.within(3, 10);
    } finally {
      held.destroy();
      fs.rmSync(foreign, { recursive: true, force: true });
    }
  });

  /** One plain TCP connection that stays open, taking this address's only slot. */
  function probeHeld(port: number, from = '127.0.0.1'): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host: '127.0.0.1', localAddress: from }, () => resolve(s));
      s.on('error', reject);
    });
  }
  /** A TCP connection the server closes at once. */
  function tcpRefused(port: number, from = '127.0.0.1'): Promise<void> {
    return new Promise((resolve) => {
      const s = net.connect({ port, host: '127.0.0.1', localAddress: from });
      s.on('error', () => {});
      s.on('close', () => resolve());
    });
  }
});

describe('RefusalLog (injected clock)', () => {
  it('logs the burst, then one line per token, and says how many it left out', async () => {
    const out: Line[] = [];
    let onLine = () => {};
    let now = 0;
    const log = new RefusalLog(new Logger('info', (l) => { out.push(JSON.parse(l)); onLine(); }), 3, 1, 20, () => now);
    let k = 0;
    const r = () => ({ remote: `192.0.2.${++k}`, code: 'X', reason: 'x' }); // each address within its own share
    for (let i = 0; i < 10; i++) log.refused(r());
    expect(out.map((l) => l.msg)).to.deep.equal(Array(3).fill('tls handshake refused'));
    now += 1000;
    log.refused(r());
    expect(out).to.have.length(4);
    log.summarize();
    expect(out[4]).to.include({ msg: 'tls handshake refusals not logged', count: 7 });
    log.summarize();
    expect(out).to.have.length(5); // nothing left out since
    const summarized = new Promise<void>((resolve) => { onLine = resolve; });
    log.refused(r()); // no token: counted, and summarized by the timer
    await summarized;
    expect(out[5]).to.include({ msg: 'tls handshake refusals not logged', count: 1 });
  });

  it('gives each address its share first: past it, an address is left out and the common budget is kept for others', () => {
    const out: Line[] = [];
    const now = 0;
    const log = new RefusalLog(new Logger('info', (l) => out.push(JSON.parse(l))), 20, 1, 20, () => now);
    for (let i = 0; i < 50; i++) log.refused({ remote: '192.0.2.1', code: 'X', reason: 'x' });
    log.refused({ remote: '2001:db8::1', code: 'Y', reason: 'y' });
    log.refused({ remote: '2001:db8::2', code: 'Y', reason: 'y' }); // the same /64: one address
    expect(out.map((l) => l.remote)).to.deep.equal([...Array(REFUSAL_LOG_ADDRESS_BURST).fill('192.0.2.1'), '2001:db8::1', '2001:db8::2']);
  });
});
