#!/usr/bin/env node
// chat-admin: users, roles, bans and certificate revocation, straight against the database.
// The grown-up form of the original create-users script.
// A role change, a disabled account, a role edit and a ban or unban are stored with their audit row
// in one transaction (the Store's audited writes): running nodes learn of the first three only from
// that row (lib/pollers.ts), and every moderation action belongs in the log.
import crypto from 'node:crypto';
import fs from 'node:fs';
import type { Argv } from 'yargs';
import { cliParser, examples, parseCli, readStdin, reportAndExit } from '../lib/cli.js';
import { buildConfig, loadConfigFile, type Config } from '../lib/config.js';
import { SetupError } from '../lib/errors.js';
import { hashPassword } from '../lib/auth/password.js';
import { ADMIN_ACTOR, isRoleColor, PASSWORD_RULE, passwordProblem, reservedName, ROLE_COLORS, ROLE_NAME_RE } from '../lib/auth/policy.js';
import { fingerprintOfPem } from '../lib/auth/certs.js';
import { normalizeUsername, sanitizeReason } from '../lib/sanitize.js';
import type { Store, UserRecord } from '../lib/store/index.js';
import { openExistingStore } from '../lib/store/existing.js';
import { DEFAULT_DB, redact } from '../lib/store/url.js';
import { parseDuration, formatExpiry, sinceText, untilText } from '../lib/duration.js';
import { isInteractive, promptLine, promptNewPassword } from '../lib/prompt.js';
import { backupDatabase } from '../lib/store/backup.js';
import { restoreDatabase } from '../lib/store/restore.js';
import { table, isoOrDash } from '../lib/table.js';
import { caFingerprint, encodeInvite, newToken, parseHostPort, tokenHash } from '../lib/enroll/invite.js';
import type { InviteRecord } from '../lib/store/index.js';

const NAME = 'chat-admin';
const ACTOR = ADMIN_ACTOR;

type Args = { db: string; config?: string; [k: string]: unknown };

function username(raw: unknown): string {
  const name = normalizeUsername(raw);
  if (!name) throw new SetupError(`invalid username "${String(raw)}": 2-32 of a-z 0-9 _ . - starting with a letter or digit`, 2);
  return name;
}

/** A name for a new account (user add, invite add): valid, and not one chatd uses itself. */
function newUsername(raw: unknown): string {
  const name = username(raw);
  const reserved = reservedName(name);
  if (reserved) throw new SetupError(`${reserved}; choose another`, 2);
  return name;
}

async function mustUser(store: Store, raw: unknown): Promise<UserRecord> {
  const name = username(raw);
  const u = await store.getUser(name);
  if (!u) throw new SetupError(`no such user: ${name}`);
  return u;
}

async function mustRole(store: Store, name: string) {
  const role = await store.getRole(String(name).toLowerCase());
  if (!role) throw new SetupError(`no such role: ${name} (see chat-admin role list)`);
  return role;
}

const generatedPassword = () => ({ password: crypto.randomBytes(12).toString('base64url'), generated: true });

/**
 * The new password: stdin with --password-stdin, a hidden prompt on a terminal (the rule said
 * first; empty means generate one), else generated. A generated one is printed once. With
 * --password-stdin on a terminal the prompt asks too: read as it is typed, stdin echoed the password.
 */
async function newPassword(argv: Args): Promise<{ password: string; generated: boolean }> {
  let password: string;
  if (argv['password-stdin'] && !process.stdin.isTTY) password = (await readStdin()).replace(/\r?\n$/, '');
  else if (isInteractive()) {
    process.stderr.write(`password: ${PASSWORD_RULE}; leave it empty to have one generated\n`);
    password = await promptNewPassword();
    if (password === '') return generatedPassword();
  } else return generatedPassword();
  const problem = passwordProblem(password);
  if (problem) throw new SetupError(problem, 2);
  return { password, generated: false };
}

function configOf(argv: Args): Config {
  return buildConfig(argv.config ? loadConfigFile(argv.config) : undefined);
}

/** Opens the store, runs the action, always closes. */
function withStore(action: (store: Store, argv: Args) => Promise<void>) {
  return async (argv: any) => {
    // Only chatd's own database: a mistyped --db is refused instead of created empty. One chatd has
    // migrated is brought up to date, as chatd does at start.
    const store = await openExistingStore(argv.db, { schema: true });
    try { await store.migrateLatest(); await action(store, argv); } finally { await store.close(); }
  };
}

const userCommands = (y: Argv) => y
  .command('add <name>', 'create a user', (a) => a
    .positional('name', { type: 'string', describe: 'login name (lowercase)' })
    .option('role', { type: 'string', default: 'user', describe: 'role name' })
    .option('password-stdin', { type: 'boolean', describe: 'read the password from standard input (on a terminal, stdin would echo it: a hidden prompt asks instead)' }),
  withStore(async (store, argv) => {
    const name = newUsername(argv.name);
    const role = await mustRole(store, String(argv.role));
    if (await store.getUser(name)) throw new SetupError(`user ${name} already exists`);
    const { password, generated } = await newPassword(argv);
    await store.createUser({ username: name, passwordHash: await hashPassword(password, configOf(argv).password), role: role.name });
    await store.audit({ actor: ACTOR, action: 'user.add', target: name, detail: `role=${role.name}` });
    console.log(`created user ${name} (role ${role.name})`);
    if (generated) console.log(`generated password (none was given), shown once: ${password}`);
  }))
  .command('passwd <name>', 'set a new password', (a) => a
    .positional('name', { type: 'string' })
    .option('password-stdin', { type: 'boolean', describe: 'read the password from standard input (on a terminal, stdin would echo it: a hidden prompt asks instead)' }),
  withStore(async (store, argv) => {
    const u = await mustUser(store, argv.name);
    const { password, generated } = await newPassword(argv);
    await store.setPasswordHash(u.id, await hashPassword(password, configOf(argv).password));
    await store.audit({ actor: ACTOR, action: 'user.passwd', target: u.username });
    console.log(`password changed for ${u.username}`);
    if (generated) console.log(`generated password (none was given), shown once: ${password}`);
  }))
  .command('role <name> <role>', 'give a user another role', (a) => a.positional('name', { type: 'string' }).positional('role', { type: 'string' }),
    withStore(async (store, argv) => {
      const u = await mustUser(store, argv.name);
      const role = await mustRole(store, String(argv.role));
      await store.setUserRole(u.id, role.name, { actor: ACTOR, action: 'user.role', target: u.username, detail: `${u.role} -> ${role.name}` });
      console.log(`${u.username} is now ${role.name} (level ${role.level})`);
    }))
  .command('disable <name>', 'refuse logins for a user', (a) => a.positional('name', { type: 'string' }),
    withStore(async (store, argv) => setDisabled(store, argv, true)))
  .command('enable <name>', 'allow logins again', (a) => a.positional('name', { type: 'string' }),
    withStore(async (store, argv) => setDisabled(store, argv, false)))
  .command('list', 'list users', () => {}, withStore(async (store) => {
    const [users, locks] = await Promise.all([store.listUsers(), store.activeLoginLocks()]);
    console.log(table(['name', 'role', 'level', 'status', 'last login'],
      users.map((u) => [u.username, u.role, u.level, status(u, locks), isoOrDash(u.lastLogin)])));
  }))
  .demandCommand(1, 'name a user action: add, passwd, role, disable, enable, list');

/** `locks`: the login names locked now (login_locks, set by chatd after failed logins). */
function status(u: UserRecord, locks: ReadonlyMap<string, number>): string {
  if (u.disabled) return 'disabled';
  if (locks.has(u.username)) return 'locked';
  return 'active';
}

async function setDisabled(store: Store, argv: Args, disabled: boolean): Promise<void> {
  const u = await mustUser(store, argv.name);
  await store.setDisabled(u.id, disabled, { actor: ACTOR, action: disabled ? 'user.disable' : 'user.enable', target: u.username });
  console.log(`${u.username} ${disabled ? 'disabled' : 'enabled'}`);
}

function checkColor(color: unknown): string {
  const c = String(color);
  if (!isRoleColor(c)) throw new SetupError(`unknown color "${c}"; choose one of: ${ROLE_COLORS.join(', ')}`, 2);
  return c;
}

const roleCommands = (y: Argv) => y
  .command('list', 'list roles', () => {}, withStore(async (store) => {
    console.log(table(['name', 'level', 'color'], (await store.listRoles()).map((r) => [r.name, r.level, r.color])));
  }))
  .command('add <name>', 'create a role', (a) => a.positional('name', { type: 'string' })
    .option('level', { type: 'number', demandOption: true }).option('color', { type: 'string', default: 'white' }),
  withStore(async (store, argv) => {
    const name = String(argv.name).toLowerCase();
    if (!ROLE_NAME_RE.test(name)) throw new SetupError(`invalid role name "${argv.name}"`, 2);
    const level = checkLevel(argv.level);
    if (await store.getRole(name)) throw new SetupError(`role ${name} already exists`);
    await store.addRole({ name, level, color: checkColor(argv.color) });
    await store.audit({ actor: ACTOR, action: 'role.add', target: name, detail: `level=${level}` });
    console.log(`created role ${name} (level ${level}, ${argv.color})`);
  }))
  .command('set <name>', 'change a role\'s level or color', (a) => a.positional('name', { type: 'string' })
    .option('level', { type: 'number' }).option('color', { type: 'string' }),
  withStore(async (store, argv) => {
    const role = await mustRole(store, String(argv.name));
    const patch: { level?: number; color?: string } = {};
    if (argv.level !== undefined) {
      patch.level = checkLevel(argv.level);
    }
    if (argv.color !== undefined) patch.color = checkColor(argv.color);
    if (!Object.keys(patch).length) throw new SetupError('nothing to change: give --level and/or --color', 2);
    await store.updateRole(role.name, patch, { actor: ACTOR, action: 'role.set', target: role.name, detail: JSON.stringify(patch) });
    console.log(`role ${role.name} updated`);
  }))
  .demandCommand(1, 'name a role action: list, add, set');

const banCommands = (y: Argv) => y
  .command('list', 'list active bans', () => {}, withStore(async (store) => {
    const bans = await store.listActiveBans();
    console.log(table(['target', 'reason', 'by', 'since', 'expires'],
      bans.map((b) => [b.username ?? b.ip ?? b.certFingerprint, b.reason, b.by, sinceText(b.createdAt), formatExpiry(b.expiresAt)])));
  }))
  .command('add <name>', 'ban a user', (a) => a.positional('name', { type: 'string' })
    .option('duration', { type: 'string', default: 'perm', describe: '30s, 10m, 2h, 7d or perm' })
    .option('reason', { type: 'string', default: '' }),
  withStore(async (store, argv) => {
    const u = await mustUser(store, argv.name);
    const ms = parseDuration(String(argv.duration));
    if (ms === undefined) throw new SetupError(`bad duration "${argv.duration}": use 30s, 10m, 2h, 7d or perm`, 2);
    const expiresAt = ms === null ? null : Date.now() + ms;
    const reason = reasonArg(argv.reason);
    await store.addBan({ userId: u.id, username: u.username, ip: null, certFingerprint: null, reason, by: ACTOR, expiresAt },
      { actor: ACTOR, action: 'ban', target: u.username, detail: `${argv.duration} ${reason}`.trim() });
    console.log(`banned ${u.username} ${untilText(expiresAt)}`);
  }))
  .command('remove <name>', 'lift a user\'s bans', (a) => a.positional('name', { type: 'string' }),
    withStore(async (store, argv) => {
      const u = await mustUser(store, argv.name);
      const n = await store.liftBans(u.id, ACTOR, { actor: ACTOR, action: 'unban', target: u.username });
      if (!n) throw new SetupError(`${u.username} is not banned`);
      console.log(`unbanned ${u.username}`);
    }))
  .demandCommand(1, 'name a ban action: list, add, remove');

/** A SHA-256 fingerprint as Node reports it (AA:BB:…), from a fingerprint or a PEM file. */
function fingerprintArg(raw: string): string {
  const hex = raw.replace(/[:\s]/g, '');
  if (/^[0-9a-fA-F]{64}$/.test(hex)) return hex.toUpperCase().match(/../g)!.join(':');
  let pem: string;
  try { pem = fs.readFileSync(raw, 'utf8'); } catch { throw new SetupError(`"${raw}" is neither a SHA-256 fingerprint nor a readable certificate file`, 2); }
  return fingerprintOfPem(pem);
}

/**
 * --reason, cleaned as a moderator's is (lib/sanitize.ts): it reaches users' terminals in the bye and
 * the error of a ban, and in //banned-users, where escapes or line breaks would paint their screens.
 */
function reasonArg(raw: unknown): string {
  try {
    return sanitizeReason(String(raw ?? ''));
  } catch (e) {
    throw new SetupError(`bad --reason: ${(e as Error).message}`, 2);
  }
}

const certCommands = (y: Argv) => y
  .command('revoke <cert>', 'revoke a client certificate (fingerprint or .crt file)', (a) => a.positional('cert', { type: 'string' })
    .option('reason', { type: 'string', default: '' }),
  withStore(async (store, argv) => {
    const fp = fingerprintArg(String(argv.cert));
    const reason = reasonArg(argv.reason);
    const added = await store.revokeCert(fp, ACTOR, reason);
    await store.audit({ actor: ACTOR, action: 'cert.revoke', target: fp, detail: reason || null });
    console.log(added ? `revoked ${fp}` : `${fp} was already revoked`);
  }))
  .command('list [user]', 'list client certificates (issued at enrollment or renewal, or seen at a login) and revoked ones', (a) => a
    .positional('user', { type: 'string', describe: 'only this user\'s' }),
  withStore(async (store, argv) => {
    const user = argv.user === undefined ? undefined : username(argv.user);
    const certs = await store.listCertificates(user);
    const known = new Set(certs.map((c) => c.fingerprint));
    const now = Date.now();
    const rows: Array<Array<string | number | null>> = certs.map((c) => [
      c.user, c.fingerprint, c.source, isoOrDash(c.issuedAt), isoOrDash(c.notAfter),
      c.revokedAt !== null ? 'revoked' : c.notAfter <= now ? 'expired' : 'valid',
    ]);
    // Revoked by fingerprint (cert revoke) without chatd ever having seen the certificate.
    if (user === undefined) for (const fp of await store.listRevoked()) if (!known.has(fp)) rows.push(['-', fp, '-', '-', '-', 'revoked']);
    console.log(table(['user', 'fingerprint', 'source', 'issued', 'not after', 'state'], rows));
  }))
  .demandCommand(1, 'name a cert action: revoke, list');

function inviteState(i: InviteRecord, now = Date.now()): string {
  if (i.usedAt !== null) return `used ${isoOrDash(i.usedAt)}`;
  if (i.revokedAt !== null) return 'revoked';
  if (i.expiresAt <= now) return 'expired';
  return i.existing ? 'open (re-enrollment)' : 'open';
}

const inviteCommands = (y: Argv) => y
  .command('add <name>', 'invite a user: prints a one-time code for `chat-cli enroll <code>`', (a) => a
    .positional('name', { type: 'string', describe: 'login name (lowercase)' })
    .option('role', { type: 'string', default: 'user', describe: 'role of the new account' })
    .option('ttl', { type: 'string', default: '24h', describe: 'how long the code works: 30m, 24h, 7d' })
    .option('server', { type: 'string', describe: 'host:port the user connects to (written into the code)' })
    .option('ca', { type: 'string', default: 'certs/ca.crt', describe: 'the CA certificate chatd uses (--ca); the code pins it' })
    .option('existing', { type: 'boolean', default: false, describe: 're-enroll an existing account (lost key): its earlier certificates are revoked' }),
  withStore(async (store, argv) => {
    // --existing re-enrolls an account that exists, whatever its name; a new one takes a free name.
    const name = argv.existing ? username(argv.name) : newUsername(argv.name);
    const ttl = parseDuration(String(argv.ttl));
    if (!ttl) throw new SetupError(`bad --ttl "${argv.ttl}": use 30m, 24h or 7d`, 2);
    const server = argv.server === undefined ? undefined : String(argv.server);
    if (server !== undefined && !parseHostPort(server)) throw new SetupError(`bad --server "${server}": use host:port`, 2);
    let caPem: string;
    try { caPem = fs.readFileSync(String(argv.ca), 'utf8'); } catch { throw new SetupError(`cannot read --ca ${argv.ca}: the CA certificate chatd runs with`); }
    let fp: string;
    try { fp = caFingerprint(caPem); } catch { throw new SetupError(`--ca ${argv.ca} holds no certificate`); }
    const existing = !!argv.existing;
    const user = await store.getUser(name);
    let role: string;
    if (existing) {
      if (!user) throw new SetupError(`no such user: ${name} (--existing re-enrolls an account that exists)`);
      role = user.role;
    } else {
      if (user) throw new SetupError(`user ${name} already exists (use --existing to re-enroll it)`);
      role = (await mustRole(store, String(argv.role))).name;
    }
    const token = newToken();
    const now = Date.now();
    // One open invite per user: a new code replaces the ones not used yet.
    await store.revokeInvites(name, now);
    await store.addInvite({ user: name, role, tokenHash: tokenHash(token), createdBy: ACTOR, createdAt: now, expiresAt: now + ttl, existing });
    await store.audit({ actor: ACTOR, action: 'invite.add', target: name, detail: `role=${role} ttl=${argv.ttl}${existing ? ' existing' : ''}` });
    process.stderr.write(`invite for ${name} (role ${role}${existing ? ', re-enrollment' : ''}), works once until ${new Date(now + ttl).toISOString()}; pass it on privately:\n`);
    console.log(encodeInvite({ v: 1, ...(server !== undefined ? { s: server } : {}), u: name, t: token, fp }));
  }))
  .command('list', 'list invites', () => {}, withStore(async (store) => {
    console.log(table(['user', 'role', 'expires', 'state'], (await store.listInvites()).map((i) => [i.user, i.role, isoOrDash(i.expiresAt), inviteState(i)])));
  }))
  .command('revoke <name>', 'revoke a user\'s open invite', (a) => a.positional('name', { type: 'string' }),
    withStore(async (store, argv) => {
      const name = username(argv.name);
      const n = await store.revokeInvites(name);
      if (!n) throw new SetupError(`no open invite for ${name}`);
      await store.audit({ actor: ACTOR, action: 'invite.revoke', target: name });
      console.log(`revoked the open invite for ${name}`);
    }))
  .demandCommand(1, 'name an invite action: add, list, revoke');

// ---- data lifecycle (issue 15; README "Backup, export and erasure") -----------------------------
const backupCommand = ['backup <file>', 'copy the SQLite database while chatd runs (MySQL: use mysqldump --single-transaction)',
  (a: Argv) => a.positional('file', { type: 'string', describe: 'where to write the copy' })
    .option('force', { type: 'boolean', describe: 'replace an existing file' }),
  async (argv: any) => {
    // No migration and no store: a backup copies what is there, whatever its schema.
    const r = await backupDatabase(String(argv.db), String(argv.file), { force: !!argv.force });
    console.log(`backup written to ${r.file} (${r.bytes} bytes, ${r.messages} messages, integrity ok)`);
  }] as const;

const restoreCommand = ['restore <file>', 'put a backup in place of the SQLite database (chatd stopped); the database it replaces is kept beside it',
  (a: Argv) => a.positional('file', { type: 'string', describe: 'a copy written by chat-admin backup' })
    .option('yes', { type: 'boolean', describe: 'do not ask (needed when not on a terminal)' })
    .epilog(examples([['stop chatd, then put a backup in place (the old database stays as <db>.replaced-<time>)', 'chat-admin restore /var/backups/chatd.sqlite --db sqlite:./data/chatd.sqlite']])),
  async (argv: any) => {
    // No store and no migration: chatd brings the restored schema up to date when it starts.
    if (!argv.yes) {
      if (!isInteractive()) throw new SetupError('restore replaces the whole database; not on a terminal, so give --yes to confirm', 2);
      const typed = await promptLine(`This replaces the database ${redact(String(argv.db))} with ${argv.file} (the current one is kept beside it).\nType "yes" to go on: `);
      if (typed.trim().toLowerCase() !== 'yes') throw new SetupError('restore cancelled; nothing changed');
    }
    const r = restoreDatabase(String(argv.db), String(argv.file));
    console.log(`restored ${argv.file} to ${r.database} (${r.messages} messages)${r.previous ? `; the database it replaced is ${r.previous}` : ''}`);
  }] as const;

const exportCommand = ['export', 'print everything stored about a user as JSON (no password hash)',
  (a: Argv) => a.option('user', { type: 'string', demandOption: true, describe: 'the user to export' }),
  withStore(async (store, argv) => {
    const u = await mustUser(store, argv.user);
    const data = await store.exportUser(u);
    process.stdout.write(JSON.stringify({ format: 'chatd-export/1', exportedAt: new Date().toISOString(), ...data }, null, 2) + '\n');
  })] as const;

/**
 * A role's level: a whole number the column holds. 1e308 passed Number.isInteger and SQLite stored it
 * as a float above every owner; MySQL refused 3e9 with its raw SQL.
 */
function checkLevel(v: unknown): number {
  const level = Number(v);
  if (!Number.isSafeInteger(level) || level < 0 || level > MAX_LEVEL) throw new SetupError(`--level must be a whole number from 0 to ${MAX_LEVEL}`, 2);
  return level;
}

/** The largest signed 32-bit integer: the roles.level column on MySQL. */
const MAX_LEVEL = 2_147_483_647;

const purgeCommand = ['purge', "delete a user's messages and anonymize the account and its audit entries (one transaction)",
  (a: Argv) => a.option('user', { type: 'string', demandOption: true, describe: 'the user to erase' })
    .option('yes', { type: 'boolean', describe: 'do not ask (needed when not on a terminal)' }),
  withStore(async (store, argv) => {
    const u = await mustUser(store, argv.user);
    if (!argv.yes) {
      if (!isInteractive()) throw new SetupError(`purge erases ${u.username} for good; not on a terminal, so give --yes to confirm`, 2);
      const typed = await promptLine(`This deletes every message of ${u.username} and renames the account deleted-${u.id} everywhere.\nType the user name to confirm: `);
      if (typed.trim().toLowerCase() !== u.username) throw new SetupError('not confirmed; nothing changed');
    }
    const r = await store.purgeUser(u, ACTOR, (why) => process.stderr.write(`chat-admin: purged, but the database file still holds the erased text (${why}); it is overwritten at the next purge, or by VACUUM while chatd is stopped\n`));
    console.log(`purged ${u.username}: ${r.messages} messages and ${r.dms} DMs deleted; the account is now ${r.anonymous} (disabled, no password)`);
  })] as const;

async function main(): Promise<void> {
  await parseCli(cliParser(NAME)
    .usage('$0 <user|role|ban|cert|invite> <action> … [--db URL]; $0 backup <file> | restore <file> [--yes] | export --user <name> | purge --user <name> [--yes]')
    .option('db', { type: 'string', default: DEFAULT_DB, describe: 'sqlite:PATH or mysql://user:pass@host:3306/db', global: true })
    .option('config', { type: 'string', describe: 'chatd config file (for password hashing parameters)', global: true })
    .command('user', 'manage users', userCommands)
    .command('role', 'manage roles', roleCommands)
    .command('ban', 'manage bans', banCommands)
    .command('cert', 'list and revoke client certificates', certCommands)
    .command('invite', 'invite users to enroll (chat-cli enroll <code>)', inviteCommands)
    .command(...backupCommand)
    .command(...restoreCommand)
    .command(...exportCommand)
    .command(...purgeCommand)
    .demandCommand(1, 'name a group: user, role, ban, cert or invite, or backup, restore, export, purge')
    .epilog(examples([
      ['create bob with a password from a file', 'chat-admin user add bob --role user --password-stdin < pw.txt'],
      ['ban bob for ten minutes', 'chat-admin ban add bob --duration 10m --reason spam'],
      ['a one-time code carol enrolls with', 'chat-admin invite add carol --server chat.example.org:7443'],
      ['an online copy of the SQLite database', 'chat-admin backup /var/backups/chatd.sqlite'],
      ['put that copy back, chatd stopped (a script, no terminal to ask on)', 'chat-admin restore /var/backups/chatd.sqlite --yes'],
    ]))
    );
}

main().catch((e) => reportAndExit(NAME, e));
