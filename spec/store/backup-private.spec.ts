// chat-admin backup writes password hashes: the partial copy is private from its first byte, not
// only once it has been checked and renamed (a umask of 022 left it readable to all meanwhile).
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { openStore } from '../../lib/store/index.js';
import { backupDatabase } from '../../lib/store/backup.js';
import { tmpdir } from '../helpers/world.js';

describe('backup: a private copy throughout', () => {
  it('the partial copy is created 0600 (its mode is not left to a later chmod)', async () => {
    const dir = tmpdir('backup-mode');
    const db = path.join(dir, 'chatd.sqlite');
    const store = await openStore(`sqlite:${db}`);
    await store.migrateLatest();
    await store.close();
    const file = path.join(dir, 'copy.sqlite');
    const modes: number[] = [];
    const realRename = fs.renameSync;
    const realChmod = fs.chmodSync;
    const oldMask = process.umask(0o022);
    // What the partial file is before anything chmods it: the mode it was created with.
    fs.chmodSync = (() => undefined) as typeof fs.chmodSync;
    fs.renameSync = ((from: fs.PathLike, to: fs.PathLike) => { modes.push(fs.statSync(from).mode & 0o777); return realRename(from, to); }) as typeof fs.renameSync;
    try {
      await backupDatabase(`sqlite:${db}`, file);
    } finally {
      fs.chmodSync = realChmod;
      fs.renameSync = realRename;
      process.umask(oldMask);
    }
    expect(modes).to.deep.equal([0o600]);
    expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
  });
});
