// Searches on MariaDB check the newest rows before asking the FULLTEXT index (lib/store/lifecycle.ts).
// That check ran in chatd: every row of the newest 2,000 and then 20,000 of the session's rooms came
// over the wire and was tokenized on the event loop, whatever it held. Long messages (2,000
// characters, ~8 KB each in a script of 3-byte characters) made one //search of a word they did not
// contain hold the event loop for seconds (measured: 4 s over 22,000 such rows), chat and logins
// with it, for any user. Now the database picks the candidates (every word as a substring, with the
// column's own collation) and hands over at most a few hundred.
import { expect } from 'chai';
import { withChatd } from '../helpers/chatd.js';
import type { Frame } from '../helpers/client.js';
import type { MessageFrame } from '../../lib/protocol/frames.js';

const LONG = 3_000;

describe('e2e: search on mysql over long messages', function () {
  this.timeout(120000);
  const t = withChatd({ kind: 'mysql', logLevel: 'error' });

  it('hands chatd only candidate rows of the newest ones, not every row, and still finds the matches', async () => {
    const t0 = Date.now() - LONG - 10;
    const frame = (i: number, text: string): MessageFrame => ({ type: 'message', id: `w${i}`, ts: new Date(t0 + i).toISOString(), room: 'lobby',
      from: { name: 'bob', role: 'user', color: 'cyan' }, text, kind: 'say' });
    const older = [0, 1, 2].map((i) => ({ senderId: null, frame: frame(i, `deploy number ${i} went fine`) }));
    await t.world.store.insertMessages(older);
    const filler = 'redeployment of the service '.repeat(70).slice(0, 1900);
    for (let b = 0; b < LONG; b += 500) {
      await t.world.store.insertMessages(Array.from({ length: 500 }, (_, j) => ({ senderId: null, frame: frame(10 + b + j, `${filler} ${b + j}`) })));
    }
    const direct = (t.chatd.store as unknown as { direct: { all(sql: string, p: unknown[]): Promise<unknown[]> } }).direct;
    const all = direct.all.bind(direct);
    let rows = 0;
    direct.all = async (sql, p) => {
      const r = await all(sql, p);
      if (/from messages m/.test(sql)) rows += r.length;
      return r;
    };
    const alice = await t.login('alice');
    const answer = await alice.command('//search deploy');
    expect(answer.type).to.equal('result');
    const matches = await alice.waitFor((f) => f.type === 'history' && f.search === true, 5000, 'search matches');
    expect(matches.messages.map((m: Frame) => m.text)).to.deep.equal(['deploy number 2 went fine', 'deploy number 1 went fine', 'deploy number 0 went fine']);
    expect(rows, 'rows read into chatd for one search').to.be.at.most(500);
  });
});
