// What chat-cli has shown already: the message ids (de-duplication) and the last message per room,
// after which a reconnect resumes that room. Its own module because it is the resume/replay
// bookkeeping, apart from routing frames: ChatConnection asks it which messages of a replay are new
// and what a rejoin asks the server for.
import type { DmFrame, HistoryFrame, JoinFrame, MessageFrame } from '../protocol/frames.js';
import type { Link } from './link.js';
import { normalizeRoom } from '../sanitize.js';
import { clean } from './link-errors.js';
import { SeenIds } from './seen.js';

/**
 * What is remembered comes from the server, which chat-cli does not trust with its memory: only ids
 * a rejoin can send back as `since` (chatd refuses a longer one) and canonical room names are kept,
 * and rooms only up to a bound far above what one user can be in (MAX_ROOMS_PER_USER, 100). Without
 * this, 10,000 ids or any number of rooms of up to 8 MiB each were kept for good.
 */
const MAX_ID = 40;
export const MAX_ROOMS = 1000;
const keptId = (id: unknown): id is string => typeof id === 'string' && id.length > 0 && id.length <= MAX_ID;

export type ShownHost = {
  /** The server's command prefix (named in a status line). */
  prefix(): string;
  status(text: string): void;
};

export class ShownMessages {
  private readonly seen: SeenIds;
  /** The id of the last message shown per room: a reconnect resumes each room after it. */
  private readonly lastShown = new Map<string, string>();

  constructor(seenMax: number, private readonly host: ShownHost) {
    this.seen = new SeenIds(seenMax);
  }

  /** The join frame that rejoins a room after a reconnect, resuming it after what was shown. */
  rejoin(room: string): JoinFrame {
    const since = this.lastShown.get(room);
    return { type: 'join', room, ...(since !== undefined ? { since } : {}) };
  }

  /** A room resumed after a reconnect (something of it was shown before). */
  resumes(room: string): boolean {
    return this.lastShown.has(room);
  }

  /** Records a message or dm; false if it was shown already (from a resumed room's replay). */
  add(f: MessageFrame | DmFrame): boolean {
    if (keptId(f.id) && !this.seen.add(f.id)) return false;
    if (f.type === 'message') this.remember(f.room, f.id);
    return true;
  }

  /** The last message shown in a room, the most recently updated room last; the oldest go past MAX_ROOMS. */
  private remember(room: unknown, id: unknown): void {
    if (!keptId(id) || typeof room !== 'string' || normalizeRoom(room) !== room) return;
    this.lastShown.delete(room);
    this.lastShown.set(room, id);
    if (this.lastShown.size > MAX_ROOMS) this.lastShown.delete(this.lastShown.keys().next().value as string);
  }

  /** A history sent by itself (on join, on login, resuming), without the messages shown already. */
  freshHistory(link: Link, f: HistoryFrame): HistoryFrame {
    const room = typeof f.room === 'string' ? clean(f.room) : '';
    link.onHistory();
    if (room && link.skipHistoryOf === room) {
      link.skipHistoryOf = null;
      return { ...f, messages: [] };
    }
    const fresh = f.messages.filter((m) => !(m && typeof m === 'object' && keptId(m.id) && !this.seen.add(m.id)));
    // The server says when it replayed less than was missed (limits.resumeMax).
    if (f.truncated === true && room && this.lastShown.has(room)) {
      this.host.status(`#${room}: more was said while you were away than replayed here; ${this.host.prefix()}history 200 shows more`);
    }
    const last = fresh[fresh.length - 1];
    if (last && typeof last === 'object') this.remember(room, last.id);
    return { ...f, messages: fresh };
  }
}
