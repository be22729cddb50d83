// Restoring a backup after chatd crashed, as the README said ("stop chatd and put the copy in place
// of the database file"), gave back the crashed database: chatd's -wal file stayed beside it and
// SQLite replayed it into the restored copy. `chat-admin restore <file>` folds that WAL into the old
// database, sets it aside, and puts the backup in place; it refuses while chatd has the database open.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openStore } from '../../lib/store/index.js';
import { runBin } from '../helpers/bin.js';
import { tmpdir } from '../helpers/world.js';

describe('chat-admin restore', function () {
  this.timeout(60000);
  let dir: string;
  let db: string;
  const admin = (args: string[], input?: string) => runBin('chat-admin', [...args, '--db', `sqlite:${db}`], { cwd: dir, input });
  const users = (file: string) => {
    const d = new Database(file, { readonly: true });
    try { return d.prepare('select username from users order by username').pluck().all() as string[]; } finally { d.close(); }
  };

  beforeEach(async () => {
    dir = tmpdir('restore');
    db = path.join(dir, 'chatd.sqlite');
    let r = await runBin('chat-migrate', ['latest', '--db', `sqlite:${db}`]);
    expect(r.code, r.err).to.equal(0);
    r = await admin(['user', 'add', 'alice', '--password-stdin'], 'Alice-pass-1234\n');
    expect(r.code, r.err).to.equal(0);
    r = await admin(['backup', 'b.sqlite']);
    expect(r.code, r.err).to.equal(0);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** A chatd that wrote in WAL mode and was killed: its -wal (and -shm) stay beside the database. */
  function crashAfterWrites(file = db): void {
    const script = `
      const D = require(${JSON.stringify(createRequire(import.meta.url).resolve('better-sqlite3'))});
      const d = new D(${JSON.stringify(file)});
      d.pragma('journal_mode = WAL'); d.pragma('wal_autocheckpoint = 0');
      d.prepare("insert into users (username, password_hash, role, created_at) values ('mallory', 'x', 'user', 1)").run();
      d.prepare("delete from users where username = 'alice'").run();
      process.kill(process.pid, 'SIGKILL');`;
    spawnSync(process.execPath, ['-e', script]);
    expect(fs.existsSync(`${file}-wal`), 'the crash left a -wal file').to.equal(true);
  }

  it('after a crash: the backup comes back, not the crashed state; the old database is kept, whole', async () => {
    crashAfterWrites();
    const r = await admin(['restore', 'b.sqlite', '--yes']);
    expect(r.code, r.err).to.equal(0);
    expect(r.out).to.match(/^restored b\.sqlite to .*chatd\.sqlite \(0 messages\); the database it replaced is .*chatd\.sqlite\.replaced-/);
    expect(fs.existsSync(`${db}-wal`)).to.equal(false);
    expect(fs.statSync(db).mode & 0o777).to.equal(0o600);
    const after = await runBin('chat-admin', ['user', 'list', '--db', `sqlite:${db}`]);
    expect(after.code, after.err).to.equal(0);
    expect(after.out).to.match(/\balice\b/).and.not.match(/mallory/);
    const previous = fs.readdirSync(dir).find((f) => f.startsWith('chatd.sqlite.replaced-'))!;
    expect(users(path.join(dir, previous))).to.deep.equal(['mallory']); // the crash's WAL folded into it
  });

  it('a copy with its -wal beside it (a snapshot of a live database) comes back as SQLite reads it, not without its log', async () => {
    const snap = path.join(dir, 'snap.sqlite');
    fs.copyFileSync(db, snap);
    crashAfterWrites(snap); // mallory in, alice out: in snap.sqlite-wal only
    expect(users(snap)).to.deep.equal(['mallory']);
    const r = await admin(['restore', 'snap.sqlite', '--yes']);
    expect(r.code, r.err).to.equal(0);
    expect(users(db)).to.deep.equal(['mallory']);
  });

  it('a damaged backup: one line, exit 1, nothing changed (integrity_check reports over several)', async () => {
    const bad = path.join(dir, 'bad.sqlite');
    fs.copyFileSync(path.join(dir, 'b.sqlite'), bad);
    const fd = fs.openSync(bad, 'r+');
    try { fs.writeSync(fd, Buffer.alloc(200, 0xa5), 0, 200, 4096 * 3 + 8); } finally { fs.closeSync(fd); }
    const r = await admin(['restore', 'bad.sqlite', '--yes']);
    expect(r.code, r.err).to.equal(1);
    expect(r.err.trim().split('\n'), r.err).to.have.length(1);
    expect(users(db)).to.deep.equal(['alice']);
  });

  it('refused while chatd has the database open: one line, exit 1, nothing changed', async () => {
    const store = await openStore(`sqlite:${db}`); // stands for a running chatd
    try {
      await store.createUser({ username: 'bob', passwordHash: 'x', role: 'user' });
      const r = await admin(['restore', 'b.sqlite', '--yes']);
      expect(r.code, r.err).to.equal(1);
      expect(r.err.trim().split('\n')).to.have.length(1);
      expect(r.err).to.match(/in use \(is chatd running\?\)/);
      expect(await store.getUser('bob')).to.not.equal(null);
    } finally { await store.close(); }
    expect(users(db)).to.deep.equal(['alice', 'bob']);
    expect(fs.readdirSync(dir).filter((f) => /replaced|restoring/.test(f))).to.deep.equal([]);
  });

  it('without --yes and no terminal: exit 2; a file that is no chatd backup: exit 1; nothing changed', async () => {
    let r = await admin(['restore', 'b.sqlite']);
    expect(r.code, r.err).to.equal(2);
    fs.writeFileSync(path.join(dir, 'junk.sqlite'), 'not a database at all, but long enough to look like one '.repeat(100));
    r = await admin(['restore', 'junk.sqlite', '--yes']);
    expect(r.code, r.err).to.equal(1);
    expect(r.err).to.match(/not a chatd backup/);
    r = await admin(['restore', 'missing.sqlite', '--yes']);
    expect(r.code, r.err).to.equal(1);
    expect(users(db)).to.deep.equal(['alice']);
    expect(fs.readdirSync(dir).filter((f) => /replaced|restoring/.test(f))).to.deep.equal([]);
  });

  it('into a folder that does not exist: exit 1 naming that folder, not a file of its own', async () => {
    const r = await runBin('chat-admin', ['restore', 'b.sqlite', '--yes', '--db', `sqlite:${path.join(dir, 'nowhere', 'c.sqlite')}`], { cwd: dir });
    expect(r.code, r.err).to.equal(1);
    expect(r.err).to.match(/no folder .*nowhere/);
    expect(r.err).not.to.match(/restoring-/);
  });

  it('with a MySQL --db: exit 2 naming mysql', async () => {
    const r = await runBin('chat-admin', ['restore', 'b.sqlite', '--yes', '--db', 'mysql://root@127.0.0.1:1/x'], { cwd: dir });
    expect(r.code, r.err).to.equal(2);
    expect(r.err).to.match(/mysql chatd < chatd\.sql/);
  });
});
