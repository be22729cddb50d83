// The Store's rooms and their messages: batched inserts and history. Its own module because it is
// chat's hot write and read path (history.ts batches into it).
import type { MessageFrame } from '../protocol/frames.js';
import { StoreCore } from './core.js';
import { withAudit } from './audit.js';
import { toMessage, type AuditEntry, type MessageRow, type RoomRecord } from './records.js';
import { SQL } from './sql.js';

export abstract class MessageStore extends StoreCore {
  // ---- rooms --------------------------------------------------------------------------------
  async ensureRoom(name: string): Promise<RoomRecord> {
    const [r] = await this.direct.all(SQL.room, [name]);
    if (r) return { name: r.name, topic: r.topic, createdAt: Number(r.created_at) };
    const room = { name, topic: '', createdAt: Date.now() };
    await this.knex('rooms').insert({ name, topic: '', created_at: room.createdAt }).onConflict('name').ignore();
    return room;
  }

  /**
   * Stores a room's topic with the audit row of whoever set it, in one transaction (withAudit): the
   * other nodes follow topic rows of audit_log and read the topic then (pollers.ts), so a node that
   * sees the row finds the topic stored, and no row tells of a topic that was not.
   */
  async setTopic(name: string, topic: string, audit: AuditEntry): Promise<void> {
    await withAudit(this.knex, audit, async (trx) => {
      await trx('rooms').insert({ name, topic: '', created_at: Date.now() }).onConflict('name').ignore();
      await trx('rooms').where({ name }).update({ topic });
    });
  }

  /** A room's topic as stored ('' when the room has none or does not exist). */
  async roomTopic(name: string): Promise<string> {
    const [r] = await this.direct.all(SQL.room, [name]);
    return r?.topic ?? '';
  }

  /** Every room that has a topic, with it (a node's start). */
  async roomTopics(): Promise<Array<{ name: string; topic: string }>> {
    return (await this.knex('rooms').select('name', 'topic').whereNot('topic', '')).map((r: any) => ({ name: r.name, topic: r.topic }));
  }

  async roomExists(name: string): Promise<boolean> {
    return (await this.direct.all(SQL.room, [name])).length > 0;
  }

  async countRooms(): Promise<number> {
    const r = await this.knex('rooms').count({ n: '*' }).first();
    return Number(r?.n ?? 0);
  }

  async listRooms(): Promise<RoomRecord[]> {
    return (await this.knex('rooms').orderBy('name')).map((r: any) => ({ name: r.name, topic: r.topic, createdAt: Number(r.created_at) }));
  }

  // ---- messages -----------------------------------------------------------------------------
  /** Inserts a batch of messages (rooms are created as needed); duplicates by id are ignored. */
  async insertMessages(rows: MessageRow[]): Promise<void> {
    if (!rows.length) return;
    const rooms = [...new Set(rows.map((r) => r.frame.room))];
    if (this.direct.sqlite) {
      const now = Date.now();
      await this.direct.sqlite((prepare) => {
        const room = prepare(SQL.insertRoom);
        for (const name of rooms) room.run(name, now);
        const message = prepare(SQL.insertMessage);
        for (const { frame, senderId } of rows) {
          message.run(frame.id, frame.room, senderId, frame.from.name, frame.from.role, frame.from.color, frame.kind, frame.text, Date.parse(frame.ts));
        }
      });
      return;
    }
    await this.knex.transaction(async (trx) => {
      await trx('rooms').insert(rooms.map((name) => ({ name, topic: '', created_at: Date.now() }))).onConflict('name').ignore();
      await trx('messages').insert(rows.map(({ frame, senderId }) => ({
        id: frame.id, room: frame.room, sender_id: senderId, sender_name: frame.from.name, sender_role: frame.from.role,
        sender_color: frame.from.color, kind: frame.kind, text: frame.text, ts: Date.parse(frame.ts),
      }))).onConflict('id').ignore();
    });
  }

  /** The last `limit` messages of a room, oldest first; with `afterTs`, only newer ones. */
  async history(room: string, limit: number, afterTs?: number): Promise<MessageFrame[]> {
    const rows = afterTs === undefined
      ? await this.direct.all(SQL.history(limit), [room])
      : await this.direct.all(SQL.historyAfter(limit), [room, afterTs]);
    return rows.reverse().map(toMessage);
  }

  /** Which of these message ids are stored (retention and purge delete rows a node may still remember). */
  async storedMessageIds(ids: string[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (let i = 0; i < ids.length; i += 500) {
      for (const r of await this.knex('messages').whereIn('id', ids.slice(i, i + 500)).select('id')) out.add(r.id);
    }
    return out;
  }

  /**
   * The messages of a room after the one with id `afterId`, oldest first: the newest `limit` of them,
   * and whether there were more. `found` false: that message is not (or not yet) in the database.
   */
  async historySince(room: string, afterId: string, limit: number): Promise<{ found: boolean; messages: MessageFrame[]; more: boolean }> {
    const at = await this.knex('messages').where({ id: afterId, room }).first('seq', 'ts');
    if (!at) return { found: false, messages: [], more: false };
    // In the order said, to the millisecond. `seq` is the order rows landed, and with several nodes
    // each writes its own messages in batches: by seq, one said before `afterId` on another node came
    // again, one of the same millisecond with a lower seq was missed, and the replay came in write
    // order. After `afterId` is every message with a later timestamp and every other one of its
    // millisecond: two nodes' messages of one millisecond reach clients in either order, so a client
    // may be sent one of them again, never miss one. The (room, ts) index gives this order (its
    // entries end with the primary key, seq), without a sort.
    const rows = await this.knex('messages').where({ room })
      .andWhere((q) => q.where('ts', '>', at.ts).orWhere((w) => w.where('ts', at.ts).andWhereNot('seq', at.seq)))
      .orderBy([{ column: 'ts', order: 'desc' }, { column: 'seq', order: 'desc' }]).limit(limit + 1);
    const more = rows.length > limit;
    return { found: true, messages: rows.slice(0, limit).reverse().map(toMessage), more };
  }
}
