// The store as the command path sees it: every call bounded by `limits.dbTimeoutMs`, and every
// failure of the database (an error, a lost pool, a hang) one ChatdError SERVICE_UNAVAILABLE, so a
// command answers with its id instead of failing somewhere in between (issue 12, fault 3).
import { ChatdError } from '../errors.js';
import type { Store } from './index.js';
import { withTimeout } from '../timeout.js';

/** Marks a database failure; the original error is kept for the log. */
export class StoreUnavailable extends ChatdError {
  constructor(readonly method: string, readonly failure: unknown) {
    super('SERVICE_UNAVAILABLE');
  }
}

function bounded<T>(p: Promise<T>, ms: number, method: string): Promise<T> {
  // A ChatdError is a refusal the caller's check made inside a transaction (addBan's guard), not a failure.
  return (ms > 0 ? withTimeout(p, ms) : p).catch((e) => { throw e instanceof ChatdError ? e : new StoreUnavailable(method, e); });
}

/** A view of `store` whose async methods time out and fail as SERVICE_UNAVAILABLE. */
export function guardStore(store: Store, timeoutMs: () => number): Store {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      // Methods only: own fields (the knex instance is a function too) pass through unchanged.
      if (typeof v !== 'function' || prop === 'constructor' || Object.prototype.hasOwnProperty.call(target, prop)) return v;
      return (...args: unknown[]) => {
        let out: unknown;
        try { out = v.apply(target, args); } catch (e) { throw new StoreUnavailable(String(prop), e); }
        return out instanceof Promise ? bounded(out, timeoutMs(), String(prop)) : out;
      };
    },
  });
}
