// Assembles a running chatd from a Config: store (migrated), bus, node, TLS server. Used by the chatd
// binary and by the specs, which start real servers on port 0 this way.
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import type { Config } from './config.js';
import { SetupError } from './errors.js';
import { Logger } from './log.js';
import { MemoryBus } from './bus/memory.js';
import type { Bus } from './bus/types.js';
import { ChatNode } from './node.js';
import { ChatServer, loadTls, type TlsFiles } from './server.js';
import { openStore, type Store } from './store/index.js';
import { Metrics } from './metrics.js';
import { reconfigure, type Reconfigured } from './reconfigure.js';
import { passwordPool } from './auth/password.js';
import { OpsServer, probe } from './ops-http.js';
import fs from 'node:fs';
import { EnrollService, loadCaKey } from './enroll/service.js';
import { IrcServer } from './irc/listener.js';

export type Chatd = {
  config: Config; store: Store; bus: Bus; node: ChatNode; server: ChatServer; address: AddressInfo;
  /** The IRC listener and its address, when ircPort is set. */
  irc: IrcServer | null; ircAddress: AddressInfo | null;
  metrics: Metrics;
  /** The HTTP listener of --metrics, when configured. */
  ops: AddressInfo | null;
  /** Applies a reloaded, validated config to the running node (SIGHUP). */
  reconfigure(next: Config): Reconfigured;
  stop(): Promise<void>;
};

/** `127.0.0.1:9464`, `[::1]:9464`. */
export function hostPort(a: AddressInfo): string {
  return a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}

export async function createBus(url: string, nodeName: string, config: Config, log: Logger): Promise<Bus> {
  if (url === 'memory') return new MemoryBus();
  if (url.startsWith('redis://') || url.startsWith('rediss://')) {
    const { RedisBus } = await import('./bus/redis.js');
    return new RedisBus(url, nodeName, () => config.limits.presenceTtlMs, log);
  }
  throw new SetupError(`bad --bus "${url}": use memory or redis://host:6379`, 2);
}

/**
 * A name that differs between the nodes of a cluster without anyone choosing one: `<hostname>-<port>`
 * (two nodes on one host need two ports). With `--port 0` the port is not known before the bus
 * starts, so the process id stands in. A single node on the memory bus is `node1`.
 */
export function defaultNodeName(config: Pick<Config, 'bus' | 'port'>, host = os.hostname(), pid = process.pid): string {
  if (config.bus === 'memory') return 'node1';
  const clean = host.toLowerCase().replace(/[^a-z0-9.-]+/g, '-').slice(0, 48) || 'host';
  return `${clean}-${config.port || `pid${pid}`}`;
}

export async function startChatd(config: Config, files: TlsFiles, log = new Logger(config.logLevel)): Promise<Chatd> {
  loadTls(files); // certificate problems are reported before anything touches the database
  const ca = config.caKey ? loadCaKey(files.ca, config.caKey) : null;
  // A statement gets three times what a login waits for (lib/store/watchdog.ts): long enough for the
  // slowest statement chatd sends (a search on a large FULLTEXT index), short enough that a silent
  // database path frees its connections.
  const store = await openStore(config.db, {
    connectTimeoutMs: config.limits.dbTimeoutMs, statementTimeoutMs: () => 3 * config.limits.dbTimeoutMs,
  });
  let bus: Bus | undefined;
  let opsServer: OpsServer | undefined;
  const metrics = new Metrics();
  try {
    if (config.migrate) {
      const applied = await store.migrateLatest();
      if (applied.length) log.info('migrations applied', { applied });
    } else {
      await store.assertMigrated();
    }
    const nodeName = config.nodeName || defaultNodeName(config);
    bus = await createBus(config.bus, nodeName, config, log);
    const node = new ChatNode({ ...config, nodeName }, store, bus, log, metrics);
    node.enroll = new EnrollService(node.db, config, log, fs.readFileSync(files.ca, 'utf8'), ca, (name) => node.logins.counters.clear(name));
    const server = new ChatServer(config, node, files, node.enroll);
    metrics.attach({
      sessions: () => {
        const n = { json: 0, text: 0, irc: 0 };
        for (const x of node.sessions) n[x.mode]++;
        return n;
      },
      historyQueue: () => node.history.pending,
      passwordQueue: () => passwordPool.queued,
      dbUp: async () => (await probe(() => store.ping())) === null,
      busUp: async () => (await probe(() => bus!.ping())) === null,
    });
    await node.start();
    passwordPool.warm();
    const address = await server.listen();
    const irc = config.ircPort >= 0 ? new IrcServer(config, node, files, server) : null;
    const ircAddress = irc ? await irc.listen().catch(async (e) => { await server.close(); throw e; }) : null;
    let ops: AddressInfo | null = null;
    if (config.metrics) {
      opsServer = new OpsServer(metrics, {
        database: () => probe(() => store.ping()),
        bus: () => probe(() => bus!.ping()),
        listener: async () => (server.server.listening ? null : 'chat listener not listening'),
      }, log);
      ops = await opsServer.listen(config.metrics);
    }
    let stopped: Promise<void> | null = null;
    const stop = () => (stopped ??= (async () => {
      await opsServer?.close();
      await irc?.close();
      await server.close();
      await bus!.close().catch(() => {});
      await store.close().catch(() => {});
    })());
    return {
      config, store, bus, node, server, address, irc, ircAddress, metrics, ops, stop,
      reconfigure: (next) => reconfigure(node, [config, node.config, server.config], next, log),
    };
  } catch (e) {
    await opsServer?.close().catch(() => {});
    await bus?.close().catch(() => {});
    await store.close().catch(() => {});
    throw e;
  }
}
