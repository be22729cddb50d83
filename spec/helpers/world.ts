// Test worlds: real certificates, a real migrated database (SQLite, or MariaDB when CHATD_TEST_MYSQL
// is set: one database per world, dropped after), users, and real chatd servers on port 0.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knexFactory from 'knex';
import { initCertDir, issueClientCert } from '../../lib/auth/certs.js';
import { hashPassword, type PasswordParams } from '../../lib/auth/password.js';
import { buildConfig, type Config, type ConfigInput } from '../../lib/config.js';
import { startChatd, type Chatd } from '../../lib/app.js';
import { Logger } from '../../lib/log.js';
import { openStore, type AuditEntry, type Store } from '../../lib/store/index.js';

export const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..', '..');
export const DIST = path.join(ROOT, 'dist');

/** Cheap hashing for specs; the production parameters are measured in bench/ and SECURITY.md. */
export const FAST_HASH: PasswordParams = { m: 256, t: 1, p: 1 };

export const USERS: Record<string, { password: string; role: string }> = {
  owner: { password: 'Owner-pass-1234', role: 'owner' },
  boss: { password: 'Boss-pass-1234', role: 'admin' },
  mod: { password: 'Mod-pass-1234', role: 'moderator' },
  ali: { password: 'Ali-pass-1234', role: 'moderator' },
  alice: { password: 'Alice-pass-1234', role: 'user' },
  bob: { password: 'Bob-pass-1234', role: 'user' },
  carol: { password: 'Carol-pass-1234', role: 'user' },
  dave: { password: 'Dave-pass-1234', role: 'user' },
};

export function tmpdir(tag: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `chatd-spec-${tag}-`));
}

let certsOnce: Promise<string> | null = null;
/** One certificate directory per test run: CA, server cert, a client cert for every USERS name and `ghost`. */
export function sharedCerts(): Promise<string> {
  return (certsOnce ??= (async () => {
    const dir = tmpdir('certs');
    await initCertDir(dir, ['localhost', '127.0.0.1'], {});
    for (const u of [...Object.keys(USERS), 'ghost', 'erin']) await issueClientCert(dir, u, {});
    return dir;
  })());
}

let dbCounter = 0;
/** A fresh database URL and its cleanup. */
export async function freshDb(kind: 'sqlite' | 'mysql' = 'sqlite'): Promise<{ url: string; drop(): Promise<void> }> {
  if (kind === 'sqlite') {
    const dir = tmpdir('db');
    return { url: `sqlite:${path.join(dir, 'chatd.sqlite')}`, drop: async () => fs.rmSync(dir, { recursive: true, force: true }) };
  }
  const base = process.env.CHATD_TEST_MYSQL;
  if (!base) throw new Error('CHATD_TEST_MYSQL is not set');
  const name = `chatd_t_${process.pid}_${Date.now().toString(36)}_${++dbCounter}`;
  const admin = knexFactory({ client: 'mysql2', connection: base });
  await admin.raw(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`);
  await admin.destroy();
  const u = new URL(base);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      const k = knexFactory({ client: 'mysql2', connection: base });
      await k.raw(`DROP DATABASE IF EXISTS \`${name}\``);
      await k.destroy();
    },
  };
}

/** Database kinds to run a store-level spec against. */
export function dbKinds(): Array<'sqlite' | 'mysql'> {
  return process.env.CHATD_TEST_MYSQL ? ['sqlite', 'mysql'] : ['sqlite'];
}

export type World = { certs: string; db: string; store: Store; drop(): Promise<void> };

/** Certificates, a migrated database and the USERS. */
export async function makeWorld(kind: 'sqlite' | 'mysql' = 'sqlite', users = USERS, params = FAST_HASH): Promise<World> {
  const certs = await sharedCerts();
  const db = await freshDb(kind);
  const store = await openStore(db.url);
  await store.migrateLatest();
  for (const [name, u] of Object.entries(users)) {
    await store.createUser({ username: name, passwordHash: await hashPassword(u.password, params), role: u.role });
  }
  return { certs, db: db.url, store, drop: async () => { await store.close(); await db.drop(); } };
}

export function testConfig(world: World, extra: ConfigInput = {}): Config {
  return buildConfig({ db: world.db, port: 0, host: '127.0.0.1', logLevel: 'silent', password: FAST_HASH }, extra);
}

export function tlsFiles(certs: string) {
  return { cert: `${certs}/server.crt`, key: `${certs}/server.key`, ca: `${certs}/ca.crt` };
}

/** A real chatd in this process, on a free port. */
export async function startServer(world: World, extra: ConfigInput = {}, log?: Logger): Promise<Chatd> {
  return startChatd(testConfig(world, extra), tlsFiles(world.certs), log ?? new Logger('silent'));
}

/** The newest audit entries first (chatd only appends to the log; reading it is for specs and operators' SQL). */
export async function auditLog(store: Store, limit = 100): Promise<Array<Required<AuditEntry>>> {
  const rows = await store.knex('audit_log').orderBy('id', 'desc').limit(limit);
  return rows.map((r: any) => ({ actor: r.actor, action: r.action, target: r.target, detail: r.detail, ts: Number(r.ts) }));
}

/** Lifts one ban by id, as an operator would in SQL (chatd lifts bans by user). */
export async function liftBan(store: Store, id: number, by: string): Promise<void> {
  await store.knex('bans').where({ id }).whereNull('lifted_at').update({ lifted_at: Date.now(), lifted_by: by });
}
