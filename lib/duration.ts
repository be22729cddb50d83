// Durations as moderators type them: 30s, 10m, 2h, 7d, perm.
const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/**
 * The longest duration taken: ten years. Longer is what `perm` says; 999999w (19,000 years) made
 * expiry dates that printed as "+021192-03 31T05 UTC".
 */
export const MAX_DURATION_MS = 3650 * UNITS.d!;

/** Milliseconds, `null` for permanent, or `undefined` when the text is not a duration. */
export function parseDuration(text: string): number | null | undefined {
  const t = text.trim().toLowerCase();
  if (t === 'perm' || t === 'permanent' || t === 'forever') return null;
  const m = /^(\d{1,6})([smhdw])$/.exec(t);
  if (!m) return undefined;
  const ms = Number(m[1]) * UNITS[m[2]];
  return ms > 0 && ms <= MAX_DURATION_MS ? ms : undefined;
}

/**
 * Whether a word that is not a duration was meant as one (`-10m`, `"10m"`, `99999999d`, `0s`): a
 * ban's optional duration is followed by its reason, and such a word taken as the reason's first
 * made a permanent ban of what was meant to be a short one.
 */
export function meantAsDuration(word: string): boolean {
  return /^[-+"'(]*\d/.test(word.trim());
}

/** "10m", "2h", "perm" for a duration in ms (null = permanent). */
export function formatDuration(ms: number | null): string {
  if (ms === null) return 'perm';
  for (const [u, f] of [['d', UNITS.d], ['h', UNITS.h], ['m', UNITS.m]] as const) if (ms >= f && ms % f === 0) return `${ms / f}${u}`;
  return `${Math.ceil(ms / 1000)}s`;
}

// Times in answers are rendered by the server for clients in any time zone, so they are UTC and say
// so ("10:54 UTC"); JSON `data` keeps the epoch milliseconds, and chat lines are stamped by the client.

/** "9m 58s", "2h 5m", "3d 4h": the two largest units of a duration, for people. */
export function humanDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const parts: Array<[number, string]> = [[Math.floor(s / 86_400), 'd'], [Math.floor((s % 86_400) / 3600), 'h'], [Math.floor((s % 3600) / 60), 'm'], [s % 60, 's']];
  const first = parts.findIndex(([n]) => n > 0);
  return parts.slice(first, first + 2).filter(([n]) => n > 0).map(([n, u]) => `${n}${u}`).join(' ');
}

/** "10:54 UTC", with the date when that is not today (UTC): "2026-12-07 10:54 UTC". */
export function clockUtc(ts: number, now = Date.now()): string {
  const iso = new Date(ts).toISOString();
  const day = iso.slice(0, 10);
  return `${day === new Date(now).toISOString().slice(0, 10) ? '' : day + ' '}${iso.slice(11, 16)} UTC`;
}

/** "for 9m 58s, until 10:54 UTC", or "permanently" (null). */
export function untilText(until: number | null, now = Date.now()): string {
  return until === null ? 'permanently' : `for ${humanDuration(until - now)}, until ${clockUtc(until, now)}`;
}

/** "10:44 UTC (10m ago)". */
export function sinceText(ts: number, now = Date.now()): string {
  return `${clockUtc(ts, now)} (${humanDuration(now - ts)} ago)`;
}

/** "in 9m 58s (10:54 UTC)", or "never (permanent)" for an expiry timestamp. */
export function formatExpiry(expiresAt: number | null, now = Date.now()): string {
  return expiresAt === null ? 'never (permanent)' : `in ${humanDuration(expiresAt - now)} (${clockUtc(expiresAt, now)})`;
}

/** What a banned user is told, at login (error BANNED) and when a ban closes a session (bye BANNED). */
export function banMessage(b: { by: string; reason: string; expiresAt: number | null }): string {
  return `banned by ${b.by}${b.reason ? `: ${b.reason}` : ''}; expires ${formatExpiry(b.expiresAt)}`;
}

/** What a kicked user's sessions are told (bye KICKED), by the issuing node and by every node that polls the kick. */
export function kickMessage(by: string, reason: string | null): string {
  return `kicked by ${by}${reason ? `: ${reason}` : ''}`;
}
