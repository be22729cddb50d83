// The history section: inserts per second and `history 200` latency, on SQLite and (unless
// --no-mysql) MariaDB, straight against the store (no server).
import { mariadbHistory, sqliteHistory, type HistoryFigures } from '../lib/history-bench.js';
import { mariadbSearch, sqliteSearch, type SearchFigures } from '../lib/search-bench.js';
import type { RunContext } from '../lib/run-context.js';

export type HistorySection = { sqlite?: HistoryFigures; mariadb?: HistoryFigures | null; searchSqlite?: SearchFigures; searchMariadb?: SearchFigures | null };

export async function history(ctx: RunContext, note: (s: string) => void): Promise<HistorySection> {
  const p = ctx.plan;
  const h: HistorySection = {};
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
  // search over a large history (issue 15): p50/p99 of the queries the search command sends.
  ctx.log(`history: search, SQLite (FTS5), ${p.searchMessages} messages`);
  h.searchSqlite = await sqliteSearch(p.searchMessages, p.searchQueries, ctx.log);
  h.searchMariadb = p.mysql ? await mariadbSearch(p.mysql, p.searchMessages, p.searchQueries, ctx.log) : null;
  return h;
}
