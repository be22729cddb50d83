// Refused TLS handshakes, one log line each, so an operator can see why a client was turned away
// (issue 19: a certificate from another CA used to be refused without a word), within a budget so that
// a flood of bad handshakes cannot fill the disk, and with a share per address, so that one address
// cannot use it all.
//
// The line, for fail2ban-style tools (fields in this order, JSON on one line):
//   {"t":"…","level":"warn","msg":"tls handshake refused","remote":"203.0.113.7","code":"UNABLE_TO_VERIFY_LEAF_SIGNATURE","reason":"…",…}
// e.g. failregex = "msg":"tls handshake refused","remote":"<HOST>"
// When lines were dropped for the budget, one line says how many:
//   {"t":"…","level":"warn","msg":"tls handshake refusals not logged","count":1234,"seconds":60}
import type tls from 'node:tls';
import { addressKey } from './address-key.js';
import type { Logger } from './log.js';
import { SharedBudget } from './ratelimit.js';

/** Lines logged at once before the budget applies … */
export const REFUSAL_LOG_BURST = 20;
/** … and per second after that (one a second: under 100,000 short lines a day at worst). */
export const REFUSAL_LOG_PER_SECOND = 1;
/**
 * Lines of one address (addressKey: an IPv6 client's /64) at once, and then per second, before the
 * budget above: one address refused over and over (free for it: a connection over its caps is
 * refused on the TCP socket) took every line, and another address's refusal went unlogged, so a
 * fail2ban jail never saw it. 5 is a jail's default maxretry. Taken first, so that an address past
 * its share does not spend the common budget either.
 */
export const REFUSAL_LOG_ADDRESS_BURST = 5;
export const REFUSAL_LOG_ADDRESS_PER_SECOND = 0.2;
/** How often the number of refusals left out is logged, while there are any. */
export const REFUSAL_SUMMARY_MS = 60_000;

export type Refusal = {
  remote: string;
  /** A stable code to match on: Node's or OpenSSL's, or the certificate verification result. */
  code: string;
  reason: string;
  subject?: string;
  issuer?: string;
  fingerprint?: string;
};

/** Certificate verification results (OpenSSL's X509_V_ERR_* names, as Node reports them) in words. */
const VERIFY_REASONS: Record<string, string> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'client certificate not issued by this server\'s CA',
  UNABLE_TO_GET_ISSUER_CERT: 'client certificate not issued by this server\'s CA',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'client certificate not issued by this server\'s CA',
  SELF_SIGNED_CERT_IN_CHAIN: 'client certificate not issued by this server\'s CA',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed client certificate',
  CERT_SIGNATURE_FAILURE: 'client certificate signature invalid',
  CERT_HAS_EXPIRED: 'client certificate expired',
  CERT_NOT_YET_VALID: 'client certificate not yet valid',
  INVALID_PURPOSE: 'certificate not meant for TLS clients',
  CERT_REVOKED: 'client certificate revoked',
};

/** Handshake errors by Node's code, in words. */
const HANDSHAKE_REASONS: Record<string, string> = {
  ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE: 'no client certificate',
  ERR_SSL_UNSUPPORTED_PROTOCOL: 'TLS version below the minimum',
  ERR_SSL_NO_SHARED_CIPHER: 'no cipher in common',
  ERR_SSL_NO_APPLICATION_PROTOCOL: 'no ALPN protocol in common',
  ERR_TLS_HANDSHAKE_TIMEOUT: 'handshake not finished in time',
  ERR_SSL_WRONG_VERSION_NUMBER: 'not TLS',
  ERR_SSL_HTTP_REQUEST: 'plain HTTP sent to the TLS port',
  ERR_SSL_UNEXPECTED_EOF_WHILE_READING: 'client closed during the handshake',
};

/** A connection that simply went away before its handshake ended refuses nothing; scanners do that. */
const GONE = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT']);

/**
 * What a failed handshake was refused for, or null when the client only went away. `err` is the
 * server's 'tlsClientError'; Node sets `authorizationError` when it dropped a client certificate that
 * did not verify (it reports that as a plain ECONNRESET).
 */
export function refusalOf(err: NodeJS.ErrnoException & { reason?: string }, socket: tls.TLSSocket, remote: string): Refusal | null {
  const verify = socket.authorizationError ? String(socket.authorizationError) : '';
  if (verify) return { remote, code: verify, reason: VERIFY_REASONS[verify] ?? 'client certificate refused' };
  const code = err.code ?? 'ERR_TLS';
  if (GONE.has(code)) return null;
  return { remote, code, reason: HANDSHAKE_REASONS[code] ?? err.reason ?? err.message.split('\n')[0]!.slice(0, 200) };
}

/**
 * A client without a certificate where one is required. chatd refuses it after the handshake (which
 * must let it through for enrollment), under the code and reason the handshake itself used to log.
 */
export function noCertificateRefusal(remote: string): Refusal {
  const code = 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE';
  return { remote, code, reason: HANDSHAKE_REASONS[code]! };
}

/** A refusal of a certificate chatd has in hand: who it claims to be, and what to ban or revoke. */
export function certificateRefusal(socket: tls.TLSSocket, remote: string): Refusal {
  const cert = socket.getPeerCertificate();
  const code = String(socket.authorizationError ?? 'CERT_REFUSED');
  return {
    remote, code, reason: VERIFY_REASONS[code] ?? 'client certificate refused',
    subject: dn(cert.subject), issuer: dn(cert.issuer), fingerprint: cert.fingerprint256,
  };
}

/** "CN=alice, O=x" from Node's parsed name; its values are the client's, so only printable ASCII is kept. */
function dn(name: tls.Certificate | undefined): string | undefined {
  if (!name) return undefined;
  return Object.entries(name).map(([k, v]) => `${k}=${String(v).replace(/[^\x20-\x7e]/g, '?').slice(0, 100)}`).join(', ').slice(0, 300);
}

/** Logs refusals, at most REFUSAL_LOG_BURST at once and REFUSAL_LOG_PER_SECOND after that. */
export class RefusalLog {
  private readonly budget: SharedBudget;
  private left = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly log: Logger, burst = REFUSAL_LOG_BURST, perSecond = REFUSAL_LOG_PER_SECOND,
    private readonly summaryMs = REFUSAL_SUMMARY_MS, private readonly now: () => number = Date.now,
    private readonly ipv6PrefixLength: () => number = () => 64) {
    this.budget = new SharedBudget({ burst: REFUSAL_LOG_ADDRESS_BURST, perSecond: REFUSAL_LOG_ADDRESS_PER_SECOND }, { burst, perSecond }, now);
  }

  refused(r: Refusal): void {
    if (this.budget.take(addressKey(r.remote, this.ipv6PrefixLength()))) {
      const { remote, code, reason, ...cert } = r;
      this.log.warn('tls handshake refused', { remote, code, reason, ...cert });
      return;
    }
    this.left++;
    if (!this.timer) {
      this.timer = setTimeout(() => this.summarize(), this.summaryMs);
      this.timer.unref();
    }
  }

  /** Logs how many refusals were left out, if any; the server calls it once more when it closes. */
  summarize(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.left === 0) return;
    this.log.warn('tls handshake refusals not logged', { count: this.left, seconds: Math.round(this.summaryMs / 1000) });
    this.left = 0;
  }
}
