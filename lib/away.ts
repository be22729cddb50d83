// Who is away (DESIGN.md "Conversations"), as every node knows it through the bus, and to whom that
// was said already: a DM to an away user gets one `event away` per sender per absence, not one per DM.
// Kept by name, which is what users, whois and DMs ask by, with the account's id beside it: a purged
// account's name is free again (lib/store/lifecycle.ts), and the purge names only the id.
type Absence = { message: string; since: number; told: Set<string>; account: number | undefined };

export class AwayList {
  private readonly away = new Map<string, Absence>();

  /** A message starts a new absence (nobody has been told yet); null ends it. */
  set(user: string, message: string | null, since = Date.now(), account?: number): void {
    if (message === null) return void this.away.delete(user);
    // The bus brings a node's own change back: the same absence, whoever was told stays told.
    if (this.away.get(user)?.since === since) return;
    this.away.set(user, { message, since, told: new Set(), account });
  }

  /**
   * Forgets the absence of an erased account (`chat-admin purge`): its text is the account's, and
   * the next account given the name must not show it. Returns the name it was kept under, or null.
   */
  forgetAccount(account: number): string | null {
    for (const [user, a] of this.away) {
      if (a.account === account) {
        this.away.delete(user);
        return user;
      }
    }
    return null;
  }

  of(user: string): { message: string; since: number } | undefined {
    const a = this.away.get(user);
    return a && { message: a.message, since: a.since };
  }

  /** True the first time `sender` writes to `user` during this absence. */
  tell(user: string, sender: string): boolean {
    const a = this.away.get(user);
    if (!a || a.told.has(sender)) return false;
    a.told.add(sender);
    return true;
  }
}
