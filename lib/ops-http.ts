// The operator's HTTP port (--metrics host:port): /metrics for Prometheus, /healthz and /readyz for
// probes. A listener of its own, apart from the chat port, that asks for no client certificate:
// it binds to loopback unless told otherwise (SECURITY.md), and serves nothing else.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SetupError } from './errors.js';
import type { Logger } from './log.js';
import type { Metrics } from './metrics.js';
import { withTimeout } from './timeout.js';
import { listenOn } from './listen.js';

/** Each check resolves to null when healthy, else a short reason. */
export type ReadinessChecks = Record<string, () => Promise<string | null>>;

export const READY_TIMEOUT_MS = 1000;

/** `9464`, `:9464`, `host:9464`, `[::1]:9464`; the host defaults to loopback. */
export function parseHostPort(s: string): { host: string; port: number } {
  const m = /^(?:(?:\[([^\]]+)\]|([^:[\]]*)):)?(\d{1,5})$/.exec(s.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new SetupError(`bad --metrics "${s}": use host:port, e.g. 127.0.0.1:9464`, 2);
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port };
}

/** Resolves null, or the reason: an error's message or a timeout. */
export async function probe(check: () => Promise<unknown>, ms = READY_TIMEOUT_MS): Promise<string | null> {
  try {
    await withTimeout(check(), ms);
    return null;
  } catch (e) {
    return (e as Error)?.name === 'TimeoutError' ? `no answer within ${ms} ms` : (e as Error)?.message || String(e);
  }
}

/**
 * Connections the operator's port holds at once. Probes and scrapers need a handful; each one held
 * is a file descriptor the chat port's logins also need, and a peer trickling or idling keeps one
 * for ~6 s, so without a cap a flood on an exposed port could take them all. Beyond it new
 * connections are closed at once (a probe then fails, which is what an operator should see).
 */
export const OPS_MAX_CONNECTIONS = 64;

export class OpsServer {
  private readonly server: http.Server;
  private round: Promise<Record<string, string>> | null = null;
  private scrape: Promise<string> | null = null;

  constructor(private readonly metrics: Metrics, private readonly checks: ReadinessChecks, private readonly log: Logger) {
    // Node checks requestTimeout and headersTimeout only every connectionsCheckingInterval (30 s by
    // default), so a peer trickling its headers kept a socket for 31 s; once a second keeps it to ~6.
    this.server = http.createServer({ connectionsCheckingInterval: 1000 }, (req, res) => void this.handle(req, res).catch((e) => {
      this.log.error('metrics endpoint failed', { err: String((e as Error)?.stack ?? e) });
      if (!res.headersSent) res.writeHead(500).end();
    }));
    // Probes and scrapers send small requests; a slow or idle client gets no long hold on a socket.
    this.server.requestTimeout = 5000;
    this.server.headersTimeout = 5000;
    this.server.keepAliveTimeout = 5000;
    // Neither timeout starts before the first byte of a request: a connection that sends nothing was
    // held for good. The socket's own inactivity timeout closes it (no 'timeout' listener: destroyed).
    this.server.timeout = 5000;
    this.server.maxConnections = OPS_MAX_CONNECTIONS;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(404).end();
    if (path === '/metrics') {
      const body = await this.metricsText();
      return void res.writeHead(200, { 'content-type': this.metrics.registry.contentType }).end(req.method === 'HEAD' ? undefined : body);
    }
    if (path === '/healthz') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    if (path === '/readyz') {
      const failed = await this.readiness();
      const ready = Object.keys(failed).length === 0;
      return void res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(ready ? { ready } : { ready, failed }) + '\n');
    }
    res.writeHead(404).end();
  }

  /**
   * The failed checks of one round. Requests that arrive while a round runs share it: each round is
   * a database round trip (and a Redis PING), and a burst of probes, or a flood where the port is not
   * on loopback, would otherwise take the pool's connections from logins. A request after the round
   * ended starts a new one: no answer comes from a round that had finished before its request arrived.
   */
  private readiness(): Promise<Record<string, string>> {
    this.round ??= (async () => {
      try {
        const names = Object.keys(this.checks);
        const results = await Promise.all(names.map((n) => this.checks[n]()));
        return Object.fromEntries(names.flatMap((n, i) => (results[i] === null ? [] : [[n, results[i]!]])));
      } finally { this.round = null; }
    })();
    return this.round;
  }

  /**
   * The text of one scrape, shared like a readiness round: its chatd_db_up and chatd_bus_up gauges
   * make the same round trips as /readyz, and a burst of scrapes (several Prometheus replicas, a
   * flood where the port is exposed) would otherwise make one each, on the pool logins need.
   */
  private metricsText(): Promise<string> {
    this.scrape ??= this.metrics.registry.metrics().finally(() => { this.scrape = null; });
    return this.scrape;
  }

  listen(hostPort: string): Promise<AddressInfo> {
    const { host, port } = parseHostPort(hostPort);
    return listenOn(this.server, port, host, 'for --metrics ', this.log);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}
