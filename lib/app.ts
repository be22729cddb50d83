// Assembles a running chatd from a Config: store (migrated), bus, node, TLS server. Used by the chatd
// binary and by the specs, which start real servers on port 0 this way.
import type { AddressInfo } from 'node:net';
import type { Config } from './config.js';
import { CliError } from './errors.js';
import { Logger } from './log.js';
import { MemoryBus } from './bus/memory.js';
import type { Bus } from './bus/types.js';
import { ChatNode } from './node.js';
import { ChatServer, loadTls, type TlsFiles } from './server.js';
import { openStore, type Store } from './store/index.js';

export type Chatd = { config: Config; store: Store; bus: Bus; node: ChatNode; server: ChatServer; address: AddressInfo; stop(): Promise<void> };

export async function createBus(url: string, nodeName: string, config: Config, log: Logger): Promise<Bus> {
  if (url === 'memory') return new MemoryBus();
  if (url.startsWith('redis://') || url.startsWith('rediss://')) {
    const { RedisBus } = await import('./bus/redis.js');
    return new RedisBus(url, nodeName, config.limits.presenceTtlMs, log);
  }
  throw new CliError(`bad --bus "${url}": use memory or redis://host:6379`, 2);
}

export async function startChatd(config: Config, files: TlsFiles, log = new Logger(config.logLevel)): Promise<Chatd> {
  loadTls(files); // certificate problems are reported before anything touches the database
  if (config.bus !== 'memory' && !config.nodeName) {
    throw new CliError('--node-name is required with --bus redis://… (give every node its own name)', 2);
  }
  const store = await openStore(config.db, { connectTimeoutMs: config.limits.dbTimeoutMs });
  let bus: Bus | undefined;
  try {
    if (config.migrate) {
      const applied = await store.migrateLatest();
      if (applied.length) log.info('migrations applied', { applied });
    } else {
      await store.assertMigrated();
    }
    const nodeName = config.nodeName || 'node1';
    bus = await createBus(config.bus, nodeName, config, log);
    const node = new ChatNode({ ...config, nodeName }, store, bus, log);
    const server = new ChatServer(config, node, files);
    await node.start();
    const address = await server.listen();
    let stopped: Promise<void> | null = null;
    const stop = () => (stopped ??= (async () => {
      await server.close();
      await bus!.close().catch(() => {});
      await store.close().catch(() => {});
    })());
    return { config, store, bus, node, server, address, stop };
  } catch (e) {
    await bus?.close().catch(() => {});
    await store.close().catch(() => {});
    throw e;
  }
}
