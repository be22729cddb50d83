// Which audit_log rows a node has followed (lib/pollers.ts: //role, //kick, //topic and chat-admin's
// account changes reach a node through them when their bus message does not). MariaDB hands out an
// AUTO_INCREMENT id when a row is inserted, not when its transaction commits, so a row can become
// visible after a higher id was already read: a cursor that only moves forward skips it for good.
// So the ids just below the newest read are read again for a while (`late`), and each row is applied
// once.

/** How long a row may stay uncommitted behind a higher id that was read (far above dbTimeoutMs). */
export const AUDIT_SETTLE_MS = 30_000;

export class AuditFollow {
  /** The highest id applied: new rows are those above it. */
  private newest: number;
  /** Ids at or below it are applied, or were given up on (uncommitted for AUDIT_SETTLE_MS). */
  private floor: number;
  /** Ids above the floor that were applied. */
  private readonly applied = new Set<number>();
  /** What `newest` was, and when: the floor rises to the newest of those older than AUDIT_SETTLE_MS. */
  private readonly marks: Array<{ newest: number; at: number }> = [];

  constructor(start: number, private readonly settleMs = AUDIT_SETTLE_MS, private readonly now: () => number = Date.now) {
    this.newest = this.floor = start;
  }

  /** Rows to read: above `after`; and again (floor, upTo], where a late commit may have appeared. */
  get after(): number { return this.newest; }
  get late(): { after: number; upTo: number } | null { return this.floor < this.newest ? { after: this.floor, upTo: this.newest } : null; }

  /** True when row `id` has not been applied yet. */
  isNew(id: number): boolean { return id > this.floor && !this.applied.has(id); }

  /** Row `id` was applied (call it only then: a row whose apply failed is read again next round). */
  done(id: number): void {
    if (id <= this.floor) return;
    this.applied.add(id);
    if (id > this.newest) this.newest = id;
  }

  /** The end of a round: the floor rises past what can no longer commit late. */
  settle(): void {
    const t = this.now();
    this.marks.push({ newest: this.newest, at: t });
    while (this.marks.length && t - this.marks[0]!.at >= this.settleMs) this.floor = Math.max(this.floor, this.marks.shift()!.newest);
    for (const id of this.applied) if (id <= this.floor) this.applied.delete(id);
  }
}
