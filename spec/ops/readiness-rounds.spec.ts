// /readyz runs one round of checks (a database round trip, a Redis PING) at a time: requests that
// arrive while a round runs share its answer, so a burst of probes or a flood on an exposed port
// cannot take the database pool's connections from logins.
import { expect } from 'chai';
import http from 'node:http';
import { Logger } from '../../lib/log.js';
import { Metrics } from '../../lib/metrics.js';
import { OpsServer } from '../../lib/ops-http.js';

describe('ops: /readyz rounds', () => {
  let ops: OpsServer | undefined;
  afterEach(async () => { await ops?.close(); ops = undefined; });

  it('fifty requests at once cost one round of checks; a later request starts a new one', async () => {
    let rounds = 0;
    let open!: () => void;
    const gate = new Promise<void>((r) => { open = r; });
    ops = new OpsServer(new Metrics(), { database: async () => { rounds++; await gate; return null; } }, new Logger('silent', () => {}));
    // The round is held open until all fifty requests have reached the server.
    let received = 0;
    (ops as unknown as { server: http.Server }).server.on('request', () => { if (++received === 50) open(); });
    const { port } = await ops.listen('127.0.0.1:0');
    const url = `http://127.0.0.1:${port}/readyz`;
    const burst = Array.from({ length: 50 }, () => fetch(url).then((r) => r.status));
    expect(await Promise.all(burst)).to.deep.equal(Array(50).fill(200));
    expect(rounds).to.equal(1);
    expect((await fetch(url)).status).to.equal(200);
    expect(rounds).to.equal(2);
  });

  it('a failing round answers 503 to every request that shared it', async () => {
    let open!: () => void;
    const gate = new Promise<void>((r) => { open = r; });
    ops = new OpsServer(new Metrics(), { database: async () => { await gate; return 'connection refused'; } }, new Logger('silent', () => {}));
    const { port } = await ops.listen('127.0.0.1:0');
    const burst = Array.from({ length: 5 }, () => fetch(`http://127.0.0.1:${port}/readyz`).then(async (r) => [r.status, await r.json()]));
    setImmediate(open);
    for (const [status, body] of await Promise.all(burst)) {
      expect(status).to.equal(503);
      expect(body).to.deep.equal({ ready: false, failed: { database: 'connection refused' } });
    }
  });
});
