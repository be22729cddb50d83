// Review of the IRC front door: list commands are bounded before the work they cause.
import { expect } from 'chai';
import { withChatd } from '../helpers/chatd.js';
import { ircRegistrar } from '../helpers/irc.js';

describe('IRC front door: list commands bounded', function () {
  this.timeout(20000);
  const t = withChatd({ config: { ircPort: 0 } });
  const reg = ircRegistrar(t);

  it('NAMES reads at most 10 channels per line, each once (a presence read each, as JOIN is capped)', async () => {
    const r = await reg('alice');
    const many = Array.from({ length: 12 }, (_, i) => `#n${i}`);
    r.send(`NAMES ${['#n0', '#n0', ...many].join(',')}`, 'PING :after-names');
    await r.line(/PONG chatd :after-names/);
    const ends = r.lines.filter((l) => / 366 alice #n\d+ /.test(l)).map((l) => / (#n\d+) /.exec(l)![1]);
    expect(ends).to.deep.equal(many.slice(0, 10));
  });

  it('a long NOTICE is split between characters: an emoji is never cut in half (no U+FFFD)', async () => {
    const r = await reg('bob');
    // Four lead lengths: one of them puts a 400-byte cut between the halves of a surrogate pair.
    const texts = ['a', 'ab', 'abc', 'abcd'].map((lead) => lead + '\u{1F600}'.repeat(110));
    for (const text of texts) r.send(`PRIVMSG #lobby :${text}`);
    r.send('PRIVMSG #lobby ://history 4', 'PING :after-history');
    await r.line(/PONG chatd :after-history/);
    const notices = r.lines.filter((l) => / NOTICE bob :/.test(l)).map((l) => l.slice(l.indexOf(' :') + 2));
    expect(notices.length).to.be.greaterThan(4);
    expect(notices.filter((n) => n.includes('\uFFFD'))).to.deep.equal([]);
    expect(notices.join('').match(/\u{1F600}/gu)?.length).to.equal(4 * 110);
  });

  it('AWAY takes what //away takes: 200 characters, an emoji counting one and never cut in half', async () => {
    const r = await reg('carol');
    const text = 'a'.repeat(199) + '\u{1F600}'; // 200 code points, 201 UTF-16 units
    r.send(`AWAY :${text}`);
    await r.line(/ 306 carol :/);
    r.send('WHOIS carol');
    const away = await r.line(/ 301 carol carol :/);
    expect(away.slice(away.indexOf(' :') + 2)).to.equal(text);
    r.send(`AWAY :${text}b`);
    await r.line(/ NOTICE carol :TEXT_TOO_LONG: /);
  });
});
