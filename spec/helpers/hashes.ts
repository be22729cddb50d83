// What chatd's login does in this process, counted by specs: password hashes (the pool is a module
// singleton) and the resume tokens it issues.
import { LoginService } from '../../lib/auth/login.js';
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

/**
 * Records every resume token chatd issues in this process (login_ok and bye SHUTDOWN alike), from the
 * suite's `before` to its `after`; the array is emptied before each test. Call inside a describe().
 */
export function recordIssuedTokens(): string[] {
  const issued: string[] = [];
  const original = LoginService.prototype.issueToken;
  before(() => {
    LoginService.prototype.issueToken = function (this: LoginService, ...args: Parameters<typeof original>) {
      const token = original.apply(this, args);
      if (token) issued.push(token);
      return token;
    };
  });
  after(() => { LoginService.prototype.issueToken = original; });
  beforeEach(() => { issued.length = 0; });
  return issued;
}
