// Counting the password hashes chatd computes in this process (its pool is a module singleton).
import { passwordPool } from '../../lib/auth/password.js';

/** Counts the hashes the in-process password pool is asked for while `fn` runs. */
export async function countingHashes<T>(fn: () => Promise<T>): Promise<{ result: T; hashes: number }> {
  const original = passwordPool.derive;
  let hashes = 0;
  passwordPool.derive = function (this: typeof passwordPool, ...args: Parameters<typeof original>) {
    hashes++;
    return original.apply(this, args);
  };
  try {
    const result = await fn();
    return { result, hashes };
  } finally {
    passwordPool.derive = original;
  }
}
