// The seed's whole story, through the real binaries: the owner creates users with chat-admin, two
// users chat over mutual TLS with role-colored names, a moderator lists users and connections,
// bans one for 10 minutes, banned-users shows it, the banned one cannot log in, unban lets them back.
import { expect } from 'chai';
import type { ChildProcess } from 'node:child_process';
import { runBin, startBin, exited } from '../helpers/bin.js';
import { openStore } from '../../lib/store/index.js';
import { TestClient } from '../helpers/client.js';
import { auditLog, dbKinds, freshDb, sharedCerts } from '../helpers/world.js';

for (const kind of dbKinds()) {
  describe(`the whole story on ${kind}`, function () {
    this.timeout(60000);
    let db: { url: string; drop(): Promise<void> };
    let certs: string;
    let chatd: ChildProcess;
    let port: number;
    const pw = { alice: 'Alice-story-1', bob: 'Bob-story-1', mod: 'Mod-story-1' };

    before(async () => {
      certs = await sharedCerts();
      db = await freshDb(kind);
      expect((await runBin('chat-migrate', ['latest', '--db', db.url])).code).to.equal(0);
      for (const [name, role] of [['alice', 'user'], ['bob', 'user'], ['mod', 'moderator']] as const) {
        const r = await runBin('chat-admin', ['user', 'add', name, '--role', role, '--password-stdin', '--db', db.url], { input: pw[name] + '\n' });
        expect(r.code, r.err).to.equal(0);
      }
      chatd = await startBin('chatd', ['--cert', `${certs}/server.crt`, '--key', `${certs}/server.key`, '--ca', `${certs}/ca.crt`, '--db', db.url, '--port', '0']);
      port = Number(/listening on [\d.]+:(\d+)/.exec((chatd as ChildProcess & { output(): string }).output())![1]);
    });
    after(async () => {
      chatd?.kill('SIGTERM');
      if (chatd) await exited(chatd);
      await db?.drop();
    });

    it('plays out', async () => {
      const alice = await TestClient.connect(port, certs, 'alice');
      expect((await alice.login('alice', pw.alice)).user).to.deep.equal({ name: 'alice', role: 'user', level: 1, color: 'cyan' });
      const bob = await TestClient.connect(port, certs, 'bob');
      await bob.login('bob', pw.bob);
      const mod = await TestClient.connect(port, certs, 'mod');
      await mod.login('mod', pw.mod);

      await alice.say('hi bob');
      const m = await bob.waitFor((f) => f.type === 'message' && f.text === 'hi bob');
      expect(m.from).to.deep.equal({ name: 'alice', role: 'user', color: 'cyan' });
      await mod.say('keep it civil');
      const m2 = await alice.waitFor((f) => f.type === 'message' && f.text === 'keep it civil');
      expect(m2.from).to.deep.equal({ name: 'mod', role: 'moderator', color: 'yellow' });

      const users = await mod.command('//users');
      for (const u of ['alice', 'bob', 'mod']) expect(users.text).to.match(new RegExp(`^${u}\\s`, 'm'));
      const conns = await mod.command('//connections');
      expect(conns.data).to.have.length(3);
      expect(conns.text).to.match(/127\.0\.0\.1/);

      const ban = await mod.command('//ban bob 10m spamming');
      expect(ban.type).to.equal('result');
      const bye = await bob.waitFor((f) => f.type === 'bye');
      expect(bye.code).to.equal('BANNED');
      await bob.waitClosed();
      const ev = await alice.waitFor((f) => f.type === 'event' && f.event === 'ban');
      expect(ev).to.include({ user: 'bob', by: 'mod', reason: 'spamming' });

      const listed = await mod.command('//banned-users');
      expect(listed.text).to.match(/^bob\s+spamming\s+mod\s/m);

      const again = await TestClient.connect(port, certs, 'bob');
      const refused = await again.login('bob', pw.bob);
      expect(refused.code).to.equal('BANNED');
      expect(refused.message).to.match(/spamming/).and.match(/expires in .+ \((\d{4}-\d\d-\d\d )?\d\d:\d\d UTC\)$/);
      again.close();

      expect((await mod.command('//unban bob')).type).to.equal('result');
      const back = await TestClient.connect(port, certs, 'bob');
      expect((await back.login('bob', pw.bob)).type).to.equal('login_ok');

      const bans = await runBin('chat-admin', ['ban', 'list', '--db', db.url]);
      expect(bans.out).to.not.match(/^bob/m);
      const store = await openStore(db.url);
      try {
        const audit = await auditLog(store, 20);
        expect(audit.find((a) => a.action === 'ban')).to.include({ actor: 'mod', target: 'bob', detail: '10m spamming' });
        expect(audit.find((a) => a.action === 'unban')).to.include({ actor: 'mod', target: 'bob' });
      } finally { await store.close(); }
      for (const c of [alice, mod, back]) c.close();
    });
  });
}
