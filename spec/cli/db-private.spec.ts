// The SQLite database holds password hashes, chatd's server secrets and every DM. A database that
// chat-migrate (or chatd, or npm start) creates was left to the umask: 0644 in a 0755 folder under
// the usual 022, so every local user could read it. It is now created 0600 (SQLite gives its -wal and
// -shm files the database file's mode) in a folder created 0700.
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { runBin } from '../helpers/bin.js';
import { tmpdir } from '../helpers/world.js';

describe('cli: a SQLite database is created private', function () {
  this.timeout(60000);
  let dir: string;
  let oldMask: number;
  before(() => { dir = tmpdir('db-private'); oldMask = process.umask(0o022); }); // the child inherits it
  after(() => { process.umask(oldMask); fs.rmSync(dir, { recursive: true, force: true }); });

  const mode = (f: string) => fs.statSync(f).mode & 0o777;

  it('chat-migrate latest under umask 022: the file, its -wal and -shm 0600, a new folder 0700', async () => {
    const db = path.join(dir, 'data', 'chatd.sqlite');
    const r = await runBin('chat-migrate', ['latest', '--db', `sqlite:${db}`]);
    expect(r.code, r.err).to.equal(0);
    expect(mode(db).toString(8)).to.equal('600');
    expect(mode(path.dirname(db)).toString(8)).to.equal('700');
    // A second connection while the first is open keeps the WAL files there to look at.
    const a = await runBin('chat-admin', ['user', 'add', 'bob', '--db', `sqlite:${db}`, '--password-stdin'], { input: 'Bob-pass-1234\n' });
    expect(a.code, a.err).to.equal(0);
    for (const f of [`${db}-wal`, `${db}-shm`]) if (fs.existsSync(f)) expect(mode(f).toString(8), f).to.equal('600');
  });

  it('an existing database keeps the mode its operator gave it', async () => {
    const db = path.join(dir, 'shared.sqlite');
    let r = await runBin('chat-migrate', ['latest', '--db', `sqlite:${db}`]);
    expect(r.code, r.err).to.equal(0);
    fs.chmodSync(db, 0o640);
    r = await runBin('chat-migrate', ['status', '--db', `sqlite:${db}`]);
    expect(r.code, r.err).to.equal(0);
    expect(mode(db).toString(8)).to.equal('640');
  });
});
