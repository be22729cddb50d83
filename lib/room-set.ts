// The rooms one session is in.

/**
 * A session's rooms, in the order it joined them, with the Set operations sessions use. Nearly
 * every session is in one room (the lobby), which this holds in a field; a Set (~150 bytes with
 * its table) is made only for a second room.
 */
export class RoomSet implements Iterable<string> {
  private one: string | null = null;
  private many: Set<string> | null = null;

  get size(): number { return this.many ? this.many.size : this.one === null ? 0 : 1; }

  has(room: string): boolean { return this.many ? this.many.has(room) : this.one === room; }

  add(room: string): this {
    if (this.many) this.many.add(room);
    else if (this.one === null) this.one = room;
    else if (this.one !== room) {
      this.many = new Set([this.one, room]);
      this.one = null;
    }
    return this;
  }

  delete(room: string): boolean {
    if (this.many) return this.many.delete(room);
    if (this.one !== room) return false;
    this.one = null;
    return true;
  }

  [Symbol.iterator](): Iterator<string> {
    if (this.many) return this.many.values();
    return (this.one === null ? [] : [this.one]).values();
  }
}
