// Account rules shared by chat-admin and the server's commands.
import { PALETTE } from '../render.js';

export const MIN_PASSWORD = 8;
export const MAX_PASSWORD = 1024; // bounds the work a login can ask of the hasher

/** The rule, said before a person is asked for a new password. */
export const PASSWORD_RULE = `at least ${MIN_PASSWORD} characters (at most ${MAX_PASSWORD}); a passphrase of a few words is best`;

/** Why a new password is refused, or null when it is fine. */
export function passwordProblem(pw: string): string | null {
  if ([...pw].length < MIN_PASSWORD) return `password must be at least ${MIN_PASSWORD} characters`;
  if (pw.length > MAX_PASSWORD) return `password must be at most ${MAX_PASSWORD} characters`;
  return null;
}

/** The shortest password an enrollment accepts (NIST SP 800-63B asks at least 8; a new account gets more). */
export const MIN_ENROLL_PASSWORD = 10;

/** What a password must be to open an account by enrollment: WEAK_PASSWORD's message when it is not. */
export function enrollPasswordProblem(password: string, user: string): string | null {
  if ([...password].length < MIN_ENROLL_PASSWORD) return `password must be at least ${MIN_ENROLL_PASSWORD} characters`;
  if (password.length > MAX_PASSWORD) return `password must be at most ${MAX_PASSWORD} characters`;
  // The name with digits or punctuation around it ("Alice-2026!") is the name too.
  const letters = (t: string) => t.toLowerCase().replace(/[^\p{L}]/gu, '');
  if (letters(password) === letters(user)) return 'password must not be the user name';
  return null;
}

/** Role colors come from the ansi-colors palette, so the renderer can always paint them. */
export const ROLE_COLORS: readonly string[] = PALETTE;

export function isRoleColor(c: string): boolean {
  return ROLE_COLORS.includes(c);
}

/** The actor chat-admin writes to audit_log; running nodes follow its entries (ChatNode.pollAdminChanges). */
export const ADMIN_ACTOR = 'chat-admin';

/**
 * Why `name` cannot be a new account's, or null. Names chatd writes or shows as its own: chat-admin's
 * audit actor (nodes follow its rows, and a ban it set counts as the owner's), enrollment's, IRC's
 * server prefix (a user "chatd" would send what looks like server notices), and the names purged
 * accounts are given. Existing accounts that hold one are left as they are.
 */
/** The audit actor of `npm start`'s first owner (lib/dev.ts): an account of that name would own those rows. */
export const DEV_ACTOR = 'npm-start';

export function reservedName(name: string): string | null {
  if (name === ADMIN_ACTOR || name === 'enroll' || name === 'chatd' || name === DEV_ACTOR || /^deleted-\d+$/.test(name)) return `the name ${name} is reserved for chatd itself`;
  return null;
}

export const ROLE_NAME_RE = /^[a-z][a-z0-9_-]{0,31}$/;

/** Nobody acts on a user of equal or higher level; the owner level (1000+) may act on anyone below it. */
export function outranks(actorLevel: number, targetLevel: number): boolean {
  return actorLevel > targetLevel;
}

export const OWNER_LEVEL = 1000;

/** Nobody grants a role at or above their own level, owner excepted. */
export function mayGrant(actorLevel: number, roleLevel: number): boolean {
  return actorLevel >= OWNER_LEVEL || roleLevel < actorLevel;
}
