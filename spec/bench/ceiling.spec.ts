// bench/ceiling.ts: the raw node:tls server every chatd figure of the bench is divided by. If it
// stopped relaying, relayed a line twice or in pieces, or let a client in without a certificate, every
// ratio in BENCHMARKS.md would be against the wrong thing. The real binary, real mutual TLS.
import { expect } from 'chai';
import type { ChildProcess } from 'node:child_process';
import { startBin } from '../helpers/bin.js';
import { TestClient } from '../helpers/client.js';
import { sharedCerts } from '../helpers/world.js';

describe('bench: the ceiling server', function () {
  this.timeout(30_000);
  let certs: string;
  let ceiling: ChildProcess & { output(): string };
  let port: number;
  const clients: TestClient[] = [];
  before(async () => {
    certs = await sharedCerts();
    // dist/bench/ceiling.js, started as the bench starts it.
    ceiling = await startBin('../bench/ceiling', ['--cert', `${certs}/server.crt`, '--key', `${certs}/server.key`, '--ca', `${certs}/ca.crt`], { ready: /ceiling listening on \S+:\d+/ });
    port = Number(/ceiling listening on \S+:(\d+)/.exec(ceiling.output())![1]);
  });
  after(() => {
    for (const c of clients) c.close();
    ceiling?.kill('SIGTERM');
  });
  const connect = async (user: string) => { const c = await TestClient.connect(port, certs, user); clients.push(c); return c; };

  it('relays every complete line to every client, the sender included, once and whole', async () => {
    const a = await connect('alice');
    const b = await connect('bob');
    a.sock.write('{"type":"message","te');
    a.sock.write('xt":"split"}\n{"type":"message","text":"second"}\n');
    for (const c of [a, b]) {
      expect((await c.waitFor((f) => f.type === 'message')).text).to.equal('split');
      expect((await c.waitFor((f) => f.type === 'message')).text).to.equal('second');
    }
    b.send({ type: 'message', text: 'third' });
    for (const c of [a, b]) expect((await c.waitFor((f) => f.type === 'message')).text).to.equal('third');
    // Written in order: a copy of an earlier line would have come before 'third'.
    expect(a.frames.concat(b.frames).filter((f) => f.type === 'message')).to.deep.equal([]);
  });

  it('refuses a client without a certificate, as chatd does', async () => {
    let refused = false;
    try {
      const c = await TestClient.connect(port, certs, null);
      clients.push(c);
      // TLS 1.3: the server's refusal of the missing certificate arrives after the client's handshake ends.
      await c.waitFor(() => false, 2000, 'the connection to close').catch(() => undefined);
      refused = c.closed;
    } catch { refused = true; }
    expect(refused).to.equal(true);
  });
});
