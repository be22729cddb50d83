// Searches on MariaDB from a quiet room: the newest-rows windows find nothing there, so every such
// search asks the FULLTEXT index, which produces every match of the words in the database before
// the room filter (a second and more per search on a large database). The pool has 10 connections for
// all of chatd (logins, history writes, polls): one session's burst of searches must not take them.
import { expect } from 'chai';
import { withChatd } from '../helpers/chatd.js';
import type { Frame } from '../helpers/client.js';
import type { MessageFrame } from '../../lib/protocol/frames.js';

const ROWS = 40_000;

describe('e2e: a burst of searches on mysql', function () {
  this.timeout(120000);
  const t = withChatd({ kind: 'mysql', config: { limits: { floodBurst: 100, floodRate: 100 } } });

  it('holds at most 2 of the pool\'s connections, however many sessions search at once', async () => {
    const t0 = Date.now() - ROWS;
    for (let b = 0; b < ROWS; b += 5000) {
      const rows = [];
      for (let i = b; i < b + 5000; i++) {
        const frame: MessageFrame = { type: 'message', id: `busy${i}`, ts: new Date(t0 + i).toISOString(), room: 'busy',
          from: { name: 'alice', role: 'user', color: 'cyan' }, text: `hello world number ${i % 97} again`, kind: 'say' };
        rows.push({ senderId: null, frame });
      }
      await t.world.store.insertMessages(rows);
    }
    // Counts the search statements running at once, at the store every command goes through.
    const direct = (t.chatd.store as unknown as { direct: { all(sql: string, p: unknown[]): Promise<unknown[]> } }).direct;
    const all = direct.all.bind(direct);
    let running = 0;
    let most = 0;
    direct.all = async (sql, p) => {
      if (!/match\(m\.text\)|from messages m where m\.seq >/.test(sql)) return all(sql, p);
      most = Math.max(most, ++running);
      try { return await all(sql, p); } finally { running--; }
    };
    try {
      // A session runs its commands one after another; its user may hold several sessions, and a
      // few accounts are enough for more searches at once than the pool has connections.
      const sessions = [];
      for (const user of ['alice', 'bob', 'carol']) {
        for (let i = 0; i < 4; i++) {
          const c = await t.login(user);
          expect((await c.command('//join quiet')).type).to.equal('result');
          expect((await c.command('//part lobby')).type).to.equal('result');
          sessions.push(c);
        }
      }
      sessions.forEach((c, i) => c.send({ type: 'say', text: '//search hello world', id: `burst${i}` }));
      const answers: Frame[] = [];
      for (const [i, c] of sessions.entries()) {
        answers.push(await c.waitFor((f) => (f.type === 'result' || f.type === 'error') && f.id === `burst${i}`, 30000, `answer ${i}`));
      }
      // Each gets an answer: its matches (none in #quiet), or SERVICE_UNAVAILABLE when too many wait.
      for (const a of answers) {
        if (a.type === 'result') expect(a.data.count).to.equal(0);
        else expect(a.code, JSON.stringify(a)).to.equal('SERVICE_UNAVAILABLE');
      }
      expect(answers.filter((a) => a.type === 'result').length).to.be.at.least(2);
      expect(most, 'search statements at once').to.be.at.most(2);
    } finally {
      direct.all = all;
    }
  });
});
