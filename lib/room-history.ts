// What a joining or resuming session is shown of a room: the last messages, or every message after
// the one it saw last. Its own module because it owns the in-memory ring of recent messages (the
// fallback while the database is down, and the fast path of a resume) apart from who is connected.
import { answerBudget } from './commands/budget.js';
import type { Config } from './config.js';
import type { HistoryWriter } from './history.js';
import type { Logger } from './log.js';
import type { HistoryFrame, MessageFrame } from './protocol/frames.js';
import type { Store } from './store/index.js';
import { withTimeout } from './timeout.js';

const RECENT_PER_ROOM = 200;
/** What a remembered frame costs beside its strings (the object, its `from`, the ring's slot), roughly. */
const FRAME_OVERHEAD = 200;

/** The memory a remembered frame holds, roughly: its strings at two bytes a unit (the worst case) and the object. */
export function frameCost(m: MessageFrame): number {
  return FRAME_OVERHEAD + 2 * (m.text.length + m.id.length + m.room.length + m.from.name.length + m.from.role.length + m.from.color.length + m.ts.length);
}

export class RoomHistory {
  /**
   * Each room's ring, the room spoken in most recently last. All of them together hold at most
   * limits.recentHistoryBytes (`bytes`, by frameCost): every room ever spoken in kept its 200 last
   * messages for the life of the process, so one user saying long messages in room after room made
   * a node hold gigabytes. A room silent for longest gives its ring up first; its history is in the database.
   */
  private readonly recent = new Map<string, MessageFrame[]>();
  private bytes = 0;

  constructor(private readonly config: Config, private readonly store: Store, private readonly history: HistoryWriter, private readonly log: Logger) {}

  remember(frame: MessageFrame): void {
    let ring = this.recent.get(frame.room);
    if (ring) this.recent.delete(frame.room); // re-inserted last: the map stays least recently spoken first
    else ring = [];
    this.recent.set(frame.room, ring);
    ring.push(frame);
    this.bytes += frameCost(frame);
    if (ring.length > RECENT_PER_ROOM) this.bytes -= frameCost(ring.shift()!);
    this.trim();
  }

  /** Drops the rings of the rooms spoken in least recently (then the oldest of the last one) until within the budget. */
  private trim(): void {
    const budget = this.config.limits.recentHistoryBytes;
    while (this.bytes > budget && this.recent.size) {
      const [room, ring] = this.recent.entries().next().value as [string, MessageFrame[]];
      if (this.recent.size > 1) {
        for (const m of ring) this.bytes -= frameCost(m);
        this.recent.delete(room);
        continue;
      }
      this.bytes -= frameCost(ring.shift()!);
      if (!ring.length) this.recent.delete(room);
    }
    if (!this.recent.size) this.bytes = 0;
  }

  /**
   * Retention deleted the messages older than `before` (ms): the ring forgets them too, or a join
   * would bring them back (recentHistory adds what the database lacks). Every node prunes on its own
   * schedule with the same cutoff, so this node forgets exactly what the database no longer has.
   */
  forgetBefore(before: number): void {
    const cut = new Date(before).toISOString();
    this.keepOnly((m) => m.ts >= cut);
  }

  /**
   * The bus was down (lib/bus/redis.ts): the rings lack what other nodes said meanwhile, and a resume
   * found in one replayed its slice, skipping that, without `truncated`. They start again empty: a
   * resume goes to the database, which has every node's messages.
   */
  forgetAll(): void {
    this.keepOnly(() => false);
  }

  /** A purged account's last messages (said under these names) leave the ring, as they left the database. */
  forgetSenders(names: ReadonlySet<string>): void {
    this.keepOnly((m) => !names.has(m.from.name));
  }

  /** Every room's ring keeps only the messages `keep` says; a ring left empty goes. */
  private keepOnly(keep: (m: MessageFrame) => boolean): void {
    for (const [room, ring] of this.recent) {
      if (ring.every(keep)) continue;
      const kept: MessageFrame[] = [];
      for (const m of ring) if (keep(m)) kept.push(m); else this.bytes -= frameCost(m);
      if (kept.length) this.recent.set(room, kept); else this.recent.delete(room);
    }
  }

  /**
   * Messages were erased from the database (`chat-admin purge`, committed at `upTo` ms): the ring
   * forgets those it remembers from before then that are no longer stored. A frame is only a name,
   * and the purged name is gone from the database, so the database says which ones went. (One not
   * written yet by another node is forgotten here too; a join finds it in the database once it is.)
   */
  async forgetErased(upTo: number): Promise<number> {
    const cut = new Date(upTo).toISOString();
    const ids = [...this.recent.values()].flatMap((ring) => ring.filter((m) => m.ts <= cut).map((m) => m.id));
    if (!ids.length) return 0;
    const stored = await withTimeout(this.store.storedMessageIds(ids), this.config.limits.dbTimeoutMs);
    const queued = new Set<string>();
    for (const room of this.recent.keys()) for (const m of this.history.pendingIn(room)) queued.add(m.id);
    const gone = new Set(ids.filter((id) => !stored.has(id) && !queued.has(id)));
    if (!gone.size) return 0;
    this.keepOnly((m) => !gone.has(m.id));
    return gone.size;
  }

  /**
   * The last n messages of a room: from the database with what this node has not written yet
   * (history writes are batched), or from this node's memory while the database is down.
   */
  async recentHistory(room: string, n: number): Promise<MessageFrame[]> {
    if (n <= 0) return [];
    try {
      if (!this.history.down) {
        const stored = await withTimeout(this.store.history(room, n), this.config.limits.dbTimeoutMs);
        // Rows not written yet: this node's queue, and (with several nodes) what other nodes said in
        // their last flush window, which this node has delivered and remembers. Only what is newer
        // than the newest stored row; a batch being written may be in `stored` already.
        const newest = stored.length ? stored[stored.length - 1]!.ts : '';
        const queued = this.history.pendingIn(room);
        const ring = this.recent.get(room) ?? [];
        // Every join asks: nothing to add (the usual case) is decided without copying the ring.
        const last = ring[ring.length - 1];
        if (!queued.length && (!last || last.ts < newest || last.id === stored[stored.length - 1]?.id)) return stored;
        const ids = new Set(stored.map((m) => m.id));
        const unwritten = [...queued, ...ring]
          .filter((m) => m.ts >= newest && !ids.has(m.id) && (ids.add(m.id), true))
          .sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
        return unwritten.length ? [...stored, ...unwritten].slice(-n) : stored;
      }
    } catch (e) {
      this.log.warn('history read failed; serving from memory', { room, err: (e as Error).message });
    }
    return (this.recent.get(room) ?? []).slice(-n);
  }

  /**
   * Every message of a room after `since`, up to limits.resumeMax (the newest; `truncated` when more
   * were missed), in history frames of at most limits.historyMax messages. From this node's memory
   * when `since` is there, else from the database once pending writes are in. An id found nowhere
   * gets the last few messages, marked truncated: what was missed cannot be told.
   */
  async resumeHistory(room: string, since: string): Promise<HistoryFrame[]> {
    const lim = this.config.limits;
    const ring = this.recent.get(room) ?? [];
    const at = ring.findIndex((m) => m.id === since);
    let messages: MessageFrame[];
    let truncated: boolean;
    if (at >= 0) {
      messages = ring.slice(at + 1);
      truncated = messages.length > lim.resumeMax;
      if (truncated) messages = messages.slice(-lim.resumeMax);
    } else {
      let found = false;
      messages = [];
      truncated = false;
      try {
        await this.history.drain(lim.dbTimeoutMs);
        const r = await withTimeout(this.store.historySince(room, since, lim.resumeMax), lim.dbTimeoutMs);
        ({ found, messages } = r);
        truncated = r.more;
        // `since` is older than this node's ring, so all of the ring came after it; what of it is not
        // in the database yet (another node's last flush window) is added, as delivered.
        if (found) {
          const ids = new Set(messages.map((m) => m.id));
          messages = [...messages, ...ring.filter((m) => !ids.has(m.id))];
          if (messages.length > lim.resumeMax) { messages = messages.slice(-lim.resumeMax); truncated = true; }
        }
      } catch (e) {
        this.log.warn('resume read failed', { room, err: (e as Error).message });
      }
      if (!found) {
        messages = await this.recentHistory(room, lim.historyOnJoin);
        truncated = true;
      }
    }
    // Frames of at most historyMax messages and an answer's budget of bytes: 200 long messages in
    // CJK were 1.16 MB, one frame larger than the whole send queue.
    const frames: HistoryFrame[] = [];
    const chunk = Math.max(1, lim.historyMax);
    const budget = answerBudget(lim);
    let part: MessageFrame[] = [];
    let bytes = 0;
    for (const m of messages) {
      const size = Buffer.byteLength(JSON.stringify(m)) + 1;
      if (part.length && (part.length >= chunk || bytes + size > budget)) {
        frames.push({ type: 'history', room, messages: part });
        part = [];
        bytes = 0;
      }
      part.push(m);
      bytes += size;
    }
    frames.push({ type: 'history', room, messages: part });
    if (truncated) frames[0]!.truncated = true;
    return frames;
  }
}
