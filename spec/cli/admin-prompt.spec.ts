// chat-admin on a terminal, as an operator types: the password rule before the question, nothing
// typed is echoed, an empty answer gets a generated password.
import { expect } from 'chai';
import { openStore } from '../../lib/store/index.js';
import { verifyPassword } from '../../lib/auth/password.js';
import { Run } from '../helpers/cli-run.js';
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

  /** Types erin's password at both prompts of `chat-admin user add erin …extra`; it must never be echoed, and must be stored. */
  async function addErinTyped(extra: string[]): Promise<Run> {
    const t = Run.bin('chat-admin', ['user', 'add', 'erin', '--db', db.url, ...extra], { pty: true });
    await t.waitOut(/New password: /);
    t.write('Erin-pass-1234\r');
    await t.waitOut(/Repeat password: /);
    t.write('Erin-pass-1234\r');
    expect(await t.exit()).to.equal(0);
    expect(t.out).not.to.contain('Erin-pass-1234');
    const store = await openStore(db.url);
    try { expect(await verifyPassword('Erin-pass-1234', (await store.getUser('erin'))!.passwordHash)).to.equal(true); } finally { await store.close(); }
    return t;
  }

  it('states the password rule before asking and never echoes what is typed', async () => {
    const t = await addErinTyped([]);
    expect(t.out).to.match(/at least 8 characters[^\n]*\n[^\n]*New password: /);
  });

  it('generates a password and says so when the answer is empty', async () => {
    const t = Run.bin('chat-admin', ['user', 'add', 'erin', '--db', db.url], { pty: true });
    await t.waitOut(/New password: /);
    t.write('\r');
    await t.waitOut(/Repeat password: /);
    t.write('\r');
    expect(await t.exit()).to.equal(0);
    const pw = /generated password \(none was given\), shown once: (\S+)/.exec(t.out)![1];
    const store = await openStore(db.url);
    try { expect(await verifyPassword(pw, (await store.getUser('erin'))!.passwordHash)).to.equal(true); } finally { await store.close(); }
  });

  it('--password-stdin on a terminal asks hidden too, instead of echoing the password as it is typed', async () => {
    await addErinTyped(['--password-stdin']);
  });
});
