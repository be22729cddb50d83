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

/**
 * A wait for something an event signals, bounded in time: `arm` starts listening, settles the wait
 * through `resolve` or `reject`, and returns how to stop listening. After `ms` the wait fails with the
 * message `timeout()` gives (computed then, so it can show what did arrive). Listening stops however
 * the wait ends, and only the first outcome counts.
 */
export function deadline<T>(ms: number, timeout: () => string, arm: (resolve: (v: T) => void, reject: (e: Error) => void) => (() => void) | void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let disarm: (() => void) | void;
    let settled = false;
    const end = <A>(settle: (a: A) => void) => (a: A) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      disarm?.();
      settle(a);
    };
    const timer = setTimeout(() => end(reject)(new Error(timeout())), ms);
    disarm = arm(end(resolve), end(reject));
    if (settled) disarm?.(); // settled while arming, before `disarm` was known
  });
}

/**
 * Holds the next calls of `obj[method]` at a gate: `reached` resolves when the first one arrives, and
 * each goes on to the real method once `release()` is called. For a spec that must make something
 * happen between two steps of chatd's own work (a demotion while a login or a command is in flight).
 */
export function holdCalls<O extends object, K extends keyof O>(obj: O, method: K): { reached: Promise<void>; release(): void } {
  const real = (obj[method] as unknown as (...a: unknown[]) => unknown).bind(obj);
  let arrived!: () => void;
  const reached = new Promise<void>((r) => { arrived = r; });
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  (obj as Record<K, unknown>)[method] = async (...a: unknown[]) => { arrived(); await gate; return real(...a); };
  return { reached, release };
}

/**
 * The CPU time (ms, all of this process's threads) spent until `work` settles. A bound on work, not
 * on waiting: with the spec files in 4 workers on 2 cores, wall time also counts the turns other
 * processes had, and a 50 ms wall-clock bound failed now and then with nothing slow in chatd.
 */
export async function cpuMsOf(work: () => unknown): Promise<number> {
  const t0 = process.cpuUsage();
  await work();
  const d = process.cpuUsage(t0);
  return (d.user + d.system) / 1000;
}
