// "did you mean //join?": the nearest command name by edit distance, when it is near enough.

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/** The closest of `names` to `typed` (at most 2 edits, fewer for short names), or null. */
export function nearest(typed: string, names: string[]): string | null {
  const t = typed.slice(0, 40);
  const limit = t.length <= 3 ? 1 : 2;
  let best: string | null = null;
  let bestD = Infinity;
  for (const n of names) {
    const d = distance(t, n);
    if (d < bestD || (d === bestD && best !== null && n < best)) { best = n; bestD = d; }
  }
  return bestD <= limit ? best : null;
}
