// Two real nodes on one database and one Redis, node a's bus through a relay a spec can cut: what a
// node cut off from Redis does must still reach the other through the database both poll.
import type { Chatd } from '../../lib/app.js';
import type { ChatdFixture } from './chatd.js';
import { TcpProxy } from './proxy.js';
import { busUrl } from './redis.js';
import { until } from './wait.js';

export type CutPair = { a: Chatd; b: Chatd; cut(): Promise<void> };

/** Nodes a and b of `t`'s world on the bus namespace `prefix`; `cut()` takes node a's Redis away. */
export async function cutPair(t: ChatdFixture, redis: string, prefix: string, databasePollMs = 200): Promise<CutPair> {
  const proxy = await TcpProxy.inFrontOf(redis, 6379);
  t.defer(() => proxy.stop());
  const limits = { databasePollMs };
  const a = await t.start({ bus: busUrl(redis, prefix, proxy.port), nodeName: 'a', limits });
  const b = await t.start({ bus: busUrl(redis, prefix), nodeName: 'b', limits });
  const cut = async () => {
    await proxy.cut();
    await until(async () => a.node.busStatus() !== 'ok', 5000, 'node a sees Redis gone');
  };
  return { a, b, cut };
}
