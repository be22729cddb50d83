// The history section: inserts per second and `history 200` latency, on SQLite and (unless
// --no-mysql) MariaDB, straight against the store (no server).
import { mariadbHistory, sqliteHistory, type HistoryFigures } from '../lib/history-bench.js';
import type { RunContext } from '../lib/run-context.js';

export async function history(ctx: RunContext, note: (s: string) => void): Promise<{ sqlite?: HistoryFigures; mariadb?: HistoryFigures | null }> {
  const p = ctx.plan;
  const h: { sqlite?: HistoryFigures; mariadb?: HistoryFigures | null } = {};
  ctx.log(`history: SQLite, ${p.historyMessages} messages`);
  h.sqlite = await sqliteHistory(p.historyMessages, p.historyQueries);
  if (p.mysql) {
    ctx.log('history: MariaDB');
    const r = await mariadbHistory(p.mysql, p.historyMessages, p.historyQueries);
    h.mariadb = r.figures;
    if (r.note) note(r.note);
  } else {
    h.mariadb = null;
    note('MariaDB skipped (--no-mysql)');
  }
  return h;
}
