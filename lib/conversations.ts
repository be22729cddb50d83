// The conversation glue of DESIGN.md "Conversations" between a session and the stores that hold it:
// DMs (live, or into an offline user's mailbox), the mailbox read at login, and away. Its own module
// because it is one feature with its own rules (lib/dms.ts and lib/away.ts keep the state).
import type { ChatNode } from './node.js';
import type { DmFrame } from './protocol/frames.js';
import { checkText } from './sanitize.js';
import type { Session, SessionUser } from './session.js';

export class Conversations {
  constructor(private readonly node: ChatNode) {}

  /** DMs that waited while the user was offline, oldest first, after the lobby's history. */
  async deliverMailbox(s: Session): Promise<void> {
    // A connection cut while its login was answered: a closed session's sends go nowhere, so what
    // waits must stay in the mailbox for the next login, not be marked delivered.
    if (s.closed) return;
    let list: DmFrame[];
    try {
      list = await this.node.mailboxes.waiting(s.user!.name);
    } catch (e) {
      // They stay in the mailbox for the next login.
      this.node.log.warn('mailbox not read', { user: s.user!.name, err: (e as Error).message });
      return;
    }
    // Sent as the client reads them, and out of the mailbox once sent: 500 long DMs are more than the
    // send queue holds, and sent at once they cut off the client reading them, every one of them
    // already marked delivered. What the session did not get (it ended) waits for the next login.
    const sent = await s.sendPaced(list);
    this.node.mailboxes.delivered(list.slice(0, sent).map((d) => d.id));
  }

  /** `notice`: an IRC NOTICE (DmFrame.notice). */
  dm(s: Session, to: string, raw: string, notice = false): DmFrame {
    const frame = this.compose(s, to, raw);
    if (notice) frame.notice = true;
    this.node.metrics.messages.inc({ kind: 'dm' });
    this.node.mailboxes.keep(frame);
    this.node.bus.publish({ t: 'dm', to, from: frame.from.name, frame });
    return frame;
  }

  /** A DM to an existing user who is offline: into their mailbox (MAILBOX_FULL when it is full); the sender's sessions see it. */
  async dmOffline(s: Session, to: string, raw: string): Promise<DmFrame> {
    const frame = this.compose(s, to, raw);
    await this.node.mailboxes.post(frame);
    this.node.metrics.messages.inc({ kind: 'dm' });
    // Presence lags a login on another node by up to a push: a node where the recipient is online
    // after all delivers it now and takes it out of the mailbox.
    this.node.bus.publish({ t: 'dm', to, from: frame.from.name, frame, mailbox: true });
    return frame;
  }

  /** A DM from a session that may speak (not muted), its text checked like a room message's. */
  private compose(s: Session, to: string, raw: string): DmFrame {
    const u = s.user!;
    this.node.assertNotMuted(u);
    this.node.refuseFormerPrefix(raw);
    const text = checkText(raw, this.node.config.limits.maxText);
    return { type: 'dm', id: this.node.newId(), ts: new Date().toISOString(), from: this.node.userRef(u), to, text };
  }

  /** Starts (a message) or ends (null) a user's absence on every node. */
  setAway(user: SessionUser, message: string | null): void {
    const since = Date.now();
    this.node.away.set(user.name, message, since, user.id);
    this.node.bus.publish({ t: 'away', user: user.name, account: user.id, message, since });
  }
}
