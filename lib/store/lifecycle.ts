// The Store's data lifecycle (issue 15): search, retention pruning, and one account's export and
// purge. Its own module because these read or erase across every table, unlike the per-concern ones.
import type { Knex } from 'knex';
import type { MessageFrame } from '../protocol/frames.js';
import { booleanMatch, fts5Match, hasAllWords, innodbWords } from '../search-query.js';
import { certCutoff } from '../auth/certs.js';
import { StoreCore } from './core.js';
import { SQL } from './sql.js';
import { num, PURGED_HASH, toBan, toMessage, type UserRecord } from './records.js';

export type ExportedDm = { id: string; ts: string | null; from: string; to: string; text: string; delivered: boolean };

/** What `chat-admin export --user` writes (README "Export"). Times are ISO 8601. */
export type UserExport = {
  account: { id: number; username: string; role: string; disabled: boolean; createdAt: string | null; lastLogin: string | null };
  messages: Array<{ id: string; ts: string | null; room: string; kind: string; text: string }>;
  /** Direct messages, stored since migration 008_dms: those the user sent and received, oldest first. */
  dms: { stored: true; sent: ExportedDm[]; received: ExportedDm[] };
  bans: Array<{ id: number; reason: string; by: string; createdAt: string | null; expiresAt: string | null; liftedAt: string | null }>;
  mutes: Array<{ until: string | null; by: string; createdAt: string | null }>;
  audit: Array<{ id: number; ts: string | null; actor: string; action: string; target: string | null; detail: string | null }>;
};

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** MySQL search: the newest rows checked before the FULLTEXT index is asked, and how many of them at most reach chatd. */
const RECENT_ROWS = 20_000;
const RECENT_CANDIDATES = 200;

export abstract class LifecycleStore extends StoreCore {
  // ---- data lifecycle (issue 15) -------------------------------------------------------------
  /**
   * Matches of all `words` in `rooms`, newest first (by arrival in the database). FTS5 hands its
   * rowids (= seq) out in descending order and stops at the limit, where ordering by ts would sort
   * every match of a common word first.
   */
  async searchMessages(q: { words: string[]; rooms: string[]; from?: string | null; limit: number }): Promise<MessageFrame[]> {
    if (!q.rooms.length || !q.words.length) return [];
    const against = this.target.kind === 'mysql' ? booleanMatch(q.words) : '';
    if (this.target.kind === 'mysql' && !against) return [];
    const inRooms = q.rooms.map(() => '?').join(', ');
    const from = q.from ? ' and m.sender_name = ?' : '';
    const params: unknown[] = [...q.rooms, ...(q.from ? [q.from] : []), q.limit];
    if (this.target.kind === 'sqlite') {
      // On a worker thread where the database is a file (lib/store/search-worker.ts): the walk over
      // a common word's matches outside the session's rooms must not hold chatd's event loop.
      const sql = `select m.* from messages_fts join messages m on m.seq = messages_fts.rowid where messages_fts match ?`
        + ` and m.room in (${inRooms})${from} order by messages_fts.rowid desc limit ?`;
      const reader = this.searchReader();
      const rows = reader ? await reader.all(sql, [fts5Match(q.words), ...params]) : await this.direct.all(sql, [fts5Match(q.words), ...params]);
      return rows.map(toMessage);
    }
    return this.searchGate.run(() => this.searchMysql(q.words, against, inRooms, from, params, q.limit));
  }

  private async searchMysql(all: string[], against: string, inRooms: string, from: string, params: unknown[], limit: number): Promise<MessageFrame[]> {
    // InnoDB's FULLTEXT hands out every match of a word before anything is ordered or limited, at
    // ~33 µs a match: a word in 2 % of 1,000,000 messages cost 0.7 s, one in a third of them 3 s
    // (BENCHMARKS.md). Such words are found among the newest messages, so those are tried first:
    // the newest rows by primary key; otherwise the index answers, for words rare enough that their
    // matches are few.
    const words = innodbWords(all);
    // The database picks the candidates: rows of the window that hold every word as a substring, by
    // the column's own collation (as the index compares), newest first, and at most a few hundred.
    // Only they come to chatd to be checked word by word. Every row of the window did, before: from
    // long messages, megabytes parsed and tokenized on the event loop per search (4 s over 22,000
    // rows of 2,000 characters), for a word that was in none of them.
    const like = words.map(() => " and m.text like ? escape '!'").join('');
    const patterns = words.map((w) => `%${w.replace(/[!%_]/g, '!$&')}%`);
    const recent = await this.direct.all(`select m.* from messages m where m.seq > (select coalesce(max(seq), 0) - ${RECENT_ROWS} from messages)`
      + ` and m.room in (${inRooms})${from}${like} order by m.seq desc limit ${RECENT_CANDIDATES}`, [...params.slice(0, -1), ...patterns]);
    // Enough matches among the newest candidates are the newest matches overall: every whole-word
    // match in the window is a candidate, and every row outside the window is older.
    const hits = recent.filter((r) => hasAllWords(r.text, words));
    if (hits.length >= limit) return hits.slice(0, limit).map(toMessage);
    const rows = await this.direct.all(`select m.* from messages m where match(m.text) against (? in boolean mode)`
      + ` and m.room in (${inRooms})${from} order by m.seq desc limit ?`, [against, ...params]);
    return rows.map(toMessage);
  }

  /**
   * Deletes up to `batch` messages older than `before` (ms); returns how many. One short statement:
   * the caller loops, yielding between batches, so no lock is held long enough to stall chat.
   */
  async pruneMessages(before: number, batch: number): Promise<number> {
    return this.target.kind === 'sqlite'
      ? this.direct.run('delete from messages where seq in (select seq from messages where ts < ? limit ?)', [before, batch])
      // Ordered, so that the rows a batch takes are defined (statement-based replication), and by the ts index.
      : this.direct.run('delete from messages where ts < ? order by ts, seq limit ?', [before, batch]);
  }

  /**
   * Deletes up to `batch` DMs older than `before` (ms), delivered or still in a mailbox; returns how
   * many. Oldest first, along dms(ts) (migration 010): a run with nothing due reads nothing.
   */
  async pruneDms(before: number, batch: number): Promise<number> {
    return this.target.kind === 'sqlite'
      ? this.direct.run(SQL.pruneDms(batch), [before])
      : this.direct.run('delete from dms where ts < ? order by ts limit ?', [before, batch]);
  }

  async countMessages(): Promise<number> {
    const r = await this.knex('messages').count({ n: '*' }).first();
    return Number(r?.n ?? 0);
  }

  /** Everything stored about one account (chat-admin export); the password hash never leaves. */
  async exportUser(u: UserRecord): Promise<UserExport> {
    const mine = (q: Knex.QueryBuilder) => q.where('sender_id', u.id).orWhere((w) => w.whereNull('sender_id').andWhere('sender_name', u.username));
    const messages = await mine(this.knex('messages').select('id', 'ts', 'room', 'kind', 'text')).orderBy('seq', 'asc');
    const bans = await this.knex('bans').where('user_id', u.id).orWhere('username', u.username).orderBy('id', 'asc');
    const mutes = await this.knex('mutes').where('user_id', u.id);
    const audit = await this.knex('audit_log').where('target', u.username).orWhere('actor', u.username).orderBy('id', 'asc');
    const dms: ExportedDm[] = (await this.knex('dms').where('sender', u.username).orWhere('recipient', u.username).orderBy('seq', 'asc'))
      .map((r: any) => ({ id: r.id, ts: iso(Number(r.ts)), from: r.sender, to: r.recipient, text: r.text, delivered: r.delivered_at !== null }));
    return {
      account: { id: u.id, username: u.username, role: u.role, disabled: u.disabled, createdAt: iso(u.createdAt), lastLogin: iso(u.lastLogin) },
      messages: messages.map((r: any) => ({ id: r.id, ts: iso(Number(r.ts)), room: r.room, kind: r.kind, text: r.text })),
      dms: { stored: true, sent: dms.filter((d) => d.from === u.username), received: dms.filter((d) => d.to === u.username) },
      bans: bans.map((r: any) => {
        const b = toBan(r);
        return { id: b.id, reason: b.reason, by: b.by, createdAt: iso(b.createdAt), expiresAt: iso(b.expiresAt), liftedAt: iso(b.liftedAt) };
      }),
      mutes: mutes.map((r: any) => ({ until: iso(num(r.until)), by: r.by, createdAt: iso(Number(r.created_at)) })),
      audit: audit.map((r: any) => ({ id: Number(r.id), ts: iso(Number(r.ts)), actor: r.actor, action: r.action, target: r.target, detail: r.detail })),
    };
  }

  /**
   * Erases an account in one transaction: its messages are deleted; its name becomes
   * `deleted-<id>` wherever it is stored (the account row, audit_log, bans, mutes, revocations), so
   * the log keeps what happened without saying to whom; the row stays (disabled, no password) for
   * the ids that point at it. Returns the new name and how many messages went.
   */
  async purgeUser(u: UserRecord, actor: string, scrubFailed: (why: string) => void = () => {}): Promise<{ anonymous: string; messages: number; dms: number }> {
    const r = await this.purgeRows(u, actor);
    await this.scrubFile(scrubFailed);
    return r;
  }

  /**
   * Messages a purged account's live sessions still said before their nodes ended them (up to
   * limits.databasePollMs after the purge), written under its id by the history writer: deleted
   * too. Returns the names they were said under, for the nodes' memory of recent messages.
   */
  async deleteMessagesBySender(senderId: number, scrubFailed: (why: string) => void = () => {}): Promise<string[]> {
    const names = await this.knex.transaction(async (trx) => {
      const rows: Array<{ sender_name: string }> = await trx('messages').where('sender_id', senderId).distinct('sender_name');
      if (rows.length) await trx('messages').where('sender_id', senderId).del();
      return rows.map((r) => r.sender_name);
    });
    if (names.length) await this.scrubFile(scrubFailed);
    return names;
  }

  /**
   * SQLite, after an erasure: secure_delete (lib/store/url.ts) zeroes the deleted rows, but the
   * full-text index keeps a deleted message's words in its older segments until they are merged
   * (optimize merges them all), and the write-ahead log keeps the pages as they were until a
   * checkpoint writes them back and empties it. After the erasure has committed, so a failure here
   * (the database busy past its timeout) is reported to `failed`, not as a failed erasure; a reader
   * holding the log open (a backup under way) leaves it for the next checkpoint. ~70 ms for an index
   * of 100,000 messages, once per purge.
   */
  private async scrubFile(failed: (why: string) => void): Promise<void> {
    if (this.target.kind !== 'sqlite') return;
    try {
      await this.knex.raw("insert into messages_fts(messages_fts) values ('optimize')");
      await this.knex.raw('pragma wal_checkpoint(TRUNCATE)');
    } catch (e) {
      failed((e as Error).message);
    }
  }

  private purgeRows(u: UserRecord, actor: string): Promise<{ anonymous: string; messages: number; dms: number }> {
    const anon = `deleted-${u.id}`;
    const name = u.username;
    return this.knex.transaction(async (trx) => {
      const messages = await trx('messages').where('sender_id', u.id).orWhere((w) => w.whereNull('sender_id').andWhere('sender_name', name)).del();
      // DMs both ways: a conversation is about both people, and erasing means neither side keeps it here.
      const dms = await trx('dms').where('sender', name).orWhere('recipient', name).del();
      await trx('audit_log').where('actor', name).update({ actor: anon });
      await trx('audit_log').where('target', name).update({ target: anon });
      await trx('bans').where('user_id', u.id).orWhere('username', name).update({ username: anon });
      await trx('bans').where('by', name).update({ by: anon });
      await trx('bans').where('lifted_by', name).update({ lifted_by: anon });
      await trx('mutes').where('user_id', u.id).update({ username: anon });
      await trx('mutes').where('by', name).update({ by: anon });
      await trx('revoked_certs').where('by', name).update({ by: anon });
      await trx('login_locks').where('name', name).del();
      // The name is free again after this, and the account's certificates (CN = that name, signed by
      // our CA) would stay valid for whoever gets it next: one of the new account's two factors, or
      // with SASL EXTERNAL its whole login. Every certificate recorded for it (issued by enrollment
      // or renewal, or seen at a login) is revoked here, in the same transaction.
      const now = Date.now();
      const live: Array<{ fingerprint: string }> = await trx('certificates').where('user', name).whereNull('revoked_at').select('fingerprint');
      if (live.length) {
        await trx('certificates').whereIn('fingerprint', live.map((r) => r.fingerprint)).update({ revoked_at: now });
        await trx('revoked_certs').insert(live.map((r) => ({ fingerprint: r.fingerprint, by: actor, reason: 'account purged', created_at: now })))
          .onConflict('fingerprint').ignore();
      }
      // And those it has no row of (made with chat-certs, never used to log in): refused by date, for
      // whatever account gets the name next.
      await trx('cert_cutoffs').insert({ name, not_before: certCutoff(now) }).onConflict('name').merge();
      // Enrollment keeps the name too: certificates issued to it, invites for it or made by it.
      await trx('certificates').where('user', name).update({ user: anon });
      await trx('invites').where('user', name).update({ user: anon });
      await trx('invites').where('created_by', name).update({ created_by: anon });
      await trx('users').where('id', u.id).update({
        username: anon, password_hash: PURGED_HASH, disabled: true, failed_logins: 0, locked_until: null, last_login: null,
      });
      await trx('audit_log').insert({ actor, action: 'user.purge', target: anon, detail: `${messages} messages and ${dms} DMs deleted`, ts: Date.now() });
      return { anonymous: anon, messages, dms };
    });
  }
}
