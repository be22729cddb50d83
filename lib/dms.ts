// Stored DMs (DESIGN.md "Conversations"): every DM is kept for `history @user`; one to an existing
// user who is offline waits in their mailbox (at most limits.mailboxMax) and is delivered, oldest
// first, with `offline: true`, when they next log in.
import { ChatdError } from './errors.js';
import type { Logger } from './log.js';
import type { DmFrame } from './protocol/frames.js';
import type { Store } from './store/index.js';

export class Mailboxes {
  constructor(private readonly db: Store, private readonly max: () => number, private readonly log: Logger) {}

  /** A DM delivered live: kept for history, best effort (the database may be down; the DM still goes). */
  keep(frame: DmFrame): void {
    this.db.addDm(frame, true).catch((e) => this.log.warn('dm not stored', { id: frame.id, err: (e as Error).message }));
  }

  /** A DM for an offline user: in their mailbox, or MAILBOX_FULL. */
  async post(frame: DmFrame): Promise<void> {
    const max = this.max();
    if (!(await this.db.postToMailbox(frame, max))) {
      throw new ChatdError('MAILBOX_FULL', `${frame.to} has ${max} messages waiting, the most a mailbox holds; try again when they have read them`);
    }
  }

  /** A mailbox DM reached its recipient live after all (they had just logged in): best effort. */
  delivered(id: string): void {
    this.db.markDelivered([id]).catch((e) => this.log.warn('dm not marked delivered', { id, err: (e as Error).message }));
  }

  /**
   * What waits for a user who just logged in, oldest first; it leaves the mailbox, unless `open()`
   * says the session is gone by the time it is read (then it waits for the next login).
   */
  async collect(user: string, open: () => boolean = () => true): Promise<DmFrame[]> {
    const list = await this.db.mailbox(user, this.max());
    if (!open()) return [];
    if (list.length) await this.db.markDelivered(list.map((d) => d.id));
    return list.map((d) => ({ ...d, offline: true }));
  }
}
