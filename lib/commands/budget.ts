// Answers a user can make large (users, rooms, history) are cut to a budget well below the send
// queue, so the server's own answer never trips the limit meant for slow readers (issue 20, fault 2).
import type { Limits } from '../config.js';
import { ChatdError } from '../errors.js';

/** Bytes one answer may use: limits.answerBytes, and never more than a quarter of the send queue. */
export function answerBudget(l: Pick<Limits, 'answerBytes' | 'sendqBytes'>): number {
  return Math.max(1024, Math.min(l.answerBytes, Math.floor(l.sendqBytes / 4)));
}

/**
 * How many of `rows`, from the first on, fit in one answer at `cost` each; 1 KiB of the budget is
 * left for the answer's own text. The messages of a history (newest last) are counted reversed.
 */
export function fitting<T>(rows: readonly T[], l: Pick<Limits, 'answerBytes' | 'sendqBytes'>, cost: (row: T) => number): number {
  let budget = answerBudget(l) - 1024;
  let n = 0;
  while (n < rows.length && (budget -= cost(rows[n]!)) >= 0) n++;
  return n;
}

/** What a row costs in an answer: its JSON in `data` plus about as much again in the text. */
export function rowCost(row: unknown): number {
  return 2 * Buffer.byteLength(JSON.stringify(row)) + 8;
}

/** A page argument: 1 when absent, else a whole number >= 1. */
export function pageArg(raw: string | undefined): number {
  if (raw === undefined) return 1;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new ChatdError('BAD_ARGS', `"${raw.slice(0, 16)}" is not a page number`);
  return n;
}

/**
 * Page `page` (from 1) of `rows`, pages packed in order up to `budget` bytes each (one row at least,
 * so a huge row still shows). `after` counts the rows on later pages.
 */
export function pageOf<T>(rows: T[], page: number, budget: number, cost: (row: T) => number = rowCost): { rows: T[]; after: number; pages: number } {
  let start = 0;
  let n = 1;
  let pageStart = 0;
  let pageEnd = rows.length;
  let used = 0;
  for (let i = 0; i < rows.length; i++) {
    const c = cost(rows[i]);
    if (used + c > budget && i > start) {
      if (n === page) pageEnd = i;
      n++;
      start = i;
      used = 0;
      if (n === page) pageStart = i;
    }
    used += c;
  }
  if (page > n && rows.length) throw new ChatdError('BAD_ARGS', `there ${n === 1 ? 'is 1 page' : `are ${n} pages`}`);
  if (page > n) return { rows: [], after: 0, pages: n };
  return { rows: rows.slice(pageStart, pageEnd), after: rows.length - pageEnd, pages: n };
}

/** The line under a cut list: how many more, and the command that shows them. */
export function moreLine(after: number, next: string): string {
  return after > 0 ? `\n… and ${after} more; ${next} shows the next page` : '';
}
