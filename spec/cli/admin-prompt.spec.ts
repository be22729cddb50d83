// chat-admin on a terminal, as an operator types: the password rule before the question, nothing
// typed is echoed, an empty answer gets a generated password.
import { expect } from 'chai';
import { openStore } from '../../lib/store/index.js';
import { verifyPassword } from '../../lib/auth/password.js';
import { onTerminal } from '../helpers/terminal.js';
import { freshDb } from '../helpers/world.js';

describe('chat-admin user add on a terminal', function () {
  this.timeout(30000);
  let db: { url: string; drop(): Promise<void> };
  beforeEach(async () => {
    db = await freshDb('sqlite');
    const store = await openStore(db.url);
    try { await store.migrateLatest(); } finally { await store.close(); }
  });
  afterEach(async () => { await db?.drop(); });

  it('states the password rule before asking and never echoes what is typed', async () => {
    const t = onTerminal('chat-admin', ['user', 'add', 'erin', '--db', db.url]);
    await t.waitFor(/New password: /);
    expect(t.screen()).to.match(/at least 8 characters[^\n]*\n[^\n]*New password: /);
    t.type('Erin-pass-1234\r');
    await t.waitFor(/Repeat password: /);
    t.type('Erin-pass-1234\r');
    expect(await t.exited()).to.equal(0);
    expect(t.screen()).not.to.contain('Erin-pass-1234');
    const store = await openStore(db.url);
    try { expect(await verifyPassword('Erin-pass-1234', (await store.getUser('erin'))!.passwordHash)).to.equal(true); } finally { await store.close(); }
  });

  it('generates a password and says so when the answer is empty', async () => {
    const t = onTerminal('chat-admin', ['user', 'add', 'erin', '--db', db.url]);
    await t.waitFor(/New password: /);
    t.type('\r');
    await t.waitFor(/Repeat password: /);
    t.type('\r');
    expect(await t.exited()).to.equal(0);
    const pw = /generated password \(none was given\), shown once: (\S+)/.exec(t.screen())![1];
    const store = await openStore(db.url);
    try { expect(await verifyPassword(pw, (await store.getUser('erin'))!.passwordHash)).to.equal(true); } finally { await store.close(); }
  });
});
