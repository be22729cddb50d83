// The limits.maxSessionsPerUser slots. A session takes one when its login passes, before it is
// attached, and gives it back when it ends: counted and taken in one step (no await between), and
// with a Redis bus cluster-wide too (LoginCounters.reserveSession).
import type { LoginCounters } from './auth/counters.js';
import { ChatdError } from './errors.js';
import type { Session } from './session.js';

export class SessionSlots {
  // Sessions whose login passed and holds a slot of maxSessionsPerUser, not attached yet.
  private readonly reserved = new Map<Session, string>();

  /** `attached`: the node's live sessions by user, which hold their slots too. */
  constructor(
    private readonly attached: ReadonlyMap<string, ReadonlySet<Session>>,
    private readonly limit: () => number,
    private readonly counters: () => LoginCounters,
  ) {}

  /** Takes one of the user's slots for `s`; detach (release) gives it back. */
  async reserve(s: Session, user: string): Promise<void> {
    const limit = this.limit();
    const refuse = () => new ChatdError('FORBIDDEN', `too many sessions for ${user} (limit ${limit})`);
    if (s.closed) throw new ChatdError('SERVICE_UNAVAILABLE', 'connection closed');
    let held = this.attached.get(user)?.size ?? 0;
    for (const name of this.reserved.values()) if (name === user) held++;
    if (held >= limit) throw refuse();
    this.reserved.set(s, user);
    if (!(await this.counters().reserveSession(user, s.id, limit))) {
      this.reserved.delete(s);
      throw refuse();
    }
    if (s.closed) { this.releaseSlot(s, user); throw new ChatdError('SERVICE_UNAVAILABLE', 'connection closed'); }
  }

  /** `user`'s sessions whose login passed and that are not attached yet. */
  reservedFor(user: string): Session[] {
    return [...this.reserved].filter(([, name]) => name === user).map(([s]) => s);
  }

  /** `s` is attached now: its slot is counted among the attached sessions. */
  attach(s: Session): void { this.reserved.delete(s); }

  /** Gives back the slot `s` holds, reserved or attached. */
  release(s: Session): void {
    const u = s.user;
    const slot = this.reserved.get(s) ?? (u && this.attached.get(u.name)?.has(s) ? u.name : undefined);
    if (slot !== undefined) this.releaseSlot(s, slot);
  }

  private releaseSlot(s: Session, user: string): void {
    this.reserved.delete(s);
    this.counters().releaseSession(user, s.id);
  }

  /** This node's sessions per user, attached or holding a slot (refreshed in Redis). */
  byUser(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const [user, set] of this.attached) out.set(user, [...set].map((x) => x.id));
    for (const [s, user] of this.reserved) out.set(user, [...(out.get(user) ?? []), s.id]);
    return out;
  }
}
