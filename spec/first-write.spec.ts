// holdFirstWrites: what a new TLS session writes from its 'secureConnection' handler reaches TLS
// only after that I/O callback has returned (it costs ~13 KiB of native memory per session when
// written from inside it: BENCHMARKS.md, finding 8), and nothing overtakes it. Real TLS, real
// certificates; and against a real chatd, the welcome stays the first thing a client reads.
import { expect } from 'chai';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { holdFirstWrites } from '../lib/first-write.js';
import { withChatd } from './helpers/chatd.js';
import { TestClient } from './helpers/client.js';
import { deadline } from './helpers/wait.js';
import { sharedCerts } from './helpers/world.js';

describe('holdFirstWrites (a new TLS session\'s first writes)', function () {
  let certs: string;
  before(async () => { certs = await sharedCerts(); });

  /** A TLS server whose handler is `onSecure`, one client on it; resolves with what the client read until it saw `until`. */
  async function exchange(onSecure: (s: tls.TLSSocket) => void, until: string): Promise<string> {
    const accepted: tls.TLSSocket[] = [];
    const server = tls.createServer({
      cert: fs.readFileSync(`${certs}/server.crt`), key: fs.readFileSync(`${certs}/server.key`), ca: fs.readFileSync(`${certs}/ca.crt`),
      requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.3',
    }, (s) => { accepted.push(s); onSecure(s); });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const client = tls.connect({
      host: '127.0.0.1', port: (server.address() as AddressInfo).port, servername: 'localhost', ca: fs.readFileSync(`${certs}/ca.crt`),
      cert: fs.readFileSync(`${certs}/clients/alice.crt`), key: fs.readFileSync(`${certs}/clients/alice.key`),
    });
    try {
      let got = '';
      client.setEncoding('utf8');
      client.once('secureConnect', () => client.write('hello\n'));
      return await deadline(5000, () => `client read only ${JSON.stringify(got)}`, (resolve, reject) => {
        client.on('data', (d: string) => { got += d; if (got.includes(until)) resolve(got); });
        client.on('error', reject);
      });
    } finally {
      client.destroy();
      for (const s of accepted) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    }
  }

  it('keeps writes made in the handler out of TLS until the handler\'s I/O callback has returned', async () => {
    const seen: Array<{ corked: number; queued: number }> = [];
    const got = await exchange((s) => {
      holdFirstWrites(s);
      s.write('first\n');
      seen.push({ corked: s.writableCorked, queued: s.writableLength });
      process.nextTick(() => seen.push({ corked: s.writableCorked, queued: s.writableLength })); // still inside it
    }, 'first\n');
    expect(got).to.equal('first\n');
    expect(seen).to.deep.equal([{ corked: 1, queued: 6 }, { corked: 1, queued: 6 }]);
  });

  it('sends what was written later after what the handler wrote', async () => {
    const got = await exchange((s) => {
      holdFirstWrites(s);
      s.write('welcome\n');
      s.on('data', () => s.write('answer\n'));
    }, 'answer\n');
    expect(got).to.equal('welcome\nanswer\n');
  });

  describe('in chatd', function () {
    const srv = withChatd();

    it('answers a frame sent right after the handshake after its welcome', async () => {
      const c = await TestClient.connect(srv.port, srv.world.certs, 'alice'); // resolves on secureConnect
      c.send('{not json');
      expect((await c.waitFor((f) => f.type === 'error')).code).to.equal('BAD_FRAME');
      expect(c.text.split('\n').filter(Boolean).map((l) => JSON.parse(l).type)).to.deep.equal(['welcome', 'error']);
    });
  });
});
