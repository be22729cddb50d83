// Redis for the cluster specs: each run has its own key prefix (`?prefix=` on the bus URL), looked at
// through a connection of the spec's own and removed afterwards, so runs can share one Redis.
import { Redis } from 'ioredis';

/** A unique key namespace on the bus URL the nodes get; `port` points it at another local Redis (a proxy). */
export function busUrl(base: string, prefix: string, port?: number): string {
  const u = new URL(base);
  u.searchParams.set('prefix', prefix);
  if (port) { u.hostname = '127.0.0.1'; u.port = String(port); }
  return u.toString();
}

/** A short-lived connection of the spec's own to Redis (to look at keys or publish garbage). */
export async function withRedis<T>(url: string, fn: (r: Redis) => Promise<T>): Promise<T> {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  try {
    await r.connect();
    return await fn(r);
  } finally { r.disconnect(); }
}

/** Removes every key of the namespace. */
export async function dropPrefix(url: string, prefix: string): Promise<void> {
  await withRedis(url, async (r) => {
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length) await r.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  }).catch(() => { /* Redis gone: nothing to clean */ });
}
