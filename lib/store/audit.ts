// The Store's audit log: entries written (details cut at a fixed length) and read back by actor. Its
// own module: every concern's admin action ends here, and the length rule belongs with it.
import type { Knex } from 'knex';
import { StoreCore } from './core.js';
import type { AuditEntry } from './records.js';

/** Audit details longer than this are cut, deliberately and marked, rather than refused by the column. */
export const AUDIT_DETAIL_MAX = 4000;

export abstract class AuditStore extends StoreCore {
  // ---- audit --------------------------------------------------------------------------------
  async audit(e: AuditEntry): Promise<void> { await insertAudit(this.knex, e); }

  /** The id of the newest audit entry, 0 when there is none. */
  async lastAuditId(): Promise<number> {
    const r = await this.knex('audit_log').max({ id: 'id' }).first();
    return Number(r?.id ?? 0);
  }

  /** The audit entries after `afterId` of one actor, or of any actor with one of `actions`; oldest first (up to 1,000). */
  async auditAfter(afterId: number, actor: string, actions: string[] = [], upTo?: number): Promise<Array<Required<AuditEntry> & { id: number }>> {
    const rows = await this.knex('audit_log').where('id', '>', afterId).modify((q) => { if (upTo !== undefined) q.andWhere('id', '<=', upTo); })
      .andWhere((q) => { q.where({ actor }); if (actions.length) q.orWhereIn('action', actions); })
      .orderBy('id', 'asc').limit(1000);
    return rows.map((r: any) => ({ id: Number(r.id), actor: r.actor, action: r.action, target: r.target, detail: r.detail, ts: Number(r.ts) }));
  }
}

/** One audit row, through `k`: the store, or the transaction of the change the row tells of. */
async function insertAudit(k: Knex | Knex.Transaction, e: AuditEntry): Promise<void> {
  await k('audit_log').insert({ actor: e.actor, action: e.action, target: e.target ?? null, detail: auditDetail(e.detail), ts: e.ts ?? Date.now() });
}

/**
 * Runs `write` in one transaction with the audit row of what it does: both are stored or neither.
 * Apart, a failed audit insert left a ban or mute in force that the log never showed (DESIGN: every
 * moderation action is audited), and a //role audited before its failed write claimed a change that
 * never happened. The row goes in last, just before the commit: a node following the log (pollers.ts)
 * that sees it finds the change made, and on MySQL the id it takes is committed soon after it is
 * given. No row when `audit` is missing, or `keep` says the write changed nothing (an unban of no ban).
 */
export async function withAudit<T>(knex: Knex, audit: AuditEntry | undefined, write: (trx: Knex.Transaction) => Promise<T>, keep: (r: T) => boolean = () => true): Promise<T> {
  return knex.transaction(async (trx) => {
    const r = await write(trx);
    if (audit && keep(r)) await insertAudit(trx, audit);
    return r;
  });
}

function auditDetail(d: string | null | undefined): string | null {
  if (d === null || d === undefined) return null;
  const cps = [...d];
  return cps.length <= AUDIT_DETAIL_MAX ? d : cps.slice(0, AUDIT_DETAIL_MAX - 1).join('') + '…';
}
