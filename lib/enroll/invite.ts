// The invite code of DESIGN.md "Enrollment": `chatd-invite:<base64url of JSON {v, s?, u, t, fp}>`.
// The code carries everything a new user needs to reach the server safely: where (s), who (u), the
// one-time secret (t, 128 random bits; the server keeps only its SHA-256) and the CA fingerprint (fp)
// that authenticates the server before the user's password leaves their machine.
import crypto from 'node:crypto';
import { SetupError } from '../errors.js';
import { normalizeUsername } from '../sanitize.js';

export const INVITE_PREFIX = 'chatd-invite:';

export type Invite = { v: 1; s?: string; u: string; t: string; fp: string };

export function newToken(): string {
  return crypto.randomBytes(16).toString('base64url');
}

/** What the invites table keeps of a token: hex SHA-256 (the token has 128 bits, so no salt or slow hash is needed). */
export function tokenHash(token: string): string {
  return crypto.createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * The CA fingerprint an invite pins: hex SHA-256 of the certificate's DER. For a bundle (an
 * intermediate with its root) it covers every certificate in it, in order, so that nothing can be
 * added to the trust the client takes from enroll_hello; for one certificate that is its DER's SHA-256.
 */
export function caFingerprint(pem: string): string {
  const ders = pemBlocks(pem).map((b) => new crypto.X509Certificate(b).raw);
  if (!ders.length) throw new SetupError('no certificate in the CA file');
  return crypto.createHash('sha256').update(Buffer.concat(ders)).digest('hex');
}

/** The PEM certificate blocks of a file, in order. */
export function pemBlocks(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

export function encodeInvite(i: Invite): string {
  return INVITE_PREFIX + Buffer.from(JSON.stringify(i), 'utf8').toString('base64url');
}

/** Reads an invite code; anything else is a usage error naming what is wrong. */
export function decodeInvite(code: string): Invite {
  const bad = (why: string) => new SetupError(`not a valid invite code (${why}); ask for a new one`, 2);
  const trimmed = code.trim();
  if (!trimmed.startsWith(INVITE_PREFIX)) throw bad(`it must start with ${INVITE_PREFIX}`);
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(Buffer.from(trimmed.slice(INVITE_PREFIX.length), 'base64url').toString('utf8'));
  } catch {
    throw bad('damaged');
  }
  if (!o || typeof o !== 'object' || o.v !== 1) throw bad('unknown version');
  const u = typeof o.u === 'string' ? normalizeUsername(o.u) : null;
  if (!u) throw bad('no user name');
  if (typeof o.t !== 'string' || !/^[A-Za-z0-9_-]{16,64}$/.test(o.t)) throw bad('no token');
  if (typeof o.fp !== 'string' || !/^[0-9a-f]{64}$/.test(o.fp)) throw bad('no CA fingerprint');
  if (o.s !== undefined && (typeof o.s !== 'string' || !parseHostPort(o.s))) throw bad('bad server address');
  return { v: 1, u, t: o.t, fp: o.fp, ...(typeof o.s === 'string' ? { s: o.s } : {}) };
}

/** `host:port`, `[v6]:port`; null when it is not one. */
export function parseHostPort(s: string): { host: string; port: number } | null {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(s);
  if (!m) return null;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return null;
  return { host: (m[1] ?? m[2])!, port };
}
