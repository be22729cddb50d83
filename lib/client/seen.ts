// A bounded set of message ids already shown, so that history re-sent on every join and after a
// reconnect never prints a message twice. Oldest ids are forgotten first (Set keeps insertion order).

export class SeenIds {
  private readonly ids = new Set<string>();

  constructor(readonly max = 10_000) {
    if (!(max >= 1)) throw new RangeError('SeenIds: max must be >= 1');
  }

  /** Records an id; true if it is new, false if it was seen already (it then counts as recent again). */
  add(id: string): boolean {
    if (this.ids.has(id)) {
      this.ids.delete(id);
      this.ids.add(id);
      return false;
    }
    this.ids.add(id);
    if (this.ids.size > this.max) {
      const oldest = this.ids.values().next().value as string;
      this.ids.delete(oldest);
    }
    return true;
  }
}
