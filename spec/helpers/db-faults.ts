// Writes the database itself refuses: a trigger that aborts one kind of write, on SQLite and on
// MariaDB alike. For specs that must show what a real failure of one statement leaves behind (a
// state change without its audit row, an audit row without its change), without stubbing the Store.
import type { Store } from '../../lib/store/index.js';

let triggers = 0;

/** Creates a trigger (SQLite: `BEFORE … WHEN cond`; MariaDB: `BEFORE … FOR EACH ROW IF cond`) that aborts the write; returns its removal. */
async function refuse(store: Store, event: string, table: string, cond: string, what: string): Promise<() => Promise<void>> {
  const name = `spec_refuse_${++triggers}`;
  if (store.target.kind === 'sqlite') {
    await store.knex.raw(`CREATE TRIGGER ${name} BEFORE ${event} ON ${table} WHEN ${cond} BEGIN SELECT RAISE(ABORT, 'spec: ${what} refused'); END`);
  } else {
    const mysqlEvent = event.replace(/ OF \w+$/, ''); // MariaDB has no column list; the condition says which change
    await store.knex.raw(`CREATE TRIGGER ${name} BEFORE ${mysqlEvent} ON ${table} FOR EACH ROW BEGIN IF ${cond} THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'spec: ${what} refused'; END IF; END`);
  }
  return async () => { await store.knex.raw(`DROP TRIGGER IF EXISTS ${name}`); };
}

/** Every insert into audit_log with this action fails from now on (until the returned removal runs). */
export function refuseAudit(store: Store, action: string): Promise<() => Promise<void>> {
  if (!/^[a-z.]+$/.test(action)) throw new Error(`refuseAudit: unexpected action ${action}`);
  return refuse(store, 'INSERT', 'audit_log', `NEW.action = '${action}'`, `audit of ${action}`);
}

/** Every change of a user's role fails from now on (until the returned removal runs). */
export function refuseRoleChanges(store: Store): Promise<() => Promise<void>> {
  return refuse(store, 'UPDATE OF role', 'users', 'NEW.role <> OLD.role', 'role change');
}

/** Every insert into messages fails from now on (history writes queue up as in an outage) until the returned removal runs. */
export function refuseMessages(store: Store): Promise<() => Promise<void>> {
  return refuse(store, 'INSERT', 'messages', '1 = 1', 'message write');
}
