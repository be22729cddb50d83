// Issue 20 fault 11: the invisible set is every Default_Ignorable_Code_Point and every format character
// (Cf), derived from the Unicode properties and checked here code point by code point over all of
// U+0000..U+10FFFF, not from a hand list that misses U+1D173 or U+FE0F.
import { expect } from 'chai';
import { ChatdError } from '../lib/errors.js';
import { checkText, sanitizeLines, sanitizeText } from '../lib/sanitize.js';
import { TestClient } from './helpers/client.js';
import { withChatd } from './helpers/chatd.js';

const INVISIBLE = /[\p{Default_Ignorable_Code_Point}\p{Cf}]/u;
const SET: string[] = [];
for (let cp = 0; cp <= 0x10ffff; cp++) {
  if (cp >= 0xd800 && cp <= 0xdfff) continue;
  const ch = String.fromCodePoint(cp);
  if (INVISIBLE.test(ch)) SET.push(ch);
}
const hex = (ch: string) => 'U+' + ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');

// The ones the issue found surviving, as listed there.
const FOUND = [
  ...range(0x1d173, 0x1d17a), ...range(0x1bca0, 0x1bca3), 0x13430, 0x110bd, ...range(0x180b, 0x180f), 0xfe0f,
].map((cp) => String.fromCodePoint(cp));
function range(a: number, b: number): number[] { return Array.from({ length: b - a + 1 }, (_, i) => a + i); }

function emptyText(input: string): boolean {
  try { checkText(input); return false; } catch (e) { return e instanceof ChatdError && e.code === 'EMPTY_TEXT'; }
}

describe('sanitize: the invisible set from Unicode properties', () => {
  it(`the property set is large and holds every character the issue found (${SET.length} code points)`, () => {
    expect(SET.length).to.be.above(4000);
    for (const ch of FOUND) expect(SET, hex(ch)).to.include(ch);
  });

  it('removes every code point of the set, alone, between letters, and in multi-line text', () => {
    const kept: string[] = [];
    for (const ch of SET) {
      if (sanitizeText(ch) !== '' || sanitizeText(`a${ch}b`) !== 'ab' || sanitizeText(`${ch}x${ch}`) !== 'x'
        || sanitizeLines(`a${ch}\nb${ch}`) !== 'a\nb') kept.push(hex(ch));
    }
    expect(kept).to.deep.equal([]);
  });

  it('a message made only of the characters the issue found is EMPTY_TEXT, and so is one of any of the set', () => {
    expect(emptyText(FOUND.join(''))).to.equal(true);
    for (const ch of FOUND) expect(emptyText(ch.repeat(3)), hex(ch)).to.equal(true);
    const notEmpty = SET.filter((ch) => !emptyText(`${ch} ${ch}`)).map(hex);
    expect(notEmpty).to.deep.equal([]);
  });

  it('zero-width joiners go, even inside emoji sequences; each emoji of the sequence stays', () => {
    expect(sanitizeText('\u{1f468}\u200d\u{1f469}\u200d\u{1f467}')).to.equal('\u{1f468}\u{1f469}\u{1f467}');
    expect(sanitizeText('\u{1f3f3}\ufe0f\u200d\u{1f308}')).to.equal('\u{1f3f3}\ufe0f\u{1f308}');
  });

  it('an emoji presentation selector (VS15/VS16) stays only right after an emoji, once; every other variation selector goes', () => {
    expect(sanitizeText('\u2764\ufe0f ok')).to.equal('\u2764\ufe0f ok');
    expect(sanitizeText('\u2764\ufe0e ok')).to.equal('\u2764\ufe0e ok');
    expect(sanitizeText('\u2764\ufe0f\ufe0f\ufe0f ok')).to.equal('\u2764\ufe0f ok'); // no invisible padding after an emoji
    expect(sanitizeText('a\ufe0fb \ufe0f x\ufe0e')).to.equal('ab  x');
    expect(sanitizeText('\u845b\u{e0100} \u845b\ufe00')).to.equal('\u845b \u845b');
    expect(sanitizeText('a1\ufe0fb 1\ufe0f\u20e3')).to.equal('a1b 1\u20e3'); // a keycap keeps its look without it
    expect(sanitizeText('\u2764[b]\ufe0f')).to.equal('\u2764'); // judged before markup goes: a tag cannot join them
    expect(sanitizeText('e\ufe0f\u0301')).to.equal('\u00e9'); // NFC after the removal
  });

  it('is idempotent on text mixing the set with emoji, marks and markup', () => {
    let seed = 0x5eed;
    const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const pool = ['\u2764', '\u{1f600}', '1', 'e', '\u0301', ' ', '[', ']', 'b', '\u{1f3fd}', '\ufe0f', '\ufe0e', '\u200d', '\u200b',
      '\u{1d173}', '\u{e0100}', '\u180b', '\u2028', '\t'];
    for (let n = 0; n < 3000; n++) {
      let s = '';
      for (let len = 1 + Math.floor(random() * 16); len > 0; len--) s += pool[Math.floor(random() * pool.length)];
      const once = sanitizeText(s);
      expect(sanitizeText(once), JSON.stringify(s)).to.equal(once);
      expect(once.normalize('NFC'), JSON.stringify(s)).to.equal(once);
    }
  });
});

describe('e2e: a message of invisible characters only', function () {
  this.timeout(30000);
  const t = withChatd();

  it('is refused with EMPTY_TEXT and never broadcast', async () => {
    const alice = await TestClient.loggedIn(t.port, t.world.certs, 'alice');
    const bob = await TestClient.loggedIn(t.port, t.world.certs, 'bob');
    expect((await alice.say(FOUND.join(''))).code).to.equal('EMPTY_TEXT');
    expect((await alice.say('visible \u{1d173}after')).text).to.equal('visible after');
    const seen = await bob.waitFor((f) => f.type === 'message' && f.from?.name === 'alice');
    expect(seen.text).to.equal('visible after');
    alice.close();
    bob.close();
  });
});
