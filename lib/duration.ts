// Durations as moderators type them: 30s, 10m, 2h, 7d, perm.
const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** Milliseconds, `null` for permanent, or `undefined` when the text is not a duration. */
export function parseDuration(text: string): number | null | undefined {
  const t = text.trim().toLowerCase();
  if (t === 'perm' || t === 'permanent' || t === 'forever') return null;
  const m = /^(\d{1,6})([smhdw])$/.exec(t);
  if (!m) return undefined;
  const ms = Number(m[1]) * UNITS[m[2]];
  return ms > 0 ? ms : undefined;
}

/** "10m", "2h", "perm" for a duration in ms (null = permanent). */
export function formatDuration(ms: number | null): string {
  if (ms === null) return 'perm';
  for (const [u, f] of [['d', UNITS.d], ['h', UNITS.h], ['m', UNITS.m]] as const) if (ms >= f && ms % f === 0) return `${ms / f}${u}`;
  return `${Math.ceil(ms / 1000)}s`;
}

/** "2026-11-25T10:00:00.000Z" or "never" for an expiry timestamp. */
export function formatExpiry(expiresAt: number | null): string {
  return expiresAt === null ? 'never (permanent)' : new Date(expiresAt).toISOString();
}

/** What a banned user is told, at login (error BANNED) and when a ban closes a session (bye BANNED). */
export function banMessage(b: { by: string; reason: string; expiresAt: number | null }): string {
  return `banned by ${b.by}${b.reason ? `: ${b.reason}` : ''}; expires ${formatExpiry(b.expiresAt)}`;
}
