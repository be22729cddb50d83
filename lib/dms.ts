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
    const r = await this.db.postToMailbox(frame, max);
    if (r === 'gone') throw new ChatdError('NO_SUCH_USER', `no such user: ${frame.to}`);
    if (r === 'full') {
      throw new ChatdError('MAILBOX_FULL', `${frame.to} has ${max} messages waiting, the most a mailbox holds; try again when they have read them`);
    }
  }

  /** Mailbox DMs that reached their recipient (live after all, or sent at login): best effort. */
  delivered(ids: readonly string[]): void {
    if (!ids.length) return;
    this.db.markDelivered([...ids]).catch((e) => this.log.warn('dm not marked delivered', { ids: ids.length, err: (e as Error).message }));
  }

  /** What waits for a user, oldest first, as sent at login; it stays in the mailbox until `delivered`. */
  async waiting(user: string): Promise<DmFrame[]> {
    return (await this.db.mailbox(user, this.max())).map((d) => ({ ...d, offline: true }));
  }
}
