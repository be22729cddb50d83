// The failed-login log line fail2ban (or any log watcher) matches, documented in SECURITY.md:
//   {"t":"<ISO time>","level":"warn","msg":"login failed","remote":"<address>","code":"<CODE>","user":"<name>"}
// Fields in that order, always. `user` is the canonical login name, or "" when what was typed is no
// valid name (so nothing a client types can forge a field); never the password.
// Rate limited as a whole, so a flood from many addresses cannot fill the disk, and per address
// first, so that one address cannot spend the whole budget: refusals that cost it nothing
// (RATE_LIMITED, AUTH_LOCKED, at 5 a second on each of its 100 connections) once used it all, and
// every other address's failures went unlogged, a guesser elsewhere never banned. An address keeps
// enough lines for a ban (fail2ban's maxretry is 5 by default). Beyond either budget lines are
// counted and one summary line says how many were dropped.
import { addressKey } from '../address-key.js';
import type { ErrorCode } from '../errors.js';
import type { Logger } from '../log.js';
import { SharedBudget } from '../ratelimit.js';
import { normalizeUsername } from '../sanitize.js';

const BURST = 100; // lines at once …
const PER_SECOND = 20; // … and then per second, ~4 KB/s at most
const ADDRESS_BURST = 10; // lines of one address (addressKey: an IPv6 client's /64) at once …
const ADDRESS_PER_SECOND = 1; // … and then per second

export class FailedLoginLog {
  private readonly budget = new SharedBudget({ burst: ADDRESS_BURST, perSecond: ADDRESS_PER_SECOND }, { burst: BURST, perSecond: PER_SECOND });
  private dropped = 0;

  /** `ipv6PrefixLength`: how per-address limits count IPv6 addresses (limits.ipv6PrefixLength). */
  constructor(private readonly log: Logger, private readonly ipv6PrefixLength: () => number = () => 64) {}

  record(remote: string, code: ErrorCode, typedUser: string): void {
    if (!this.budget.take(addressKey(remote, this.ipv6PrefixLength()))) { this.dropped++; return; }
    if (this.dropped) {
      this.log.warn('failed logins not logged (rate limit)', { count: this.dropped });
      this.dropped = 0;
    }
    this.log.warn('login failed', { remote, code, user: normalizeUsername(typedUser) ?? '' });
  }
}
