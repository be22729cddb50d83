// Issue 15: `search` end to end, on SQLite and (with CHATD_TEST_MYSQL) MariaDB: real chatd, real TLS
// clients. The result (the match count) first, then the matches as a history frame with search: true.
import { expect } from 'chai';
import { withChatd } from '../helpers/chatd.js';
import type { Frame, TestClient } from '../helpers/client.js';
import { flags, pw, runCli } from '../helpers/cli-run.js';

for (const kind of ['sqlite', 'mysql'] as const) {
  describe(`e2e: search on ${kind}`, function () {
    this.timeout(30000);
    const t = withChatd({ kind, logLevel: 'error', config: { limits: { floodBurst: 1000, floodRate: 1000 } } });

    /** The one answer and, for a result, the history of matches that follows it. */
    async function search(c: TestClient, line: string): Promise<{ answer: Frame; matches?: Frame }> {
      const answer = await c.command(line);
      if (answer.type !== 'result') return { answer };
      const matches = await c.waitFor((f) => f.type === 'history' && f.search === true, 5000, 'search matches');
      return { answer, matches };
    }
    const persisted = () => t.chatd.node.history.drain(5000);

    it('finds every word, newest first, and answers result then history', async () => {
      const alice = await t.login('alice');
      const bob = await t.login('bob');
      await alice.say('the deploy starts at noon');
      await bob.say('deploy postponed, sorry');
      await alice.say('lunch anyone?');
      await bob.say('Deploy is done');
      expect(await persisted()).to.equal(true);
      const id = 'q1';
      alice.send({ type: 'say', text: '//search deploy', id });
      // The order on the wire: the result (with the id), then the matches.
      const first = await alice.waitFor((f) => (f.type === 'result' && f.id === id) || (f.type === 'history' && f.search === true));
      expect(first.type).to.equal('result');
      expect(first).to.deep.include({ command: 'search' });
      expect(first.data).to.deep.include({ count: 3, words: ['deploy'], rooms: ['lobby'] });
      expect(first.text).to.match(/^3 matches for "deploy" in 1 room/);
      const matches = await alice.waitFor((f) => f.type === 'history' && f.search === true);
      expect(matches.messages.map((m: Frame) => m.text)).to.deep.equal(['Deploy is done', 'deploy postponed, sorry', 'the deploy starts at noon']);
      expect(matches.messages[0]).to.deep.include({ type: 'message', room: 'lobby', kind: 'say' });
      expect(matches.messages[0].from).to.deep.equal({ name: 'bob', role: 'user', color: 'cyan' });

      const two = await search(alice, '//search deploy from:bob 1');
      expect(two.answer.data).to.deep.include({ count: 1, from: 'bob', limit: 1 });
      expect(two.matches!.messages.map((m: Frame) => m.text)).to.deep.equal(['Deploy is done']);
      const none = await search(alice, '//search zebra');
      expect(none.answer.text).to.match(/^no matches/);
      expect(none.matches!.messages).to.deep.equal([]);
    });

    it('searches only the rooms the session is in', async () => {
      const bob = await t.login('bob');
      const carol = await t.login('carol');
      expect((await bob.command('//join #vault')).type).to.equal('result');
      await bob.say('the combination is swordfish', 'vault');
      await carol.say('swordfish for dinner');
      expect(await persisted()).to.equal(true);
      const outside = await search(carol, '//search swordfish');
      expect(outside.matches!.messages.map((m: Frame) => m.room)).to.deep.equal(['lobby']);
      const asked = await search(carol, '//search swordfish in:#vault');
      expect(asked.answer).to.include({ type: 'error', code: 'NO_SUCH_ROOM' });
      expect((await carol.command('//join vault')).type).to.equal('result');
      const inside = await search(carol, '//search swordfish in:#vault');
      expect(inside.matches!.messages.map((m: Frame) => m.text)).to.deep.equal(['the combination is swordfish']);
      expect(inside.matches!.room).to.equal('vault');
      const both = await search(carol, '//search swordfish');
      expect(both.answer.data.count).to.equal(2);
    });

    it('answers hostile queries with a result or BAD_ARGS, never a database error', async () => {
      const dave = await t.login('dave');
      await dave.say('quoted "words" and stars * here');
      expect(await persisted()).to.equal(true);
      const lines = [
        '"', '"quoted', 'quoted"', '*', 'sta*', '"*"', "' or 1=1 --", 'NEAR(quoted stars)', 'quoted OR stars', 'quoted NOT stars',
        '-quoted', '+quoted', '(quoted', 'quoted)', '{quoted}', '^quoted', 'text:quoted', 'messages_fts:quoted', '\\', '%', '_', '@@',
        'quoted;drop table messages', 'in:#lobby', 'from:nobody', 'n:0', 'n:999', 'in:###', 'x'.repeat(3000),
        Array.from({ length: 400 }, (_, i) => `w${i}`).join(' '), 'quoted\u001b[31mstars', 'quoted 0', 'quoted 51',
      ];
      for (const line of lines) {
        const { answer, matches } = await search(dave, `//search ${line}`);
        if (answer.type === 'error') expect(answer.code, line.slice(0, 40)).to.equal('BAD_ARGS');
        else expect(matches!.messages, line.slice(0, 40)).to.be.an('array');
      }
      const quoted = await search(dave, '//search "quoted');
      expect(quoted.matches!.messages.map((m: Frame) => m.text)).to.deep.equal(['quoted "words" and stars * here']);
      expect(t.logs.filter((l) => /"level":"error"/.test(l))).to.deep.equal([]);
    });

    it('matches words as the engines index them: Turkish İ, Cherokee, Devanagari, snake_case', async () => {
      // The words reach the engine as typed (NFC), and its tokenizer folds them as it folded the
      // text: lowercased by JavaScript's newer Unicode tables (İ → i + U+0307, Cherokee to its
      // lowercase block) or cut at combining marks and `_`, no stored word matched.
      const erin = await t.login('alice');
      const texts = ['İstanbul trip planned', 'ᏣᎳᎩ ᎦᏬᏂᎯᏍᏗ lessons', 'नमस्ते दुनिया', 'see config_path please'];
      for (const text of texts) await erin.say(text);
      expect(await persisted()).to.equal(true);
      for (const [query, text] of [['İstanbul', texts[0]], ['ISTANBUL', texts[0]], ['ᏣᎳᎩ', texts[1]], ['नमस्ते', texts[2]], ['config_path', texts[3]]]) {
        const { answer, matches } = await search(erin, `//search ${query}`);
        expect(answer.type, query).to.equal('result');
        expect(matches!.messages.map((m: Frame) => m.text), query).to.deep.equal([text]);
      }
    });

    it('sanitizes what it returns, also rows that were stored unsanitized', async () => {
      const erin = await t.login('alice');
      await t.world.store.insertMessages([{ senderId: null, frame: {
        type: 'message', id: 'raw1', ts: new Date().toISOString(), room: 'lobby', from: { name: 'mallory', role: 'user', color: 'cyan' },
        text: 'payload \u001b]0;owned\u0007 \u001b[2J[red]trojan[/red] \u202espoof', kind: 'say',
      } }]);
      const { matches } = await search(erin, '//search trojan');
      expect(matches!.messages[0].text).to.equal('payload  trojan spoof');
    });

    if (kind === 'sqlite') {
      it('chat-cli --send prints the result and then the matches like history lines', async () => {
        const bob = await t.login('bob');
        await bob.say('rendering check kumquat');
        expect(await persisted()).to.equal(true);
        const r = await runCli([...flags(t.world.certs, t.port, 'bob'), '--send', '//search kumquat'], { env: pw('bob') });
        expect(r.code, r.err).to.equal(0);
        expect(r.out).to.match(/^1 match for "kumquat" in 1 room\n\d\d:\d\d:\d\d #lobby bob: rendering check kumquat\n$/);
      });
    }
  });
}
