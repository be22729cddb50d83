// Waiting for state that has no event to wait on (rows in a database, presence in Redis, a change a
// node applies on its next poll). Not a sleep: it returns as soon as the state is reached, and fails
// with what it waited for after the deadline.

import { setTimeout as sleep } from 'node:timers/promises';

/** Polls `probe` until it returns a truthy value, which it returns; a probe that throws is retried. */
export async function until<T>(probe: () => Promise<T | undefined | null | false>, ms: number, what: string, everyMs = 25): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (e) { last = e; }
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await sleep(everyMs);
  }
}
