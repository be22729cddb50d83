// What can end a connection attempt of chat-cli, said in one line a person can act on: TLS problems
// that retrying cannot fix (a SetupError, exit 1), and network errors that a reconnect may get past
// (a Disconnected with a short reason). Also the two formatters every status line uses.
import { SetupError } from '../errors.js';
import { sanitizeText } from '../sanitize.js';

/** OpenSSL verification results: the server's certificate is not one we trust. */
const VERIFY_CODES = new Set([
  'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_CRL', 'UNABLE_TO_DECRYPT_CERT_SIGNATURE', 'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'CERT_SIGNATURE_FAILURE', 'CERT_NOT_YET_VALID', 'CERT_HAS_EXPIRED', 'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'CERT_CHAIN_TOO_LONG', 'CERT_REVOKED',
  'INVALID_CA', 'PATH_LENGTH_EXCEEDED', 'INVALID_PURPOSE', 'CERT_UNTRUSTED', 'CERT_REJECTED', 'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** Login answers that retrying cannot fix, on the first connection and after it. */
export const FATAL_LOGIN = new Set(['AUTH_FAILED', 'AUTH_LOCKED', 'CERT_MISMATCH', 'CERT_REVOKED', 'BANNED', 'BAD_FRAME']);
/** bye codes that end the client: reconnecting would undo a moderator's decision or flood again. */
export const FATAL_BYE = new Set(['BANNED', 'KICKED', 'CERT_REVOKED', 'FLOOD']);

/** A connection attempt that ended; `reason` is a short human phrase. */
export class Disconnected extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'Disconnected';
  }
}

/** A server string made safe to show in a status line or an error message. */
export function clean(v: unknown, max = 300): string {
  const s = typeof v === 'string' ? sanitizeText(v) : '';
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

export function formatDelay(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

/**
 * The server refused our certificate. Under TLS 1.3 the client finishes its side of the handshake
 * before the server has checked the certificate, so chatd's refusal arrives as a close with no data
 * (Node verifies after OpenSSL, and sends no alert) or as a certificate alert.
 */
export function certRefused(certFile?: string, detail?: string): SetupError {
  const which = certFile ? ` (${certFile})` : '';
  return new SetupError(`the server did not accept this certificate${which}${detail ? ` [${detail}]` : ''}: is it from this server's CA, not expired or revoked, and given with its own --key?`);
}

/** One line naming a TLS problem that retrying cannot fix, or null for ordinary network errors. */
export function tlsProblem(err: NodeJS.ErrnoException, host: string, certFile?: string): SetupError | null {
  const code = String(err.code ?? '');
  if (VERIFY_CODES.has(code)) {
    return new SetupError(`TLS: server certificate not trusted (${code}: ${err.message}); check --ca and that --host ${host} is named in the server certificate`);
  }
  const alert = /^ERR_SSL_(?:TLSV1|TLSV13|SSLV3)_ALERT_(.+)$/.exec(code);
  if (alert) {
    const what = alert[1]!.toLowerCase().replace(/_/g, ' ');
    const ours = /certificate|unknown ca|bad certificate|decrypt error/.test(what);
    if (ours) return certRefused(certFile, `${what}, ${code}`);
    return new SetupError(`TLS: the server rejected the handshake (${what}, ${code})`);
  }
  return null;
}

export function networkReason(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ECONNREFUSED': return 'connection refused';
    case 'ECONNRESET': return 'connection reset by peer';
    case 'ETIMEDOUT': return 'connection timed out';
    case 'EHOSTUNREACH': return 'host unreachable';
    case 'ENETUNREACH': return 'network unreachable';
    case 'ENOTFOUND': return 'host not found';
    case 'EAI_AGAIN': return 'host name lookup failed (temporary)';
    case 'EPIPE': return 'connection closed while writing';
    default: return err.message || String(err.code ?? err);
  }
}
