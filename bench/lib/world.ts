// What a bench run needs before any server starts: a CA with a server certificate and ONE client
// certificate shared by every bench client, a migrated SQLite database with the bench users, and
// the chatd config file that raises the limits a load test trips on purpose.
//
// Why one client certificate: chatd's default --cert-binding cn requires the login name to equal
// the certificate's CN, i.e. one RSA key and certificate per user. Issuing 10,000 of them costs
// minutes and tests node-forge, not chatd. The chatd under test therefore runs with
// --cert-binding none (a supported mode), so every bench client presents the same valid client
// certificate and logs in with its own name. The TLS work per connection is unchanged: every
// handshake still verifies a client certificate chain and an RSA-2048 CertificateVerify.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initCertDir, issueClientCert } from '../../lib/auth/certs.js';
import { DEFAULT_PASSWORD_PARAMS, hashPassword, type PasswordParams } from '../../lib/auth/password.js';
import type { ConfigInput } from '../../lib/config.js';
import { openStore } from '../../lib/store/index.js';
import type { TlsClientFiles } from './gen-api.js';

export const PASSWORD = 'bench-Password-1234';
/**
 * The hash of the users that only need to be logged in (idle sessions, fan-out members, chat
 * senders): the cheapest valid argon2id, so that filling a server with 10,000 sessions measures
 * sessions, not 10,000 × 227 ms of argon2. The login figure uses STORM users, hashed at
 * DEFAULT_PASSWORD_PARAMS, which chatd verifies at those parameters (a stored hash is verified with
 * its own parameters) and does not rehash (they are not below the configured CHEAP ones).
 */
export const CHEAP: PasswordParams = { m: 64, t: 1, p: 1 };
export const CLIENT_CN = 'bench';

export type World = {
  dir: string;
  server: { cert: string; key: string; ca: string };
  client: TlsClientFiles;
  db: string;
  users: string[];
  stormUsers: string[];
  configFile: string;
};

export const userName = (i: number) => `u${String(i).padStart(4, '0')}`;

/** The limits a bench trips on purpose, raised; everything else stays at chatd's defaults. */
export function benchConfig(overrides: Record<string, number> = {}): ConfigInput {
  return {
    password: CHEAP,
    limits: {
      maxConnPerIp: 30_000, maxConnTotal: 30_000, // every bench client comes from 127.0.0.1
      connIpBurst: 0, // off: thousands of handshakes/s from that one address are the point
      floodBurst: 1_000_000, floodRate: 1_000_000, // senders run far above a human's 5 frames/s
      maxSessionsPerUser: 100_000, // user names are reused across sessions
      loginIpBurst: 1_000_000, loginIpRate: 1_000_000, // a login storm from one address
      ...overrides, // bench --limit K=V
    } as ConfigInput['limits'],
  };
}

export async function makeWorld(opts: { users: number; stormUsers: number; log: (s: string) => void; limits?: Record<string, number> }): Promise<World> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatd-bench-'));
  const certs = path.join(dir, 'certs');
  await initCertDir(certs, ['localhost', '127.0.0.1'], {});
  await issueClientCert(certs, CLIENT_CN, {});
  const db = `sqlite:${path.join(dir, 'chatd.sqlite')}`;
  const store = await openStore(db);
  const users = Array.from({ length: opts.users }, (_, i) => userName(i));
  const stormUsers = Array.from({ length: opts.stormUsers }, (_, i) => `storm${i}`);
  try {
    await store.migrateLatest();
    // One hash per cost, shared by the users of that cost: salts repeat, which only matters to
    // an attacker holding this throwaway database.
    const cheap = await hashPassword(PASSWORD, CHEAP);
    const full = await hashPassword(PASSWORD, DEFAULT_PASSWORD_PARAMS);
    const t0 = Date.now();
    await store.knex.transaction(async (trx) => {
      const rows = [
        ...users.map((username) => ({ username, password_hash: cheap, role: 'user', created_at: Date.now() })),
        ...stormUsers.map((username) => ({ username, password_hash: full, role: 'user', created_at: Date.now() })),
      ];
      for (let i = 0; i < rows.length; i += 200) await trx('users').insert(rows.slice(i, i + 200));
    });
    opts.log(`world: ${users.length + stormUsers.length} users in ${Date.now() - t0} ms, ${dir}`);
  } finally {
    await store.close();
  }
  const configFile = path.join(dir, 'chatd-bench.json');
  fs.writeFileSync(configFile, JSON.stringify(benchConfig(opts.limits), null, 2));
  return {
    dir,
    server: { cert: path.join(certs, 'server.crt'), key: path.join(certs, 'server.key'), ca: path.join(certs, 'ca.crt') },
    client: { ca: path.join(certs, 'ca.crt'), cert: path.join(certs, 'clients', `${CLIENT_CN}.crt`), key: path.join(certs, 'clients', `${CLIENT_CN}.key`) },
    db, users, stormUsers, configFile,
  };
}

export function removeWorld(w: World | null): void {
  if (w) fs.rmSync(w.dir, { recursive: true, force: true });
}
