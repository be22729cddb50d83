// Issue 15: chat-admin backup (SQLite, while chatd runs and writes), export and purge, as an
// operator runs them against a live chatd, on SQLite and (with CHATD_TEST_MYSQL) MariaDB.
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { withChatd } from '../helpers/chatd.js';
import { runBin } from '../helpers/bin.js';
import { tmpdir } from '../helpers/world.js';
import { Run } from '../helpers/cli-run.js';

const FAST = { limits: { floodBurst: 100_000, floodRate: 100_000, databasePollMs: 200 } };

describe('e2e: chat-admin backup of a live SQLite database', function () {
  this.timeout(60000);
  const t = withChatd({ config: FAST });

  it('copies while chatd writes: the copy opens, passes integrity_check and holds every message acknowledged before it began', async () => {
    const alice = await t.login('alice');
    const acked: string[] = [];
    let writing = true;
    let n = 0;
    const writer = (async () => {
      while (writing) {
        const a = await alice.say(`backup load ${n++} ${'x'.repeat(200)}`);
        if (a.type !== 'message') throw new Error(`say failed: ${JSON.stringify(a)}`);
        acked.push(a.id);
      }
    })();
    // Enough rows that the copy takes several pages and steps.
    while (acked.length < 2000) await alice.say(`warm-up ${acked.length} ${'y'.repeat(500)}`).then((a) => acked.push(a.id));
    const before = [...acked];
    const file = path.join(tmpdir('backup'), 'copy.sqlite');
    const r = await runBin('chat-admin', ['backup', file, '--db', t.world.db]);
    const duringBackup = acked.length - before.length;
    writing = false;
    await writer;
    expect(r.code, r.err).to.equal(0);
    expect(r.out).to.match(/^backup written to .*copy\.sqlite \(\d+ bytes, \d+ messages, integrity ok\)\n$/);
    expect(duringBackup, 'chatd kept acknowledging messages while the backup ran').to.be.greaterThan(0);
    expect(fs.readdirSync(path.dirname(file))).to.deep.equal(['copy.sqlite']); // one file, no partial one left
    expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
    const copy = new Database(file, { readonly: true, fileMustExist: true });
    try {
      expect(copy.pragma('integrity_check', { simple: true })).to.equal('ok');
      const ids = new Set(copy.prepare('select id from messages').pluck().all() as string[]);
      expect(before.filter((id) => !ids.has(id)), 'acknowledged before the backup, missing from it').to.deep.equal([]);
      // The search index came along and agrees with the rows.
      expect(copy.prepare("select count(*) from messages_fts where messages_fts match 'warm'").pluck().get()).to.equal(
        copy.prepare("select count(*) from messages where text like 'warm-up%'").pluck().get());
    } finally {
      copy.close();
    }
  });

  it('refuses to overwrite a file without --force, and names mysqldump for MySQL (exit 2)', async () => {
    const dir = tmpdir('backup');
    const file = path.join(dir, 'taken.sqlite');
    fs.writeFileSync(file, 'keep me');
    const r = await runBin('chat-admin', ['backup', file, '--db', t.world.db]);
    expect(r.code).to.equal(1);
    expect(r.err).to.equal(`chat-admin: ${file} exists; give --force to replace it\n`);
    expect(fs.readFileSync(file, 'utf8')).to.equal('keep me');
    const f = await runBin('chat-admin', ['backup', file, '--force', '--db', t.world.db]);
    expect(f.code, f.err).to.equal(0);
    const m = await runBin('chat-admin', ['backup', path.join(dir, 'x.sql'), '--db', 'mysql://root:secret@127.0.0.1:1/chatd']);
    expect(m.code).to.equal(2);
    expect(m.err).to.match(/^chat-admin: backup copies SQLite databases only; for mysql:\/\/root:\*\*\*@127\.0\.0\.1:1\/chatd use mysqldump --single-transaction/);
    expect(m.err).to.not.include('secret');
  });
});

for (const kind of ['sqlite', 'mysql'] as const) {
  describe(`e2e: chat-admin export and purge on ${kind}`, function () {
    this.timeout(30000);
    const t = withChatd({ kind, config: FAST });

    it('export prints the account, its messages, bans, mutes and audit entries as JSON, and no password hash', async () => {
      const carol = await t.login('carol');
      const mod = await t.login('mod');
      await carol.say('carol was here');
      await carol.say('and said a second thing');
      expect((await carol.command('//msg mod a word in private')).type).to.equal('result');
      expect((await mod.command('//msg carol and one back')).type).to.equal('result');
      expect((await mod.command('//mute carol 10m')).type).to.equal('result');
      expect(await t.chatd.node.history.drain(5000)).to.equal(true);
      const r = await runBin('chat-admin', ['export', '--user', 'carol', '--db', t.world.db]);
      expect(r.code, r.err).to.equal(0);
      expect(r.out).to.not.match(/argon2|scrypt|password_hash|passwordHash/);
      const ex = JSON.parse(r.out);
      expect(ex).to.have.keys(['format', 'exportedAt', 'account', 'messages', 'dms', 'bans', 'mutes', 'audit']);
      expect(ex.format).to.equal('chatd-export/1');
      expect(ex.account).to.include({ username: 'carol', role: 'user', disabled: false });
      expect(ex.messages.map((m: { text: string }) => m.text)).to.deep.equal(['carol was here', 'and said a second thing']);
      expect(ex.messages[0]).to.include({ room: 'lobby', kind: 'say' });
      expect(ex.dms.stored).to.equal(true);
      expect(ex.dms.sent.map((d: { to: string; text: string }) => `${d.to}: ${d.text}`)).to.deep.equal(['mod: a word in private']);
      expect(ex.dms.received.map((d: { from: string; text: string }) => `${d.from}: ${d.text}`)).to.deep.equal(['mod: and one back']);
      expect(ex.mutes).to.have.length(1);
      expect(ex.mutes[0].by).to.equal('mod');
      expect(ex.audit.map((a: { actor: string; action: string; target: string }) => `${a.actor} ${a.action} ${a.target}`)).to.deep.equal(['mod mute carol']);
      const none = await runBin('chat-admin', ['export', '--user', 'nobody', '--db', t.world.db]);
      expect(none.code).to.equal(1);
      expect(none.err).to.equal('chat-admin: no such user: nobody\n');
    });

    it('purge asks for --yes off a terminal, then erases the messages in one go, anonymizes the audit log and ends live sessions', async () => {
      const dave = await t.login('dave');
      const alice = await t.login('alice');
      const mod = await t.login('mod');
      await dave.say('dave secret one');
      await dave.say('dave secret two');
      await alice.say('alice stays');
      expect((await dave.command('//msg alice dave private note')).type).to.equal('result');
      expect((await alice.command('//msg dave alice private reply')).type).to.equal('result');
      expect((await alice.command('//msg mod alice and mod only')).type).to.equal('result');
      expect((await mod.command('//mute dave 1m')).type).to.equal('result');
      expect(await t.chatd.node.history.drain(5000)).to.equal(true);
      const dv = (await t.world.store.getUser('dave'))!;

      const refused = await runBin('chat-admin', ['purge', '--user', 'dave', '--db', t.world.db]);
      expect(refused.code).to.equal(2);
      expect(refused.err).to.equal('chat-admin: purge erases dave for good; not on a terminal, so give --yes to confirm\n');
      expect(await t.world.store.getUser('dave')).to.not.equal(null);

      const r = await runBin('chat-admin', ['purge', '--user', 'dave', '--yes', '--db', t.world.db]);
      expect(r.code, r.err).to.equal(0);
      expect(r.out).to.equal(`purged dave: 2 messages and 2 DMs deleted; the account is now deleted-${dv.id} (disabled, no password)\n`);
      const bye = await dave.waitFor((f) => f.type === 'bye', 5000, 'bye');
      // KICKED by the purge, or CERT_REVOKED by the revocation poll of the same round (purge revokes
      // the account's certificates): whichever query answers first.
      expect(['KICKED', 'CERT_REVOKED']).to.include(bye.code);

      const k = t.world.store.knex;
      expect(await k('messages').where('sender_id', dv.id).orWhere('sender_name', 'dave').orWhere('text', 'like', '%dave secret%')).to.deep.equal([]);
      expect((await k('messages').where('text', 'alice stays')).length).to.equal(1);
      expect(await k('dms').where('sender', 'dave').orWhere('recipient', 'dave').orWhere('text', 'like', '%private %')).to.deep.equal([]);
      expect((await k('dms').where('text', 'alice and mod only')).length).to.equal(1);
      expect(await k('audit_log').where('actor', 'dave').orWhere('target', 'dave')).to.deep.equal([]);
      const audit = (await k('audit_log').orderBy('id')).map((a: { actor: string; action: string; target: string }) => `${a.actor} ${a.action} ${a.target}`);
      expect(audit).to.include.members([`mod mute deleted-${dv.id}`, `chat-admin user.purge deleted-${dv.id}`]);
      const search = await alice.command('//search secret');
      expect(search.data.count).to.equal(0);
      // The name is gone: no login, no user.
      const again = await t.connect('dave');
      expect(await again.login('dave')).to.include({ type: 'error' });
      expect((await runBin('chat-admin', ['export', '--user', 'dave', '--db', t.world.db])).code).to.equal(1);
    });

    if (kind === 'sqlite') {
      it('purge on a terminal asks for the name: a wrong answer changes nothing, the right one erases', async () => {
        const wrong = Run.bin('chat-admin', ['purge', '--user', 'carol', '--db', t.world.db], { pty: true });
        await wrong.waitOut(/Type the user name to confirm: /);
        wrong.write('carl\r');
        expect(await wrong.exit()).to.equal(1);
        expect(wrong.out).to.match(/not confirmed; nothing changed/);
        expect(await t.world.store.getUser('carol')).to.not.equal(null);
        const right = Run.bin('chat-admin', ['purge', '--user', 'carol', '--db', t.world.db], { pty: true });
        await right.waitOut(/Type the user name to confirm: /);
        right.write('carol\r');
        expect(await right.exit()).to.equal(0);
        expect(right.out).to.match(/purged carol: 2 messages and \d+ DMs deleted/);
        expect(await t.world.store.getUser('carol')).to.equal(null);
      });
    }
  });
}
