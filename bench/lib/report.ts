// The one table `npm run bench` prints, and the JSON with the same figures.

export type Row = {
  /** Stable key of the figure in latest.json (snake_case, as DESIGN.md "Benchmarks" names it). */
  key: string;
  figure: string;
  unit: string;
  chatd: number | null;
  ceiling: number | null;
  /** chatd / ceiling (or chatd / the theoretical figure for logins). */
  ratio: number | null;
  target?: string;
  met?: boolean | null;
};

export function row(key: string, figure: string, unit: string, chatd: number | null, ceiling: number | null, extra: Partial<Row> = {}): Row {
  const ratio = chatd !== null && ceiling !== null && ceiling !== 0 && Number.isFinite(chatd) && Number.isFinite(ceiling) ? chatd / ceiling : null;
  return { key, figure, unit, chatd, ceiling, ratio, ...extra };
}

export function fmt(v: number | null | undefined): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  const a = Math.abs(v);
  if (a >= 1000) return Math.round(v).toLocaleString('en-US');
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

export function table(rows: Row[]): string {
  const head = ['figure', 'unit', 'chatd', 'ceiling', 'chatd/ceiling', 'target', 'met'];
  const body = rows.map((r) => [
    r.figure, r.unit, fmt(r.chatd), fmt(r.ceiling), r.ratio === null ? '—' : r.ratio.toFixed(2),
    r.target ?? '', r.met === undefined ? '' : r.met === null ? 'n/a' : r.met ? 'yes' : 'NO',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const right = [false, false, true, true, true, false, false];
  const line = (cells: string[]) => `| ${cells.map((c, i) => (right[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (right[i] ? '-'.repeat(w + 1) + ':' : '-'.repeat(w + 2))).join('|')}|`;
  return [line(head), rule, ...body.map(line)].join('\n');
}
