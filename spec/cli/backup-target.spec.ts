// `chat-admin backup FILE --force` with FILE the live database itself (another spelling of its path, a
// symlink to it, or its -wal file) renamed the copy over it while chatd ran: chatd went on writing to
// the unlinked file, so every write after the backup was gone at its next start (and a copy put in
// place of the -wal file corrupts the database). Such a target is now refused as bad usage (exit 2),
// nothing touched.
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { openStore } from '../../lib/store/index.js';
import type { Store } from '../../lib/store/index.js';
import { runBin } from '../helpers/bin.js';
import { tmpdir } from '../helpers/world.js';

describe('chat-admin backup: never onto the database itself', function () {
  this.timeout(60000);
  let dir: string;
  let db: string;
  let store: Store; // stands for a running chatd: an open connection that keeps writing
  before(async () => {
    dir = tmpdir('backup-target');
    db = path.join(dir, 'chatd.sqlite');
    store = await openStore(`sqlite:${db}`);
    await store.migrateLatest();
    await store.createUser({ username: 'before', passwordHash: 'x', role: 'user' });
    fs.symlinkSync(db, path.join(dir, 'link.sqlite'));
  });
  after(async () => { await store?.close(); fs.rmSync(dir, { recursive: true, force: true }); });

  for (const target of ['chatd.sqlite', './sub/../chatd.sqlite', 'link.sqlite', 'chatd.sqlite-wal']) {
    it(`backup ${target} --force: exit 2, one line, the database untouched and still written`, async () => {
      fs.mkdirSync(path.join(dir, 'sub'), { recursive: true });
      const ino = fs.statSync(db).ino;
      const r = await runBin('chat-admin', ['backup', target, '--force', '--db', `sqlite:${db}`], { cwd: dir });
      expect(r.code, r.out + r.err).to.equal(2);
      expect(r.err.trim().split('\n'), r.err).to.have.length(1);
      expect(r.err).to.match(/is the database/);
      expect(fs.statSync(db).ino, 'the database file was replaced').to.equal(ino);
      const name = `after${target.replace(/[^a-z]/g, '').slice(0, 20)}`;
      await store.createUser({ username: name, passwordHash: 'x', role: 'user' });
      const fresh = await openStore(`sqlite:${db}`);
      try { expect(await fresh.getUser(name), 'a write after the backup').to.not.equal(null); } finally { await fresh.close(); }
    });
  }

  it('a folder as the target, even with --force: exit 2, one line, and no .partial file left in it', async () => {
    fs.mkdirSync(path.join(dir, 'backups'), { recursive: true });
    const r = await runBin('chat-admin', ['backup', 'backups', '--force', '--db', `sqlite:${db}`], { cwd: dir });
    expect(r.code, r.out + r.err).to.equal(2);
    expect(r.err.trim().split('\n'), r.err).to.have.length(1);
    expect(r.err).to.match(/is a folder/);
    expect(fs.readdirSync(dir).filter((f) => f.includes('.partial'))).to.deep.equal([]);
  });

  it('a copy beside it still works', async () => {
    const r = await runBin('chat-admin', ['backup', 'copy.sqlite', '--db', `sqlite:${db}`], { cwd: dir });
    expect(r.code, r.err).to.equal(0);
    expect(r.out).to.match(/backup written to copy\.sqlite/);
  });
});
