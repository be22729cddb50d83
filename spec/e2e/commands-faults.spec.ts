// The command path: every command answers once with its id, also when the database fails; bans and
// mutes of higher levels hold; muted staff stay silent; a command is never broadcast.
import { expect } from 'chai';
import { ADMIN_ACTOR } from '../../lib/auth/policy.js';
import { withChatd } from '../helpers/chatd.js';
import { USERS } from '../helpers/world.js';

describe('e2e: command faults', function () {
  // A fresh world for every test: they break the database, ban and mute.
  const srv = withChatd({ each: true });
  const login = (u: string) => srv.login(u);

  describe('a failing database', () => {
    it('every command gets exactly one answer echoing its id: SERVICE_UNAVAILABLE for store failures', async () => {
      const mod = await login('mod');
      // The server's own connection pool goes away: every store call of the node rejects.
      await srv.chatd.node.store.knex.destroy();
      for (const line of ['//ban bob 10m', '//unban bob', '//whois alice', '//banned-users', '//mute bob', '//topic new topic']) {
        const r = await mod.command(line);
        expect(r, line).to.include({ type: 'error', code: 'SERVICE_UNAVAILABLE' });
      }
      const h = await mod.command('//history 5');
      expect(['result', 'error'], '//history').to.include(h.type);
      // Nothing answered without an id.
      expect(mod.frames.filter((f) => f.type === 'error' && f.id === undefined)).to.deep.equal([]);
    });
  });

  describe('bans and mutes set by a higher level', () => {
    it('a moderator can neither replace nor lift the owner\'s permanent ban', async () => {
      const owner = await login('owner');
      const mod = await login('mod');
      expect((await owner.command('//ban bob perm spam')).type).to.equal('result');
      expect(await mod.command('//ban bob 30s')).to.include({ type: 'error', code: 'FORBIDDEN' });
      expect(await mod.command('//unban bob')).to.include({ type: 'error', code: 'FORBIDDEN' });
      const bans = await srv.world.store.listActiveBans();
      expect(bans.filter((b) => b.username === 'bob').map((b) => [b.by, b.expiresAt])).to.deep.equal([['owner', null]]);
      // The owner still may.
      expect((await owner.command('//unban bob')).type).to.equal('result');
    });

    it('a ban of chat-admin counts as owner-level', async () => {
      const bob = await srv.world.store.getUser('bob');
      await srv.world.store.addBan({ userId: bob!.id, username: 'bob', ip: null, certFingerprint: null, reason: 'x', by: ADMIN_ACTOR, expiresAt: null });
      const mod = await login('mod');
      expect(await mod.command('//unban bob')).to.include({ type: 'error', code: 'FORBIDDEN' });
      expect(await mod.command('//ban bob 30s')).to.include({ type: 'error', code: 'FORBIDDEN' });
      const owner = await login('owner');
      expect((await owner.command('//unban bob')).type).to.equal('result');
    });

    it('a moderator\'s ban may be replaced and lifted by another moderator', async () => {
      const mod = await login('mod');
      const ali = await login('ali');
      expect((await mod.command('//ban bob 10m')).type).to.equal('result');
      expect((await ali.command('//ban bob 1h')).type).to.equal('result');
      expect((await mod.command('//unban bob')).type).to.equal('result');
    });

    it('a moderator can neither replace nor lift the owner\'s mute', async () => {
      const owner = await login('owner');
      const mod = await login('mod');
      expect((await owner.command('//mute bob perm')).type).to.equal('result');
      expect(await mod.command('//mute bob 30s')).to.include({ type: 'error', code: 'FORBIDDEN' });
      expect(await mod.command('//unmute bob')).to.include({ type: 'error', code: 'FORBIDDEN' });
      const mutes = await srv.world.store.activeMutes();
      expect(mutes.filter((m) => m.username === 'bob').map((m) => [m.by, m.until])).to.deep.equal([['owner', null]]);
      expect((await owner.command('//unmute bob')).type).to.equal('result');
    });
  });

  describe('muted staff', () => {
    it('a muted moderator cannot set the topic, a muted admin cannot announce', async () => {
      const owner = await login('owner');
      const mod = await login('mod');
      const boss = await login('boss');
      expect((await owner.command('//mute mod')).type).to.equal('result');
      expect((await owner.command('//mute boss')).type).to.equal('result');
      expect(await mod.command('//topic muted words')).to.include({ type: 'error', code: 'MUTED' });
      expect(await boss.command('//announce muted words')).to.include({ type: 'error', code: 'MUTED' });
      // Viewing the topic is no broadcast.
      expect((await mod.command('//topic')).type).to.equal('result');
      expect(srv.chatd.node.topicOf('lobby')).to.equal('');
      expect(owner.frames.filter((f) => f.type === 'event' && ['topic', 'announce'].includes(f.event))).to.deep.equal([]);
    });
  });

  describe('commands with leading whitespace or invisible characters', () => {
    const lines = [' //passwd wrong-old-pass new-pass-1234', '\u200B//passwd wrong-old-pass new-pass-1234', '\t\u2060 //whoami', '\u001b[31m//whoami'];

    it('JSON say: run as commands, never broadcast', async () => {
      const alice = await login('alice');
      const bob = await login('bob');
      for (const line of lines) {
        const r = await alice.command(line);
        expect(['result', 'error'], JSON.stringify(line)).to.include(r.type);
        if (/passwd/.test(line)) expect(r.code, JSON.stringify(line)).to.equal('AUTH_FAILED');
        else expect(r).to.include({ type: 'result', command: 'whoami' });
      }
      await alice.say('marker after');
      await bob.waitFor((f) => f.type === 'message' && f.text === 'marker after');
      expect(bob.text).to.not.match(/passwd|whoami|wrong-old-pass/);
      const stored = await srv.world.store.history('lobby', 50);
      expect(stored.map((m) => m.text).join('\n')).to.not.match(/passwd|whoami/);
    });

    it('text mode: run as commands, never broadcast', async () => {
      const bob = await login('bob');
      const t = await srv.connect('alice', { alpn: false });
      await t.waitText(/login: $/);
      t.send('alice');
      await t.waitText(/password: $/);
      t.send(USERS.alice.password);
      await t.waitText(/logged in as/);
      const from = t.text.length;
      t.send('   //passwd wrong-old-pass new-pass-1234');
      await t.waitText(/AUTH_FAILED/, 5000, from);
      t.send('\u200B //whoami');
      await t.waitText(/alice \(user, level 1\) session/, 5000, from);
      t.send('marker after');
      await bob.waitFor((f) => f.type === 'message' && f.text === 'marker after');
      expect(bob.text).to.not.match(/passwd|whoami|wrong-old-pass/);
    });
  });
});
