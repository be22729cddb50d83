// `search <words…> [in:#room] [from:user] [n≤50]`: full-text search over the rooms the caller's
// session is in (README "Search"). The result (the match count) comes first, then the matches as a
// history frame with `search: true` (DESIGN), newest first.
import { ChatdError } from '../errors.js';
import type { HistoryFrame } from '../protocol/frames.js';
import { parseSearch } from '../search-query.js';
import { sanitizeText } from '../sanitize.js';
import { fitting, rowCost } from './budget.js';
import { command, type Command } from './registry.js';

const search = command({
  name: 'search', level: 1, usage: '<words…> [in:#room] [from:user] [n<=50]', minArgs: 1,
  description: 'find messages with all these words in the rooms you are in, newest first',
  examples: ['release notes', 'deploy in:#ops from:alice 10'],
  async run(ctx) {
    const q = parseSearch(ctx.args);
    const mine = [...ctx.session.rooms];
    // Rooms are open to all, and joining one shows its history: being in a room is what lets a
    // session search it, as it lets it read it.
    if (q.room && !ctx.session.rooms.has(q.room)) throw new ChatdError('NO_SUCH_ROOM', `you are not in #${q.room}; ${ctx.prefix}join it to search it`);
    const rooms = q.room ? [q.room] : mine;
    if (!rooms.length) throw new ChatdError('NO_SUCH_ROOM', `you are in no room; ${ctx.prefix}join one to search it`);
    await ctx.host.settleHistory(); // what was just said is searchable
    const found = await ctx.host.db.searchMessages({ words: q.words, rooms, from: q.from, limit: q.limit });
    // Stored text was sanitized on the way in; sanitized again on the way out, as every text is
    // before it is shown (a database restored from elsewhere, rows written by an older chatd).
    const all = found.map((m) => ({ ...m, text: sanitizeText(m.text), from: { name: sanitizeText(m.from.name), role: sanitizeText(m.from.role), color: m.from.color } }));
    const n = fitting(all, ctx.host.config.limits, (m) => rowCost(m) / 2);
    const messages = all.slice(0, Math.max(n, Math.min(1, all.length)));
    const where = q.room ? `#${q.room}` : `${rooms.length} room${rooms.length === 1 ? '' : 's'}`;
    const cut = messages.length < all.length ? `; the ${messages.length} newest fit in one answer` : '';
    const text = `${all.length ? all.length : 'no'} match${all.length === 1 ? '' : 'es'} for "${q.words.join(' ')}" in ${where}${q.from ? ` from ${q.from}` : ''}${cut}`;
    const matches: HistoryFrame = { type: 'history', room: q.room ?? '*', messages, search: true };
    return {
      text, data: { count: all.length, words: q.words, rooms, from: q.from, limit: q.limit, ...(cut ? { shown: messages.length, truncated: true } : {}) },
      after: [matches],
    };
  },
});

export const SEARCH_COMMANDS: Command[] = [search];
