// "Zalgo": combining marks stacked hundreds deep on one character. A terminal draws them above and
// below the cell, over the lines around it (VTE, kitty, most GUI clients), so one message could paint
// over the screen of everyone in the room. The sanitizer keeps at most MAX_MARKS in a row (after NFC,
// which folds the usual accents into precomposed letters), which every real script fits in.
import { expect } from 'chai';
import { MAX_MARKS, sanitizeLines, sanitizeText } from '../lib/sanitize.js';
import { withChatd } from './helpers/chatd.js';

const ABOVE = ['\u030d', '\u030e', '\u0304', '\u0305', '\u033f', '\u0311', '\u0306', '\u0310', '\u0352', '\u0357', '\u0351', '\u0307'];
const BELOW = ['\u0316', '\u0317', '\u0318', '\u0319', '\u031c', '\u031d', '\u031e', '\u031f', '\u0320', '\u0324', '\u0325', '\u0326'];
const zalgo = (base: string, n: number): string => base + Array.from({ length: n }, (_, i) => (i % 2 ? ABOVE : BELOW)[i % 12]).join('');
const MARKS = /\p{M}+/gu;
const longestRun = (s: string): number => Math.max(0, ...(s.match(MARKS) ?? []).map((m) => [...m].length));

describe('sanitize: combining marks stacked deep (Zalgo)', () => {
  it(`keeps at most ${MAX_MARKS} marks in a row, the first ones, on every character`, () => {
    expect(MAX_MARKS).to.be.within(3, 8);
    const out = sanitizeText(`${zalgo('h', 500)}${zalgo('i', 40)} ${zalgo('!', 9)}`);
    expect(longestRun(out)).to.equal(MAX_MARKS);
    expect(out.replace(MARKS, '')).to.equal('hi !');
    expect([...out.split(' ')[0]!].slice(1, 1 + MAX_MARKS).join('')).to.equal(zalgo('h', 500).normalize('NFC').slice(1, 1 + MAX_MARKS));
    // The whole text is no longer a line that grows without bound: 2,000 code points of marks on one letter.
    expect([...sanitizeText(zalgo('x', 1999))].length).to.equal(1 + MAX_MARKS);
    // Marks with nothing before them count as a run too, and so do runs joined by what the sanitizer removes.
    expect(longestRun(sanitizeText(zalgo('', 30)))).to.equal(MAX_MARKS);
    expect(longestRun(sanitizeText(`a${'\u0301\u200b'.repeat(20)}`))).to.be.at.most(MAX_MARKS);
    expect(longestRun(sanitizeText(`a${'\u0316[b]'.repeat(20)}`))).to.be.at.most(MAX_MARKS);
    expect(longestRun(sanitizeLines(`title\n${zalgo('a', 50)}`))).to.equal(MAX_MARKS);
  });

  it('leaves real text alone: accents, Vietnamese, Hindi, Thai, Tibetan, pointed Hebrew, Arabic, keycaps', () => {
    for (const s of ['cafe\u0301', 'Vi\u1ec7t Nam ti\u00ea\u0301ng', '\u0939\u093f\u0928\u094d\u0926\u0940', '\u0e01\u0e34\u0e48\u0e07',
      '\u0f66\u0f90\u0fb1\u0f7c', '\u05d1\u05bc\u05b0\u0596', '\u0645\u064f\u062d\u064e\u0645\u0651\u064e\u062f', '1\u20e3', 'e\u0301\u0302\u0323']) {
      expect(sanitizeText(s), JSON.stringify(s)).to.equal(s.normalize('NFC'));
    }
  });

  it('stays idempotent and NFC when the cap unblocks a composition', () => {
    // U+0301 after MAX_MARKS other above-marks cannot compose with "e"; once they are cut it still cannot,
    // but a cut run followed by more marks must come out the same on a second pass.
    const inputs = [
      'e' + '\u0300'.repeat(MAX_MARKS) + '\u0301', 'e' + '\u0316'.repeat(MAX_MARKS + 3) + '\u0301', zalgo('a', 60) + '[red]' + zalgo('', 60),
      '[' + zalgo('r', 20) + 'ed]x', '[red' + zalgo('', 20) + ']x',
    ];
    let seed = 0x2a1c0;
    const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const pool = ['e', 'a', ' ', '[', ']', 'b', 'red', '\u0301', '\u0300', '\u0316', '\u0323', '\u0302', '\u200b', '\u05bc', '\u0f90', '\u20e3'];
    for (let n = 0; n < 3000; n++) {
      let s = '';
      for (let len = 1 + Math.floor(random() * 30); len > 0; len--) s += pool[Math.floor(random() * pool.length)];
      inputs.push(s);
    }
    for (const s of inputs) {
      const once = sanitizeText(s);
      expect(sanitizeText(once), JSON.stringify(s)).to.equal(once);
      expect(once.normalize('NFC'), JSON.stringify(s)).to.equal(once);
      expect(longestRun(once), JSON.stringify(s)).to.be.at.most(MAX_MARKS);
    }
  });
});

describe('e2e: a Zalgo message on a text-mode terminal', function () {
  this.timeout(30000);
  const t = withChatd();

  it('arrives with its marks cut to a few per character, and is stored so', async () => {
    const reader = await t.connect('bob', { alpn: false });
    await reader.textLogin('bob');
    const alice = await t.login('alice');
    const sent = `${zalgo('h', 900)}${zalgo('i', 900)}`;
    const ack = await alice.say(sent);
    expect(ack.type).to.equal('message');
    const line = await reader.waitText(/#lobby alice: [^\n]*\n/).then((text) => /#lobby alice: ([^\n]*)\n/.exec(text)![1]!);
    expect(line.replace(MARKS, '')).to.equal('hi');
    expect(longestRun(line)).to.equal(MAX_MARKS);
    const hist = await alice.command('//history 1');
    expect(hist.type).to.equal('result');
    const h = await alice.waitFor((f) => f.type === 'history' && f.messages.length > 0, 5000, 'the history of //history 1');
    expect(longestRun(h.messages.at(-1).text)).to.equal(MAX_MARKS);
  });
});
