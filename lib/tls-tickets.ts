// TLS session-ticket keys that survive a restart and a SIGHUP, and are the same on every node that
// has the same server key and CA: derived (HKDF-SHA256) from the server's private key and the CA
// bundle, one key per 12-hour period. Node's tls.Server makes random keys whenever it builds a
// secure context, so without this a restarted (or reloaded) chatd resumes nothing, and a reconnect
// storm after a restart pays a full mutual-TLS handshake per client.
//
// The CA is part of the input because a resumed handshake does not verify the client's chain again:
// a ticket issued while one CA was trusted must not log anyone in once the operator trusts another.
// The server key is the secret: whoever holds it could impersonate the server anyway (SECURITY.md).
import { createHash, createPrivateKey, hkdfSync } from 'node:crypto';
import type tls from 'node:tls';

/** A ticket key is used for this long; a ticket made with the previous one gets a full handshake. */
export const TICKET_KEY_PERIOD_MS = 12 * 3600_000;

/**
 * How long a session (ticket) stays resumable, seconds: OpenSSL's own default, spelled out so that
 * SECURITY.md's figure does not depend on a library default.
 */
export const SESSION_LIFETIME_S = 7200;

/**
 * The session-id context. OpenSSL resumes a session only into the context it was made in, and Node's
 * default context is a hash of the process's command line: a chatd restarted with one flag more (or
 * another node of the cluster) would refuse every ticket. chatd's client-certificate policy is the
 * same on every listener that shares these keys, so one constant context is right.
 */
export const SESSION_ID_CONTEXT = 'chatd-tls-session-v1';

export type TicketMaterial = { key: Buffer; ca: Buffer };

/** The 48 bytes Node wants (16 name, 16 HMAC, 16 AES) for the period that contains `now`. */
export function ticketKeys(m: TicketMaterial, now = Date.now()): Buffer {
  // The key's DER, not its PEM text: the same key written another way (line endings, PKCS#1 vs #8)
  // gives the same tickets.
  const der = createPrivateKey(m.key).export({ type: 'pkcs8', format: 'der' });
  const salt = createHash('sha256').update(m.ca).digest();
  const period = Math.floor(now / TICKET_KEY_PERIOD_MS);
  return Buffer.from(hkdfSync('sha256', der, salt, `chatd tls ticket keys v1 period ${period}`, 48));
}

/** The secure-context settings for resumable sessions (merged into secureContextOptions()). */
export function ticketOptions(m: TicketMaterial, now = Date.now()): Pick<tls.SecureContextOptions, 'ticketKeys' | 'sessionIdContext' | 'sessionTimeout'> {
  return { ticketKeys: ticketKeys(m, now), sessionIdContext: SESSION_ID_CONTEXT, sessionTimeout: SESSION_LIFETIME_S };
}

/**
 * Moves a listener to the next period's key when its period ends. `material()` is the key material of
 * the listener's current secure context (a SIGHUP may have changed it). stop() ends the timer; it is
 * unref'd, so it never keeps a process alive.
 */
export function rotateTicketKeys(server: tls.Server, material: () => TicketMaterial, now: () => number = Date.now): { stop(): void } {
  let timer: NodeJS.Timeout | null = null;
  const arm = () => {
    const t = now();
    const next = (Math.floor(t / TICKET_KEY_PERIOD_MS) + 1) * TICKET_KEY_PERIOD_MS;
    timer = setTimeout(() => {
      // Computed for the period that has begun, whatever the timer's lateness.
      server.setTicketKeys(ticketKeys(material(), Math.max(now(), next)));
      arm();
    }, next - t + 10);
    timer.unref();
  };
  arm();
  return { stop: () => { if (timer) clearTimeout(timer); timer = null; } };
}
