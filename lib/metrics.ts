// What an operator's Prometheus scrapes. Counters are bumped where the event happens, once per
// event and never per recipient: a room message adds its recipient count to deliveries in one call,
// so the fan-out loop stays as it is. Gauges of state (sessions, queues, health) are read when
// scraped. Label values are bounded: modes, results, codes and command names, never user names.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type MetricsSources = {
  sessions(): { json: number; text: number; irc?: number };
  historyQueue(): number;
  passwordQueue(): number;
  dbUp(): Promise<boolean>;
  busUp(): Promise<boolean>;
};

export class Metrics {
  readonly registry = new Registry();
  readonly logins: Counter<'result'>;
  readonly handshakes: Counter<'result'>;
  readonly resumed: Counter;
  readonly messages: Counter<'kind'>;
  readonly deliveries: Counter;
  readonly byes: Counter<'code'>;
  readonly errors: Counter<'code'>;
  readonly commandSeconds: Histogram<'command'>;
  private sources: MetricsSources | null = null;

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.logins = new Counter({ name: 'chatd_logins_total', help: 'Logins by result: ok, or the error code', labelNames: ['result'], registers });
    this.handshakes = new Counter({ name: 'chatd_handshakes_total', help: 'TLS handshakes by result: ok or failed', labelNames: ['result'], registers });
    // Not a third result of chatd_handshakes_total: a resumed handshake is one of its `ok` ones.
    this.resumed = new Counter({ name: 'chatd_tls_resumed_total', help: 'TLS handshakes counted ok that resumed a session (ticket), chat and IRC ports', registers });
    this.messages = new Counter({ name: 'chatd_messages_total', help: 'Messages accepted, by kind: say, me, dm', labelNames: ['kind'], registers });
    this.deliveries = new Counter({ name: 'chatd_deliveries_total', help: 'Message and event frames handed to sessions on this node', registers });
    this.byes = new Counter({ name: 'chatd_byes_total', help: 'Sessions ended by the server, by bye code', labelNames: ['code'], registers });
    this.errors = new Counter({ name: 'chatd_errors_total', help: 'Error frames sent, by code', labelNames: ['code'], registers });
    this.commandSeconds = new Histogram({
      name: 'chatd_command_seconds', help: 'Time from a command line to its answer', labelNames: ['command'], registers,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    });
    const self = this;
    new Gauge({
      name: 'chatd_sessions', help: 'Open sessions, logged in or not, by mode', labelNames: ['mode'], registers,
      collect() { const s = self.sources?.sessions(); this.set({ mode: 'json' }, s?.json ?? 0); this.set({ mode: 'text' }, s?.text ?? 0); this.set({ mode: 'irc' }, s?.irc ?? 0); },
    });
    new Gauge({ name: 'chatd_history_queue', help: 'Messages waiting to be written to the database', registers, collect() { this.set(self.sources?.historyQueue() ?? 0); } });
    new Gauge({ name: 'chatd_password_queue', help: 'Password hashes waiting for a worker', registers, collect() { this.set(self.sources?.passwordQueue() ?? 0); } });
    new Gauge({ name: 'chatd_db_up', help: '1 when a database round trip succeeded within 1 s at this scrape', registers, async collect() { this.set((await self.sources?.dbUp()) ? 1 : 0); } });
    new Gauge({ name: 'chatd_bus_up', help: '1 when the bus (Redis PING; the memory bus always) answered within 1 s', registers, async collect() { this.set((await self.sources?.busUp()) ? 1 : 0); } });
  }

  /** The running node's state, read at scrape time. */
  attach(sources: MetricsSources): void { this.sources = sources; }
}
