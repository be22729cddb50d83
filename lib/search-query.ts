// The words of `search <words…> [in:#room] [from:user] [n≤50]`, parsed once into a value the store
// turns into its engine's query. Only runs of letters, digits, marks and `_` survive as search words: FTS5 and
// MySQL's boolean mode each have their own operators (quotes, `*`, `-`, `+`, parentheses, NEAR, OR…)
// and none of them reaches the database as syntax, so a hostile query is a plain word search or BAD_ARGS.
import { ChatdError } from './errors.js';
import { normalizeRoom, normalizeUsername } from './sanitize.js';

export const SEARCH_DEFAULT_N = 20;
export const SEARCH_MAX_N = 50;
export const SEARCH_MAX_WORDS = 10;
export const SEARCH_MAX_WORD = 64; // code points; no language has words longer, and FTS5 and InnoDB cut at 84

export type SearchQuery = { words: string[]; room: string | null; from: string | null; limit: number };

// A word: a letter, digit or `_` followed by letters, digits, combining marks and `_`, as typed
// (NFC, case kept). Each engine folds case and accents of a query word with the same tokenizer that
// folded the stored text; lowercasing here, with JavaScript's newer Unicode tables, made words no
// engine had stored (`İ` → `i` + U+0307, which also cut "İstanbul" in two; Cherokee to its lowercase
// block). Marks and `_` stay inside a word because InnoDB indexes "नमस्ते" and "config_path" as one
// word each (FTS5, handed a word as one quoted string, cuts it at them just as it cut the text).
const WORD = /[\p{L}\p{N}_][\p{L}\p{N}\p{M}_]*/gu;
const HAS_LETTER = /[\p{L}\p{N}]/u;

/** Search words of a text, as typed (NFC): neither operators nor separators survive. */
export function searchWords(text: string): string[] {
  return (text.normalize('NFC').match(WORD) ?? []).filter((w) => HAS_LETTER.test(w));
}

export function parseSearch(args: string[]): SearchQuery {
  let room: string | null = null;
  let from: string | null = null;
  let limit: number | null = null;
  const words: string[] = [];
  const rest = [...args];
  // A last bare number is the count, as in `history [n]`, when something else is searched for.
  const last = rest[rest.length - 1];
  if (rest.length > 1 && last !== undefined && /^\d+$/.test(last)) limit = countArg(rest.pop()!);
  for (const a of rest) {
    const m = /^(in|from|n):(.*)$/i.exec(a);
    if (!m) { words.push(...searchWords(a)); continue; }
    const key = m[1]!.toLowerCase();
    if (key === 'in') {
      room = normalizeRoom(m[2]!);
      if (!room) throw new ChatdError('BAD_ARGS', `"${a.slice(0, 40)}" names no valid room`);
    } else if (key === 'from') {
      from = normalizeUsername(m[2]!);
      if (!from) throw new ChatdError('BAD_ARGS', `"${a.slice(0, 40)}" names no valid user`);
    } else limit = countArg(m[2]!);
  }
  if (!words.length) throw new ChatdError('BAD_ARGS', 'give at least one word to search for (letters or digits)');
  if (words.length > SEARCH_MAX_WORDS) throw new ChatdError('BAD_ARGS', `at most ${SEARCH_MAX_WORDS} words`);
  if (words.some((w) => [...w].length > SEARCH_MAX_WORD)) throw new ChatdError('BAD_ARGS', `words are at most ${SEARCH_MAX_WORD} characters`);
  // One word per folded form (the engines fold alike), the first as typed.
  const byFold = new Map<string, string>();
  for (const w of words) {
    const folded = foldWord(w);
    if (!byFold.has(folded)) byFold.set(folded, w);
  }
  return { words: [...byFold.values()], room, from, limit: limit ?? SEARCH_DEFAULT_N };
}

function countArg(raw: string): number {
  const n = /^\d{1,3}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > SEARCH_MAX_N) throw new ChatdError('BAD_ARGS', `the number of results is 1-${SEARCH_MAX_N}`);
  return n;
}

/** FTS5: every word a quoted string (no operator inside quotes), all of them required. */
export function fts5Match(words: string[]): string {
  return words.map((w) => `"${w.replaceAll('"', '""')}"`).join(' ');
}

// InnoDB indexes no word shorter than innodb_ft_min_token_size (3) and none of its default stopwords
// (information_schema.INNODB_FT_DEFAULT_STOPWORD); a required `+word` it never indexed matches no
// row at all, so such words are left out of the query instead.
const INNODB_MIN_WORD = 3;
const INNODB_STOPWORDS = new Set(['a', 'about', 'an', 'are', 'as', 'at', 'be', 'by', 'com', 'de', 'en', 'for', 'from', 'how', 'i', 'in',
  'is', 'it', 'la', 'of', 'on', 'or', 'that', 'the', 'this', 'to', 'was', 'what', 'when', 'where', 'who', 'will', 'with', 'und', 'www']);

/** The words InnoDB indexes, of those given. */
export function innodbWords(words: string[]): string[] {
  return words.filter((w) => [...w].length >= INNODB_MIN_WORD && !INNODB_STOPWORDS.has(foldWord(w)));
}

/** Lowercase, accents off: how MySQL's utf8mb4 collations compare words (and FTS5's remove_diacritics). */
export function foldWord(w: string): string {
  // Lowercased after NFD and before the marks go: `İ` lowercases to `i` + U+0307.
  return w.normalize('NFD').toLowerCase().replace(/\p{M}/gu, '');
}

/** Whether `text` contains every one of `words` (folded) as a whole word. */
export function hasAllWords(text: string, words: string[]): boolean {
  const have = new Set(searchWords(text).map(foldWord));
  return words.every((w) => have.has(foldWord(w)));
}

/**
 * MySQL boolean mode: every indexed word required; words are letters and digits only, so no operator
 * remains. Empty when no word is indexed (the store then finds nothing).
 */
export function booleanMatch(words: string[]): string {
  return innodbWords(words).map((w) => `+${w}`).join(' ');
}
