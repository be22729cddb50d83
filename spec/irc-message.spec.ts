// The IRC line codec (lib/irc/message.ts): RFC 1459/2812 with IRCv3 message-tags.
import { expect } from 'chai';
import { escapeTag, ircLine, overLimit, parseIrc } from '../lib/irc/message.js';
import { renderIrc } from '../lib/irc/render.js';
import { Outgoing } from '../lib/protocol/outgoing.js';

describe('IRC messages', () => {
  it('parses tags (escaped values), prefix, command (upper-cased), middle and trailing parameters', () => {
    const m = parseIrc('@time=2026-01-01T00:00:00Z;+x=a\\sb\\:c\\\\d;flag :nick!u@h privmsg #lobby :hello  there ');
    expect(m).to.deep.equal({
      tags: new Map([['time', '2026-01-01T00:00:00Z'], ['+x', 'a b;c\\d'], ['flag', '']]),
      prefix: 'nick!u@h', command: 'PRIVMSG', params: ['#lobby', 'hello  there '],
    });
    expect(parseIrc('NICK   alice')).to.deep.include({ command: 'NICK', params: ['alice'] });
    expect(parseIrc('USER a 0 * :Real Name')!.params).to.deep.equal(['a', '0', '*', 'Real Name']);
    expect(parseIrc('TOPIC #x :')!.params).to.deep.equal(['#x', '']);
    for (const blank of ['', '   ', '@a=b', ':prefix', '@a=b :prefix']) expect(parseIrc(blank)).to.equal(null);
  });

  it('writes one line whatever the parameters hold: no CR, LF or NUL gets through', () => {
    expect(ircLine('srv', 'NOTICE', ['bob', 'a\r\nQUIT :x\0'])).to.equal(':srv NOTICE bob :a  QUIT :x \r\n');
    expect(ircLine(null, 'JOIN', ['#a'], undefined, false)).to.equal('JOIN #a\r\n');
    expect(ircLine('s', '324', ['me', '#a', '+nt'], 'time=x', false)).to.equal('@time=x :s 324 me #a +nt\r\n');
    expect(ircLine('s', 'X', ['a b', 'c'])).to.equal(':s X a_b :c\r\n');
    expect(escapeTag('a b;c\\')).to.equal('a\\sb\\:c\\\\');
  });

  it('knows the limits: 510 bytes of body, 4,096 of client tags', () => {
    expect(overLimit('PRIVMSG #a :' + 'x'.repeat(498))).to.equal(false);
    expect(overLimit('PRIVMSG #a :' + 'x'.repeat(499))).to.equal(true);
    expect(overLimit('@+t=' + 'y'.repeat(4000) + ' PING :x')).to.equal(false);
    expect(overLimit('@+t=' + 'y'.repeat(5000) + ' PING :x')).to.equal(true);
  });

  it('renders a room message once, with or without tags; CTCP ACTION for me', () => {
    const from = { name: 'bob', role: 'user', color: 'cyan' };
    const f = { type: 'message' as const, id: 'm1', ts: '2026-01-01T00:00:00.000Z', room: 'lobby', from, text: 'waves', kind: 'me' as const };
    expect(renderIrc(f, false)).to.equal(':bob!bob@chatd PRIVMSG #lobby :\x01ACTION waves\x01\r\n');
    expect(renderIrc(f, true)).to.equal('@time=2026-01-01T00:00:00.000Z;msgid=m1 :bob!bob@chatd PRIVMSG #lobby :\x01ACTION waves\x01\r\n');
    expect(renderIrc({ type: 'event', event: 'ban', room: 'lobby', user: 'eve', by: 'mod', reason: 'spam', ts: 'x' }, false))
      .to.equal(':chatd NOTICE #lobby :eve was banned by mod: spam\r\n');
    // Encoded once per frame and variant, shared by every IRC session of the room.
    const out = new Outgoing(f);
    expect(out.irc(true)).to.equal(out.irc(true));
    expect(out.irc(false)).to.equal(out.irc(false));
    expect(out.irc(true)!.toString()).to.equal(renderIrc(f, true));
  });

  // A chatd message holds up to 2,000 code points (~8 KB of UTF-8); an IRC line 512 bytes, tags aside.
  // Clients that keep to the limit cut a longer line or drop it: it is sent as several lines instead.
  it('splits a message longer than an IRC line into lines of at most 512 bytes (tags aside), at spaces where it can, losing nothing', () => {
    const from = { name: 'bob', role: 'user', color: 'cyan' };
    const words = Array.from({ length: 400 }, (_, i) => `w\u00e9rd${i}`).join(' '); // ~3.6 KB, two-byte é in each word
    for (const kind of ['say', 'me'] as const) {
      const f = { type: 'message' as const, id: 'm1', ts: '2026-01-01T00:00:00.000Z', room: 'lobby', from, text: words, kind };
      for (const withTags of [false, true]) {
        const lines = renderIrc(f, withTags)!.split('\r\n').slice(0, -1);
        expect(lines.length, `${kind} ${withTags}`).to.be.greaterThan(6);
        const bodies = lines.map((l) => {
          const m = parseIrc(l)!;
          expect(Buffer.byteLength(l.replace(/^@\S+ /, '') + '\r\n'), l.slice(0, 60)).to.be.at.most(512);
          expect(m.params[0]).to.equal('#lobby');
          const t = m.params[1]!;
          return kind === 'me' ? (expect(t).to.match(/^\x01ACTION .*\x01$/), t.slice(8, -1)) : t;
        });
        expect(bodies.join(' ')).to.equal(words);
        if (withTags) expect(new Set(lines.map((l) => /msgid=([^; ]+)/.exec(l)![1])).size).to.equal(lines.length); // each line its own id
      }
    }
    // A DM, and a word longer than a line (cut between code points, never inside one).
    const long = '\u{1F600}'.repeat(300);
    const dm = { type: 'dm' as const, id: 'd1', ts: '2026-01-01T00:00:00.000Z', from, to: 'alice', text: long };
    const lines = renderIrc(dm, false)!.split('\r\n').slice(0, -1);
    expect(lines.length).to.be.greaterThan(1);
    for (const l of lines) expect(Buffer.byteLength(l + '\r\n')).to.be.at.most(512);
    expect(lines.map((l) => parseIrc(l)!.params[1]).join('')).to.equal(long);
    // Short ones stay one line, as before.
    expect(renderIrc({ ...dm, text: 'hi' }, false)).to.equal(':bob!bob@chatd PRIVMSG alice :hi\r\n');
  });
});
