// `npm start` on a fresh clone: development certificates, SQLite, migrations, and a bootstrap owner
// `admin` with a one-time password and a client certificate, then the exact chat-cli command to run.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from './config.js';
import { initCertDir, issueClientCert, certPaths, clientPaths } from './auth/certs.js';
import { hashPassword } from './auth/password.js';
import { DEV_ACTOR } from './auth/policy.js';
import { openStore } from './store/index.js';
import type { TlsFiles } from './server.js';

export async function prepareDev(config: Config, certDir: string): Promise<{ files: TlsFiles; bootstrap: (port: number) => Promise<string[]> }> {
  const p = certPaths(certDir);
  if (!fs.existsSync(p.caCert)) await initCertDir(certDir, ['localhost', '127.0.0.1', '::1'], {});
  const admin = clientPaths(certDir, 'admin');
  if (!fs.existsSync(admin.cert)) await issueClientCert(certDir, 'admin', {});

  const rel = (f: string) => path.relative(process.cwd(), f) || f;
  // The command line holds no password: it would stay in the shell's history. chat-cli asks for it.
  const connect = (port: number) => `  npx chat-cli --host ${config.host} --port ${port} --ca ${rel(p.caCert)} --cert ${rel(admin.cert)} --key ${rel(admin.key)} --user admin`;
  const where = [
    `development certificates in ${rel(certDir)}/ (CA ${rel(p.caCert)}, server ${rel(p.serverCert)}, admin's ${rel(admin.cert)} and key)`,
    `database ${config.db}`,
  ];
  // Enrollment (chatd signs with certs/ca.key): bob's key is made on bob's machine, and no password
  // or key travels between the two of you; the invite code is a one-time secret, so pass it privately.
  const invite = (port: number) => [
    'to invite a second user (bob), in another shell:',
    `  npx chat-admin invite add bob --server ${config.host}:${port} --ca ${rel(p.caCert)} --db ${config.db}`,
    '  give bob the code it prints (privately; it works once, for 24 h); bob runs:',
    '  npx chat-cli enroll <code>',
    '  and then simply: npx chat-cli',
  ];

  // Runs after the server has migrated the database: creates `admin` once.
  const bootstrap = async (port: number): Promise<string[]> => {
    const store = await openStore(config.db);
    try {
      if (await store.getUser('admin')) return [...where, 'connect as admin with:', connect(port), ...invite(port)];
      const password = crypto.randomBytes(12).toString('base64url');
      await store.createUser({ username: 'admin', passwordHash: await hashPassword(password, config.password), role: 'owner' });
      await store.audit({ actor: DEV_ACTOR, action: 'user.add', target: 'admin', detail: 'role=owner (bootstrap)' });
      return [
        ...where,
        'created user admin (role owner); its one-time password, shown once:',
        `  ${password}`,
        'connect with (chat-cli asks for the password):',
        connect(port),
        'then change the password in chat: //passwd',
        ...invite(port),
      ];
    } finally {
      await store.close();
    }
  };
  return { files: { cert: p.serverCert, key: p.serverKey, ca: p.caCert }, bootstrap };
}
