// Accounts whose role, level or state changed as this node heard of it (a //role on the bus,
// chat-admin's entries in audit_log). A login reads the account before its password hash and can be
// reached by such changes only once it holds a session slot: one that read the account before a
// change it did not see reads it again (ChatNode.login), or it keeps the role or state the change undid.

/** Changes remembered at most; the oldest go first (a login takes milliseconds, not 10,000 changes). */
const MAX = 10_000;
/** The key for a change of every account (a role's new level or color). */
export const EVERY_ACCOUNT = '*';

export class AccountChanges {
  private seq = 0;
  private readonly at = new Map<string, number>();

  /** A point to compare later changes with. */
  now(): number { return this.seq; }

  /** `user` changed (EVERY_ACCOUNT: every account). */
  changed(user: string): void {
    this.at.delete(user); // re-inserted last: the map stays oldest first
    this.at.set(user, ++this.seq);
    if (this.at.size > MAX) this.at.delete(this.at.keys().next().value!);
  }

  /** Whether `user` changed after `point`. */
  since(user: string, point: number): boolean {
    return (this.at.get(user) ?? 0) > point || (this.at.get(EVERY_ACCOUNT) ?? 0) > point;
  }
}
