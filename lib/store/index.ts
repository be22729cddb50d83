// The Store: every database access of chatd, over knex, identical on SQLite and MySQL/MariaDB.
// Handlers and tools call these methods; nothing else builds SQL.
// Each concern's methods live in their own module (schema.ts, accounts.ts, ...) over StoreCore and
// are copied onto Store.prototype here, so callers still see one Store, and its methods stay on the
// prototype, where guardStore (guard.ts) wraps them.
import { SetupError } from '../errors.js';
import { AccountStore } from './accounts.js';
import { AuditStore } from './audit.js';
import { CertificateStore } from './certificates.js';
import { StoreCore } from './core.js';
import { DmStore } from './dms.js';
import { EnrollmentStore } from './enrollment.js';
import { LifecycleStore } from './lifecycle.js';
import { MessageStore } from './messages.js';
import { ModerationStore } from './moderation.js';
import { SchemaStore } from './schema.js';
import type { StoreOptions } from './url.js';
import { SecretStore } from './secrets.js';

export type {
  BanRecord, CertificateRecord, CertSource, InviteRecord, MessageRow, MuteRecord, NewBan, NewInvite, AuditEntry, RoleRecord,
  RoomRecord, UserRecord,
} from './records.js';
export type { Enrollment } from './enrollment.js';
export type { ExportedDm, UserExport } from './lifecycle.js';
export { AUDIT_DETAIL_MAX } from './audit.js';
export { SQL } from './sql.js';

const PARTS = [SchemaStore, AccountStore, ModerationStore, CertificateStore, MessageStore, DmStore, EnrollmentStore, LifecycleStore, AuditStore,
  SecretStore];

export interface Store extends SchemaStore, AccountStore, ModerationStore, CertificateStore, MessageStore, DmStore, EnrollmentStore,
  LifecycleStore, AuditStore, SecretStore {}
export class Store extends StoreCore {}

for (const part of PARTS) {
  for (const [name, d] of Object.entries(Object.getOwnPropertyDescriptors(part.prototype))) {
    if (name === 'constructor') continue;
    // Two parts defining one name would silently keep the later; fail at load instead.
    if (Object.prototype.hasOwnProperty.call(Store.prototype, name)) throw new Error(`Store.${name} is defined by two parts`);
    Object.defineProperty(Store.prototype, name, d);
  }
}

/** Opens a store and checks it answers; connection problems become one clear SetupError line. */
export async function openStore(url: string, opts: StoreOptions = {}): Promise<Store> {
  const store = new Store(url, opts);
  try {
    await store.ping();
  } catch (e) {
    await store.close().catch(() => {});
    throw new SetupError(`database ${store.description} unreachable: ${(e as Error).message}`);
  }
  return store;
}
