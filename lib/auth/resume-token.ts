// Resume tokens: a client that was just logged in comes back (after a restart, a network blip)
// without a password hash. A token is a MAC, not a row: nothing is written per login, any node of a
// cluster checks it, and it is void as soon as anything it was made over changes.
//
//   v1.<user id>.<expires, ms since the epoch>.<base64url HMAC-SHA256>
//
// The MAC is keyed by a server secret kept in the database (migration 009, shared by every node,
// kept across restarts) and covers the user's id and name, the expiry, the SHA-256 fingerprint of
// the client certificate it was issued to, and a digest of the user's password hash at that time.
// So a token is void when it expires, on another certificate, for another user, and after a password
// change or rehash (the stored hash changes). It proves what a password login proved minutes ago,
// on the same key; it is never a way around the checks that follow a password (lib/auth/login.ts).
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** What a token is made over, from the user's record. */
export type TokenSubject = { id: number; username: string; passwordHash: string };

const PREFIX = 'v1';
/** Ids and times as plain decimals (no sign, no leading zero, at most 16 digits), then the 32-byte MAC. */
const TOKEN_RE = /^v1\.([1-9]\d{0,15})\.([1-9]\d{0,15})\.([A-Za-z0-9_-]{43})$/;
/** Longer than any token this code makes: not parsed at all. */
export const MAX_TOKEN_LENGTH = 128;

// Checked against for names that have no account, so that a refusal costs the same either way.
const NOBODY: TokenSubject = { id: 0, username: '', passwordHash: '' };

export class ResumeTokens {
  constructor(private readonly secret: Buffer) {}

  /** A token for `user` on the certificate `fingerprint`, valid until `expires` (ms). */
  issue(user: TokenSubject, fingerprint: string, expires: number): string {
    return `${PREFIX}.${user.id}.${expires}.${this.mac(user, fingerprint, expires).toString('base64url')}`;
  }

  /**
   * True when `token` was issued by a node with this secret to `user` on `fingerprint`, and is good
   * now: not expired, and not valid further ahead than `maxTtlMs` (a lowered lifetime shortens tokens
   * already out; 0 refuses them all). `user` null (no such account) is always false, after the
   * same work.
   */
  verify(token: string, user: TokenSubject | null, fingerprint: string, now: number, maxTtlMs: number): boolean {
    const m = token.length <= MAX_TOKEN_LENGTH ? TOKEN_RE.exec(token) : null;
    if (!m) return false;
    const expires = Number(m[2]);
    // As text, so that only the one canonical spelling of the MAC matches (base64url's last character
    // has spare bits); in constant time, and whatever else is wrong, so the time says nothing.
    const expected = Buffer.from(this.mac(user ?? NOBODY, fingerprint, expires).toString('base64url'));
    const macOk = timingSafeEqual(Buffer.from(m[3]!), expected);
    return macOk && user !== null && Number(m[1]) === user.id && expires > now && expires <= now + maxTtlMs;
  }

  private mac(user: TokenSubject, fingerprint: string, expires: number): Buffer {
    // Fields separated by NUL, which none of them can hold, so no two field lists give one input.
    const hashDigest = createHash('sha256').update(user.passwordHash).digest('base64');
    return createHmac('sha256', this.secret).update(`${PREFIX}\0${user.id}\0${user.username}\0${expires}\0${fingerprint}\0${hashDigest}`).digest();
  }
}
