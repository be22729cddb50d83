// Who may not speak on this node, and until when. The database is the truth (the mute poll loads
// it, see pollers.ts); mutes this node sets or hears of on the bus are applied here at once too.
import { ChatdError } from './errors.js';
import { untilText } from './duration.js';
import type { MuteRecord } from './store/index.js';

export class MuteList {
  /** Muted users: until when (ms), null until unmuted. */
  private readonly mutes = new Map<string, number | null>();
  // Bumped by every mute change this node applies, so a database poll that began before it
  // cannot put back what it undid (see beginLoad).
  private muteEpoch = 0;

  /** For the mute poll: applies a list read from the database unless a mute changed since this call. */
  beginLoad(): (list: MuteRecord[]) => void {
    const epoch = this.muteEpoch;
    return (list) => {
      if (epoch !== this.muteEpoch) return; // changed meanwhile; the next poll sees it
      this.mutes.clear();
      for (const m of list) this.mutes.set(m.username, m.until);
    };
  }

  assertNotMuted(user: string): void {
    if (!this.mutes.has(user)) return;
    const until = this.mutes.get(user)!;
    if (until !== null && until <= Date.now()) { this.mutes.delete(user); return; }
    throw new ChatdError('MUTED', until === null ? 'you are muted' : `you are muted ${untilText(until)}`);
  }

  /** `until` undefined: unmuted. */
  set(user: string, until: number | null | undefined): void {
    this.muteEpoch++;
    if (until === undefined) this.mutes.delete(user);
    else this.mutes.set(user, until);
  }

  /** Until when `user` is muted (null: until unmuted), or undefined when not muted. */
  until(user: string): number | null | undefined {
    return this.isMuted(user) ? this.mutes.get(user) : undefined;
  }

  isMuted(user: string): boolean {
    const until = this.mutes.get(user);
    return until !== undefined && (until === null || until > Date.now());
  }
}
