// The Store's direct messages (migration 008): stored, the mailbox of undelivered ones, and the
// history between two users. Its own module: DMs have their own table and lifecycle, apart from rooms.
import { SQL } from './sql.js';
import type { DmFrame } from '../protocol/frames.js';
import { StoreCore } from './core.js';
import { toDm } from './records.js';

export abstract class DmStore extends StoreCore {
  // ---- direct messages (migration 008) ------------------------------------------------------
  /**
   * Stores a DM; `delivered` false puts it in the recipient's mailbox. Only while both accounts
   * exist under these names: a DM is kept by name, and one sent in the second after a purge (before
   * the nodes close the erased user's sessions) was kept for whoever got the name next, to read
   * with `history @`. One statement, so a purge cannot commit between a check and the insert.
   */
  async addDm(frame: DmFrame, delivered: boolean): Promise<void> {
    const insert = this.target.kind === 'mysql' ? 'insert ignore into' : 'insert or ignore into';
    await this.knex.raw(
      `${insert} dms (id, sender, sender_role, sender_color, recipient, text, ts, delivered_at) `
      + 'select ?, ?, ?, ?, ?, ?, ?, ? from users where users.username = ? and exists (select 1 from users u2 where u2.username = ?)',
      [frame.id, frame.from.name, frame.from.role, frame.from.color, frame.to, frame.text, Date.parse(frame.ts), delivered ? Date.now() : null, frame.to, frame.from.name],
    );
  }

  /**
   * Puts a DM in its recipient's mailbox unless `max` wait there already ('full'), or either account
   * no longer has its name ('gone': purged since the sender's check; kept by name, the DM would wait
   * for whoever gets the name next). Count and insert are one transaction: checked apart, several
   * senders at once (sessions, users, nodes) each saw room for one more. On MySQL the count locks
   * the recipient's mailbox rows and the gap after them, so a second sender waits for the first; two
   * that took the gap together deadlock, and the one InnoDB rolls back tries again. The accounts are
   * read in share mode there, so a purge waits for the post or the post sees the purge.
   */
  async postToMailbox(frame: DmFrame, max: number): Promise<'posted' | 'full' | 'gone'> {
    const mysql = this.target.kind === 'mysql';
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.knex.transaction(async (trx) => {
          const accounts = trx('users').whereIn('username', [frame.to, frame.from.name]).select('username');
          const names = new Set((await (mysql ? accounts.forShare() : accounts)).map((r: { username: string }) => r.username));
          if (!names.has(frame.to) || !names.has(frame.from.name)) return 'gone';
          const count = trx('dms').where({ recipient: frame.to }).whereNull('delivered_at').count({ n: '*' });
          const r = await (mysql ? count.forUpdate() : count).first();
          if (Number(r?.n ?? 0) >= max) return 'full';
          await trx('dms').insert({
            id: frame.id, sender: frame.from.name, sender_role: frame.from.role, sender_color: frame.from.color, recipient: frame.to,
            text: frame.text, ts: Date.parse(frame.ts), delivered_at: null,
          }).onConflict('id').ignore();
          return 'posted';
        });
      } catch (e) {
        if (attempt < 5 && (e as { code?: string }).code === 'ER_LOCK_DEADLOCK') continue;
        throw e;
      }
    }
  }

  /** How many DMs wait for a user. */
  async mailboxSize(user: string): Promise<number> {
    const r = await this.knex('dms').where({ recipient: user }).whereNull('delivered_at').count({ n: '*' }).first();
    return Number(r?.n ?? 0);
  }

  /** The DMs waiting for a user, oldest first (up to `limit`). */
  async mailbox(user: string, limit: number): Promise<DmFrame[]> {
    return (await this.direct.all(SQL.mailbox(limit), [user])).map(toDm);
  }

  /** Marks DMs delivered (they leave the mailbox). */
  async markDelivered(ids: string[], at = Date.now()): Promise<void> {
    for (let i = 0; i < ids.length; i += 500) await this.knex('dms').whereIn('id', ids.slice(i, i + 500)).update({ delivered_at: at });
  }

  /** The last `limit` DMs between two users, either way, oldest first. */
  async dmHistory(a: string, b: string, limit: number): Promise<DmFrame[]> {
    const rows = await this.knex('dms')
      .where((q) => q.where({ sender: a, recipient: b }).orWhere({ sender: b, recipient: a }))
      .orderBy('seq', 'desc').limit(limit);
    return rows.reverse().map(toDm);
  }
}
