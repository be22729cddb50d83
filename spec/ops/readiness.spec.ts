// The operator's HTTP port: /healthz while the process serves, /readyz only while the database, the
// bus and the chat listener all answer (each within 1 s), /metrics, and nothing else.
import { expect } from 'chai';
import type { Chatd } from '../../lib/app.js';
import { hostPort } from '../../lib/app.js';
import { parseHostPort } from '../../lib/ops-http.js';
import { TcpProxy } from '../helpers/proxy.js';
import { until } from '../helpers/wait.js';
import { withChatd } from '../helpers/chatd.js';

async function get(chatd: Chatd, path: string, method = 'GET'): Promise<{ status: number; body: string; type: string | null }> {
  const r = await fetch(`http://${hostPort(chatd.ops!)}${path}`, { method });
  return { status: r.status, body: await r.text(), type: r.headers.get('content-type') };
}

describe('ops: --metrics host:port', function () {
  this.timeout(30000);
  const t = withChatd({ config: { metrics: '127.0.0.1:0' } });

  it('listens on loopback apart from the chat port', () => {
    expect(t.chatd.ops!.address).to.equal('127.0.0.1');
    expect(t.chatd.ops!.port).to.not.equal(t.port);
  });

  it('answers /healthz and /readyz with 200 while everything is up', async () => {
    expect((await get(t.chatd, '/healthz')).status).to.equal(200);
    const r = await get(t.chatd, '/readyz');
    expect(r.status).to.equal(200);
    expect(JSON.parse(r.body)).to.deep.equal({ ready: true });
  });

  it('serves the Prometheus text format with chatd and process metrics', async () => {
    const r = await get(t.chatd, '/metrics');
    expect(r.status).to.equal(200);
    expect(r.type).to.match(/^text\/plain; version=0\.0\.4/);
    for (const name of ['chatd_sessions', 'chatd_logins_total', 'chatd_handshakes_total', 'chatd_messages_total', 'chatd_deliveries_total',
      'chatd_byes_total', 'chatd_errors_total', 'chatd_command_seconds', 'chatd_history_queue', 'chatd_password_queue', 'chatd_db_up', 'chatd_bus_up',
      'process_cpu_seconds_total', 'nodejs_eventloop_lag_seconds']) {
      expect(r.body, name).to.match(new RegExp(`^# TYPE ${name} `, 'm'));
    }
    expect(r.body).to.match(/^chatd_db_up 1$/m).and.to.match(/^chatd_bus_up 1$/m);
  });

  it('serves nothing else', async () => {
    for (const p of ['/', '/metrics/x', '/readyz/', '/../etc/passwd', '/favicon.ico']) expect((await get(t.chatd, p)).status, p).to.equal(404);
    expect((await get(t.chatd, '/metrics', 'POST')).status).to.equal(404);
  });

  it('parses host:port with loopback as the default host', () => {
    expect(parseHostPort('9464')).to.deep.equal({ host: '127.0.0.1', port: 9464 });
    expect(parseHostPort(':9464')).to.deep.equal({ host: '127.0.0.1', port: 9464 });
    expect(parseHostPort('0.0.0.0:9464')).to.deep.equal({ host: '0.0.0.0', port: 9464 });
    expect(parseHostPort('[::1]:9464')).to.deep.equal({ host: '::1', port: 9464 });
    for (const bad of ['', 'x', 'host:99999', 'host:']) expect(() => parseHostPort(bad), bad).to.throw(/bad --metrics/);
  });
});

/** Starts chatd with one dependency behind a proxy; cuts it and brings it back. */
function outageSpec(what: 'database' | 'bus', env: string) {
  describe(`ops: /readyz follows the ${what}`, function () {
    this.timeout(60000);
    let proxy: TcpProxy | undefined;
    before(function () { if (!process.env[env]) this.skip(); });
    const t = withChatd({
      kind: what === 'database' ? 'mysql' : 'sqlite',
      config: async (world) => {
        proxy = what === 'database' ? await TcpProxy.inFrontOf(world.db, 3306) : await TcpProxy.inFrontOf(process.env.CHATD_TEST_REDIS!, 6379);
        const u = new URL(proxy.url);
        if (what === 'bus') u.searchParams.set('prefix', `chatd-ready-${process.pid}:`);
        return what === 'database'
          ? { db: u.toString(), metrics: '127.0.0.1:0', limits: { dbTimeoutMs: 2000 } }
          : { bus: u.toString(), nodeName: 'ready', metrics: '127.0.0.1:0' };
      },
    });
    after(async () => { await proxy?.stop(); });

    it(`turns 503 naming the ${what} within 2 s of it going away, and 200 when it is back`, async () => {
      expect((await get(t.chatd, '/readyz')).status).to.equal(200);
      await proxy!.cut();
      const t0 = Date.now();
      const down = await until(async () => { const r = await get(t.chatd, '/readyz'); return r.status === 503 && r; }, 2000, '/readyz 503', 50);
      expect(Date.now() - t0).to.be.below(2000);
      expect(JSON.parse(down.body).failed).to.have.property(what);
      expect((await get(t.chatd, '/healthz')).status).to.equal(200);
      expect((await get(t.chatd, '/metrics')).body).to.match(new RegExp(`^chatd_${what === 'database' ? 'db' : 'bus'}_up 0$`, 'm'));
      await proxy!.restore();
      await until(async () => (await get(t.chatd, '/readyz')).status === 200, 30000, '/readyz 200 again', 100);
    });
  });
}
outageSpec('database', 'CHATD_TEST_MYSQL');
outageSpec('bus', 'CHATD_TEST_REDIS');
