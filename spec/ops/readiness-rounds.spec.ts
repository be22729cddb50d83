// /readyz runs one round of checks (a database round trip, a Redis PING) at a time, and /metrics one
// scrape (whose chatd_db_up and chatd_bus_up gauges make the same round trips): requests that
// arrive while one runs share its answer, so a burst of probes or a flood on an exposed port
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

  it('/metrics too: fifty scrapes at once cost one database round trip (chatd_db_up), and all get the same text', async () => {
    let trips = 0;
    let open!: () => void;
    const gate = new Promise<void>((r) => { open = r; });
    const metrics = new Metrics();
    metrics.attach({
      sessions: () => ({ json: 0, text: 0 }), historyQueue: () => 0, passwordQueue: () => 0,
      dbUp: async () => { trips++; await gate; return true; }, busUp: async () => true,
    });
    ops = new OpsServer(metrics, {}, new Logger('silent', () => {}));
    let received = 0;
    (ops as unknown as { server: http.Server }).server.on('request', () => { if (++received === 50) open(); });
    const { port } = await ops.listen('127.0.0.1:0');
    const url = `http://127.0.0.1:${port}/metrics`;
    const bodies = await Promise.all(Array.from({ length: 50 }, () => fetch(url).then(async (r) => [r.status, await r.text()] as const)));
    for (const [status, body] of bodies) {
      expect(status).to.equal(200);
      expect(body).to.match(/^chatd_db_up 1$/m);
    }
    expect(trips).to.equal(1);
    expect((await fetch(url)).status).to.equal(200);
    expect(trips).to.equal(2);
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
