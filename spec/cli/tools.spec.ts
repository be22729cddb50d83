// chat-migrate and chat-admin as a new operator would run them.
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { openStore } from '../../lib/store/index.js';
import { verifyPassword } from '../../lib/auth/password.js';
import { runBin } from '../helpers/bin.js';
import { dbKinds, freshDb, sharedCerts, tmpdir } from '../helpers/world.js';

for (const kind of dbKinds()) {
  describe(`chat-migrate on ${kind}`, () => {
    let db: { url: string; drop(): Promise<void> };
    before(async () => { db = await freshDb(kind); });
    after(async () => { await db?.drop(); });

    it('latest, latest again, status, rollback, status', async () => {
      let r = await runBin('chat-migrate', ['latest', '--db', db.url]);
      expect(r.code, r.err).to.equal(0);
      expect(r.out).to.match(/applied: 001_initial, 002_mutes, 003_login_locks, 004_audit_detail, 005_setter_level, 006_enrollment, 007_search, 008_dms, 009_server_secrets, 010_dms_ts, 011_cert_cutoffs/);
      r = await runBin('chat-migrate', ['latest', '--db', db.url]);
      expect(r.out).to.match(/already up to date/);
      r = await runBin('chat-migrate', ['status', '--db', db.url]);
      expect(r.out).to.match(/applied\s+001_initial/).and.match(/applied\s+002_mutes/);
      r = await runBin('chat-migrate', ['rollback', '--yes', '--db', db.url]);
      expect(r.code).to.equal(0);
      r = await runBin('chat-migrate', ['status', '--db', db.url]);
      expect(r.out).to.match(/pending\s+001_initial/).and.match(/pending\s+002_mutes/);
    });
  });
}

describe('chat-migrate errors', () => {
  it('a bad URL is one line and exit 1', async () => {
    const r = await runBin('chat-migrate', ['latest', '--db', 'postgres://x/y']);
    expect(r.code).to.equal(1);
    expect(r.err.trim().split('\n')).to.have.length(1);
    expect(r.err).to.match(/bad --db URL/);
  });
  it('an unreachable server is one line and exit 1', async () => {
    const r = await runBin('chat-migrate', ['latest', '--db', 'mysql://root@127.0.0.1:1/test']);
    expect(r.code).to.equal(1);
    expect(r.err.trim().split('\n')).to.have.length(1);
    expect(r.err).to.match(/unreachable/);
  });
  it('no action is a usage error, exit 2', async () => {
    const r = await runBin('chat-migrate', []);
    expect(r.code).to.equal(2);
    expect(r.err.trimEnd().split('\n')).to.have.length(1);
  });
});

for (const kind of dbKinds()) {
  describe(`chat-admin on ${kind}`, function () {
    let db: { url: string; drop(): Promise<void> };
    const admin = (args: string[], input?: string) => runBin('chat-admin', [...args, '--db', db.url], { input });
    // chat-admin works on chatd's database only (spec/cli/db-guard.spec.ts): migrated as chatd would.
    before(async () => {
      db = await freshDb(kind);
      const r = await runBin('chat-migrate', ['latest', '--db', db.url]);
      expect(r.code, r.err).to.equal(0);
    });
    after(async () => { await db?.drop(); });

    it('user add with --password-stdin works on a freshly migrated database and hashes with a salt', async () => {
      let r = await admin(['user', 'add', 'Bob', '--role', 'user', '--password-stdin'], 'Same-pass-1234\n');
      expect(r.code, r.err).to.equal(0);
      expect(r.out).to.match(/created user bob/);
      r = await admin(['user', 'add', 'carol', '--password-stdin'], 'Same-pass-1234\n');
      expect(r.code, r.err).to.equal(0);
      const store = await openStore(db.url);
      try {
        const bob = (await store.getUser('bob'))!;
        const carol = (await store.getUser('carol'))!;
        expect(bob.passwordHash).to.match(/^\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$/);
        expect(bob.passwordHash).to.not.equal(carol.passwordHash);
        expect(await verifyPassword('Same-pass-1234', bob.passwordHash)).to.equal(true);
      } finally { await store.close(); }
    });

    it('a duplicate user is one line and exit 1', async () => {
      const r = await admin(['user', 'add', 'bob', '--password-stdin'], 'Other-pass-1234\n');
      expect(r.code).to.equal(1);
      expect(r.err.trim()).to.equal('chat-admin: user bob already exists');
    });

    it('rejects invalid names (exit 2) and unknown users (exit 1)', async () => {
      expect((await admin(['user', 'add', 'Bad Name!', '--password-stdin'], 'Whatever-1234\n')).code).to.equal(2);
      const r = await admin(['user', 'disable', 'bo']);
      expect(r.code).to.equal(1);
      expect(r.err).to.match(/no such user: bo/);
    });

    // Names the server itself writes or shows: audit rows by chat-admin (nodes follow them, and treat
    // their bans as the owner's), by enrollment, IRC's server prefix, purged accounts' names.
    it('refuses the names chatd itself uses (exit 2), for a user and for an invite', async () => {
      for (const name of ['chat-admin', 'enroll', 'chatd', 'deleted-7']) {
        const r = await admin(['user', 'add', name, '--password-stdin'], 'Whatever-1234\n');
        expect(r.code, `${name}: ${r.err}`).to.equal(2);
        expect(r.err).to.match(/reserved/);
      }
      expect((await admin(['invite', 'add', 'chat-admin', '--server', '127.0.0.1:7443'])).code).to.equal(2);
    });

    it('generates and prints a password once when none is given and stdin is not a terminal', async () => {
      const r = await admin(['user', 'add', 'dave']);
      expect(r.code, r.err).to.equal(0);
      const m = /generated password \(none was given\), shown once: (\S+)/.exec(r.out);
      expect(m).to.not.equal(null);
      const store = await openStore(db.url);
      try { expect(await verifyPassword(m![1], (await store.getUser('dave'))!.passwordHash)).to.equal(true); } finally { await store.close(); }
    });

    it('passwd, role, disable, enable and list', async () => {
      expect((await admin(['user', 'passwd', 'bob', '--password-stdin'], 'New-pass-5678\n')).code).to.equal(0);
      expect((await admin(['user', 'role', 'bob', 'moderator'])).code).to.equal(0);
      expect((await admin(['user', 'disable', 'carol'])).code).to.equal(0);
      let list = await admin(['user', 'list']);
      expect(list.out).to.match(/^name\s+role\s+level\s+status\s+last login/m);
      expect(list.out).to.match(/^bob\s+moderator\s+50\s+active/m);
      expect(list.out).to.match(/^carol\s+user\s+1\s+disabled/m);
      expect((await admin(['user', 'enable', 'carol'])).code).to.equal(0);
      list = await admin(['user', 'list']);
      expect(list.out).to.match(/^carol\s+user\s+1\s+active/m);
      expect((await admin(['user', 'role', 'bob', 'nosuch'])).code).to.equal(1);
    });

    it('roles: list, add with a palette color, set; unknown colors refused', async () => {
      expect((await admin(['role', 'add', 'helper', '--level', '20', '--color', 'green'])).code).to.equal(0);
      expect((await admin(['role', 'add', 'fancy', '--level', '20', '--color', 'rainbow'])).code).to.equal(2);
      expect((await admin(['role', 'set', 'helper', '--color', 'blueBright'])).code).to.equal(0);
      const r = await admin(['role', 'list']);
      expect(r.out).to.match(/^helper\s+20\s+blueBright$/m);
      expect(r.out).to.match(/^owner\s+1000\s+magenta$/m);
    });

    it('bans: add, list, remove', async () => {
      expect((await admin(['ban', 'add', 'bob', '--duration', '10m', '--reason', 'spam'])).code).to.equal(0);
      let r = await admin(['ban', 'list']);
      expect(r.out).to.match(/^bob\s+spam\s+chat-admin/m);
      expect((await admin(['ban', 'add', 'bob', '--duration', '10x'])).code).to.equal(2);
      expect((await admin(['ban', 'remove', 'bob'])).code).to.equal(0);
      r = await admin(['ban', 'list']);
      expect(r.out).to.not.match(/^bob/m);
      expect((await admin(['ban', 'remove', 'bob'])).code).to.equal(1);
    });

    it('cert revoke by file and by fingerprint', async () => {
      const certs = await sharedCerts();
      let r = await admin(['cert', 'revoke', path.join(certs, 'clients', 'dave.crt')]);
      expect(r.code, r.err).to.equal(0);
      const fp = /revoked (\S+)/.exec(r.out)![1];
      expect(fp).to.match(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
      r = await admin(['cert', 'revoke', fp.replace(/:/g, '').toLowerCase()]);
      expect(r.out).to.match(/already revoked/);
      expect((await admin(['cert', 'revoke', 'not-a-file'])).code).to.equal(2);
    });
  });
}

describe('npx chat-admin on a fresh checkout layout', () => {
  it('uses ./data/chatd.sqlite by default', async () => {
    const dir = tmpdir('fresh');
    try {
      expect((await runBin('chat-migrate', ['latest'], { cwd: dir })).code).to.equal(0);
      const r = await runBin('chat-admin', ['user', 'add', 'bob', '--role', 'user', '--password-stdin'], { input: 'Bob-pass-1234\n', cwd: dir });
      expect(r.code, r.err).to.equal(0);
      expect(fs.existsSync(path.join(dir, 'data', 'chatd.sqlite'))).to.equal(true);
    } finally { fs.rmSync(dir, { recursive: true, force: true }); }
  });
});
