// The failed-login log line fail2ban (or any log watcher) matches, documented in SECURITY.md:
//   {"t":"<ISO time>","level":"warn","msg":"login failed","remote":"<address>","code":"<CODE>","user":"<name>"}
// Fields in that order, always. `user` is the canonical login name, or "" when what was typed is no
// valid name (so nothing a client types can forge a field); never the password.
// Rate limited as a whole, so a flood from many addresses cannot fill the disk: beyond the burst,
// lines are counted and one summary line says how many were dropped.
import type { ErrorCode } from '../errors.js';
import type { Logger } from '../log.js';
import { TokenBucket } from '../ratelimit.js';
import { normalizeUsername } from '../sanitize.js';

const BURST = 100; // lines at once …
const PER_SECOND = 20; // … and then per second, ~4 KB/s at most

export class FailedLoginLog {
  private readonly bucket = new TokenBucket(BURST, PER_SECOND);
  private dropped = 0;

  constructor(private readonly log: Logger) {}

  record(remote: string, code: ErrorCode, typedUser: string): void {
    if (!this.bucket.take()) { this.dropped++; return; }
    if (this.dropped) {
      this.log.warn('failed logins not logged (rate limit)', { count: this.dropped });
      this.dropped = 0;
    }
    this.log.warn('login failed', { remote, code, user: normalizeUsername(typedUser) ?? '' });
  }
}
