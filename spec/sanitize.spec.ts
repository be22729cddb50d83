// lib/sanitize.ts: table-driven hostile and benign inputs with their exact outputs, then the properties
// the contract promises (idempotent, never a control/invisible character or a style tag, linear time),
// then checkText and the name rules.
import { expect } from 'chai';
import { ChatdError } from '../lib/errors.js';
import { MAX_TEXT } from '../lib/limits.js';
import {
  checkText, codePointLength, normalizeRoom, normalizeUsername, sanitizeLines, sanitizeText, ROOM_RE, USERNAME_RE,
} from '../lib/sanitize.js';
import { mulberry32 } from './helpers/random.js';
import { cpuMsOf } from './helpers/wait.js';

// The external checker's two rules, verbatim: the output must never match either.
const FORBIDDEN = /[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\u061c]|[\u{e0000}-\u{e007f}]/u;
const STYLE_TAG =
  /\[\/?\s*(?:bold|dim|italic|underline|blink|reverse|strike|conceal|red|green|blue|yellow|magenta|cyan|white|black|bright_\w+|#[0-9a-f]{3,6}|rgb\(|color|link|on\s+\w+|b|u|s)\b[^\]]*\]/i;

type Case = [name: string, input: string, expected: string];

const HOSTILE: Case[] = [
  // CSI, 7-bit and 8-bit
  ['CSI SGR colour', '\x1b[31mred\x1b[0m', 'red'],
  ['CSI clear screen', 'a\x1b[2Jb', 'ab'],
  ['CSI private mode (hide cursor)', '\x1b[?25lhidden\x1b[?25h', 'hidden'],
  ['CSI 256-colour', '\x1b[38;5;196mX', 'X'],
  ['CSI truecolour background', '\x1b[48;2;255;0;0mX\x1b[49m', 'X'],
  ['CSI with an intermediate byte (DECSCUSR)', '\x1b[1 qX', 'X'],
  ['CSI unterminated at the end', 'ok\x1b[31', 'ok'],
  ['8-bit C1 CSI clear screen', '\x9b2Jx', 'x'],
  ['8-bit C1 CSI SGR', 'a\x9b31mb', 'ab'],
  ['ESC ESC [ (a doubled escape)', '\x1b\x1b[31mx', 'x'],
  // OSC, terminated by BEL, ST (ESC \ or U+009C) or nothing
  ['OSC 8 hyperlink, ST-terminated', '\x1b]8;;http://evil\x1b\\click\x1b]8;;\x1b\\', 'click'],
  ['OSC 8 hyperlink, BEL-terminated', '\x1b]8;;http://evil\x07click\x1b]8;;\x07', 'click'],
  ['OSC 52 clipboard write', '\x1b]52;c;ZXZpbA==\x07', ''],
  ['OSC 52 between words', 'hi \x1b]52;c;ZXZpbA==\x07there', 'hi there'],
  ['OSC 0 window title', '\x1b]0;pwned\x07ok', 'ok'],
  ['8-bit OSC ended by 8-bit ST', '\x9d0;title\x9cok', 'ok'],
  ['OSC unterminated swallows the rest', 'a\x1b]0;title that never ends', 'a'],
  ['OSC ended by ESC \\', '\x1b]2;x\x1b\\y', 'y'],
  // DCS, SOS, PM, APC
  ['DCS sixel image', '\x1bPq#0;2;0;0;0#0!10~\x1b\\x', 'x'],
  ['8-bit DCS (DECRQSS)', '\x90$qm\x9cx', 'x'],
  ['DCS unterminated swallows the rest', 'a\x1bP1$r garbage', 'a'],
  ['APC kitty graphics', '\x1b_Gf=100;AAAA\x1b\\img', 'img'],
  ['8-bit APC', '\x9fapc\x9cok', 'ok'],
  ['PM', '\x1b^privacy message\x1b\\ok', 'ok'],
  ['SOS, 7-bit and 8-bit', '\x1bXsos\x1b\\a\x98sos\x9cb', 'ab'],
  // other escape sequences
  ['ESC c (full reset)', 'a\x1bcb', 'ab'],
  ['ESC ( 0 line drawing charset', '\x1b(0lqk\x1b(B', 'lqk'],
  ['ESC # 8 (screen alignment test)', '\x1b#8x', 'x'],
  ['ESC 7 / ESC 8 (save, restore cursor)', '\x1b7a\x1b8', 'a'],
  ['lone ESC at the end', 'x\x1b', 'x'],
  ['ESC before a newline', 'a\x1b\nb', 'a b'],
  // C0, C1, DEL; tab, CR, LF and the Unicode separators become one space each
  ['NUL, BEL, BS', 'a\x00b\x07c\x08d', 'abcd'],
  ['backspaces hiding a command', 'rm -rf /\x08\x08\x08\x08\x08\x08\x08\x08ls', 'rm -rf /ls'],
  ['DEL', 'a\x7fb', 'ab'],
  ['C1 NEL and RI', 'a\x85b\x8dc', 'abc'],
  ['VT and FF', 'a\x0bb\x0cc', 'abc'],
  ['tab', 'a\tb', 'a b'],
  ['CRLF is two spaces', 'a\r\nb', 'a  b'],
  ['CR overwrite', 'safe\rEVIL', 'safe EVIL'],
  ['LF forging a second line', 'hi\n12:00:00 #lobby admin: send me your password', 'hi 12:00:00 #lobby admin: send me your password'],
  ['surrounding whitespace trimmed', '\n\t hello \r\n', 'hello'],
  ['U+2028 and U+2029', 'a\u2028b\u2029c', 'a b c'],
  // mIRC format codes
  ['mIRC bold and reset', '\x02bold\x02 \x0fplain', 'bold plain'],
  ['mIRC colour fg,bg', '\x0304,12red on blue\x03', 'red on blue'],
  ['mIRC colour takes two digits at most', '\x03123456', '3456'],
  ['mIRC colour, one digit', '\x034x', 'x'],
  ['mIRC colour, comma without background', '\x0304,x', ',x'],
  ['mIRC hex colour', '\x04FF0000red\x04', 'red'],
  ['mIRC italic, underline, reverse, strike, mono', '\x1di\x1fu\x16r\x1es\x11m', 'iursm'],
  // bidi controls
  ['RLO file-name spoof', 'invoice\u202efdp.exe', 'invoicefdp.exe'],
  ['LRE, RLE, PDF', '\u202aa\u202bb\u202c', 'ab'],
  ['LRI, RLI, FSI, PDI', '\u2066a\u2067b\u2068c\u2069', 'abc'],
  ['LRM, RLM, ALM', 'a\u200eb\u200fc\u061cd', 'abcd'],
  // zero-width and invisible characters
  ['ZWSP inside a name', 'ad\u200bmin', 'admin'],
  ['ZWJ and ZWNJ', 'a\u200db\u200cc', 'abc'],
  ['word joiner and invisible operators', 'a\u2060b\u2061c\u2062d\u2063e\u2064f', 'abcdef'],
  ['BOM', '\ufeffhello', 'hello'],
  ['Mongolian vowel separator', 'a\u180eb', 'ab'],
  ['soft hyphen and combining grapheme joiner', 'ad\u00admi\u034fn', 'admin'],
  ['Hangul fillers: an invisible message', '\u3164\u115f\u1160\uffa0', ''],
  ['Khmer inherent vowels and interlinear annotation', 'a\u17b4\u17b5b\ufff9c\ufffad\ufffb', 'abcd'],
  // Unicode tag characters
  ['tag characters smuggling text', 'hi\u{e0001}\u{e0069}\u{e0067}\u{e006e}\u{e006f}\u{e0072}\u{e0065}\u{e007f}', 'hi'],
  ['tag sequence of a subdivision flag', '\u{1f3f4}\u{e0067}\u{e0062}\u{e0065}\u{e006e}\u{e0067}\u{e007f}', '\u{1f3f4}'],
  // lone surrogates
  ['lone high surrogate', 'a\ud83db', 'ab'],
  ['lone low surrogate', 'a\ude00b', 'ab'],
  ['surrogate halves split by ZWSP stay apart', '\ud83d\u200b\ude00', ''],
  // Rich / BBCode markup
  ['[red]…[/red]', '[red]alert[/red]', 'alert'],
  ['[[red]red] leaves no tag', '[[red]red]', ''],
  ['nested four deep', '[[[[red]red]red]red]x', 'x'],
  ['tag split by an inner tag', '[re[b]d]x', 'x'],
  ['[bold red on white]', '[bold red on white]x', 'x'],
  ['[link=…]…[/link]', '[link=http://x]y[/link]', 'y'],
  ['[color=red]…[/color]', '[color=red]x[/color]', 'x'],
  ['[url=…]…[/url]', '[url=http://evil]click[/url]', 'click'],
  ['[/] alone', '[/]', ''],
  ['[#ff0000]', '[#ff0000]x', 'x'],
  ['[#f00]', '[#f00]x', 'x'],
  ['[rgb(255,0,0)]', '[rgb(255,0,0)]x', 'x'],
  ['[rgb( 255, 0, 0 )] with spaces', '[rgb( 255, 0, 0 )]x', 'x'],
  ['[color(200)]', '[color(200)]x', 'x'],
  ['BBCode b, i, u, s', '[b]x[/b] [i]y[/i] [u]z[/u] [s]w[/s]', 'x y z w'],
  ['[bright_red]', '[bright_red]x', 'x'],
  ['256-colour name [dark_orange3]', '[dark_orange3]x', 'x'],
  ['[grey37 on navy_blue]', '[grey37 on navy_blue]x', 'x'],
  ['[italic #ff00ff on default]', '[italic #ff00ff on default]x', 'x'],
  ['[not bold]', '[not bold]x', 'x'],
  ['[blink] and [reverse]', '[blink]x[reverse]y', 'xy'],
  ['Rich one-letter aliases d, r, o, c', '[d]a[r]b[o]c[c]d', 'abcd'],
  ['upper case [RED]', '[RED]x', 'x'],
  ['spaces inside [ red ]', '[ red ]x', 'x'],
  ['closing with a space [/ red]', 'x[/ red]', 'x'],
  ['[on red]', '[on red]x', 'x'],
  ['Textual [@click=…]', '[@click=app.quit]x', 'x'],
  ['escaped Rich tag', '\\[red]x', '\\x'],
  ['starts like a tag: [bold claim]', '[bold claim] x', 'x'],
  ['index [i] is the Rich italic alias', 'arr[i] = 0', 'arr = 0'],
  ['unclosed style bracket before a closed one', '[red [1]', 'red [1]'],
  ['tag hidden by ZWSP', '[r\u200bed]x', 'x'],
  ['tag hidden by an escape sequence', '[r\x1b[0med]x', 'x'],
  ['tag hidden by mIRC codes', '[\x02red\x02]x', 'x'],
  // NFC
  ['NFC: e + combining acute', 'e\u0301', '\u00e9'],
  ['NFC: café', 'cafe\u0301', 'caf\u00e9'],
  ['NFC after removing what sat between', 'e\u200b\u0301', '\u00e9'],
  ['NFC singleton: KELVIN SIGN', '\u212a', 'K'],
  ['NFC singleton: ANGSTROM SIGN', '\u212b', '\u00c5'],
  ['tag spelled with a singleton', '[blin\u212a]x', 'x'],
  ['tag revealed when a combining mark joins', '[redo\u200b\u0301]x', 'x'],
  // everything at once
  ['a bit of everything', '\x1b[31m[bold]\u202eevil\u200d\x0304\x07', 'evil'],
];

const BENIGN: string[] = [
  'arr[0]',
  '[1]',
  '[citation needed]',
  'list[2] and [3]',
  '[WIP] fix',
  '[ ]',
  '[]',
  '[TODO]',
  '[sic]',
  '[x] done, [ ] todo',
  'matrix[y][x] = 0',
  'JSON {"a":[1,2]}',
  'path/to/[id]/page',
  'C:\\path\\to\\file',
  '**bold** _it_ `code`',
  'x > y',
  'a < b & c',
  '¡hola! 你好 😀',
  'مرحبا بالعالم',
  'שלום עולם',
  '日本語のテキスト',
  '🇫🇷🇯🇵 flags',
  '👍🏽 thumbs up',
  '❤️ with VS16',
  'naïve café, already NFC',
  '∑ x² ≤ ∞',
  'private use \ue000 kept',
];

describe('sanitize', () => {
  describe('sanitizeText: hostile input', () => {
    for (const [name, input, expected] of HOSTILE) {
      it(`${name}: ${JSON.stringify(input)} → ${JSON.stringify(expected)}`, () => {
        expect(sanitizeText(input)).to.equal(expected);
      });
    }
  });

  describe('sanitizeText: benign input survives untouched', () => {
    for (const input of BENIGN) {
      it(JSON.stringify(input), () => {
        expect(sanitizeText(input)).to.equal(input);
        expect(STYLE_TAG.test(input), 'a benign example must not look like a tag to the checker').to.equal(false);
      });
    }
  });

  describe('sanitizeText: properties', () => {
    const POOL = [
      '\x1b', '[', ']', '/', '\\', ' ', '\t', '\n', '\r', '0', '1', '2', ',', '#', '(', ')', '=', '@',
      'a', 'b', 'c', 'd', 'e', 'f', 'i', 'o', 'r', 's', 'u', 'x', 'K', 'P', '_', '^',
      'red', 'bold', 'on ', 'blue ', 'not ', 'bright_', 'link=', 'rgb(', 'color(', '#ff0000', 'blin',
      '\x9b', '\x9d', '\x90', '\x9c', '\x07', '\x00', '\x7f', '\x85', '\x03', '\x04', '\x0f', '\x16',
      '\u202e', '\u2066', '\u200d', '\u200b', '\u2060', '\ufeff', '\u061c', '\u2028',
      '\u{e0041}', '\u{e007f}', '\ud83d', '\ude00', '😀', '\u0301', '\u212a', 'é', '你', 'م',
    ];
    const random = mulberry32(0xc4a7d);
    const randomInputs: string[] = [];
    for (let n = 0; n < 2000; n++) {
      let s = '';
      for (let len = 1 + Math.floor(random() * 40); len > 0; len--) s += POOL[Math.floor(random() * POOL.length)];
      randomInputs.push(s);
    }
    const ALL = [...HOSTILE.map(([, input]) => input), ...BENIGN, ...randomInputs];

    it(`is idempotent (${ALL.length} inputs)`, () => {
      for (const input of ALL) {
        const once = sanitizeText(input);
        expect(sanitizeText(once), JSON.stringify(input)).to.equal(once);
      }
    });

    it('never outputs a control, bidi, invisible or tag character', () => {
      for (const input of ALL) expect(sanitizeText(input), JSON.stringify(input)).not.to.match(FORBIDDEN);
    });

    it('never outputs a style tag', () => {
      for (const input of ALL) expect(sanitizeText(input), JSON.stringify(input)).not.to.match(STYLE_TAG);
    });

    it('never outputs a lone surrogate or text that is not NFC', () => {
      for (const input of ALL) {
        const out = sanitizeText(input);
        expect(out, JSON.stringify(input)).not.to.match(/[\ud800-\udfff]/u);
        expect(out.normalize('NFC'), JSON.stringify(input)).to.equal(out);
      }
    });

    it('gives "" for a non-string', () => {
      expect(sanitizeText(undefined as unknown as string)).to.equal('');
      expect(sanitizeText(42 as unknown as string)).to.equal('');
    });

    const ADVERSARIAL: [string, string][] = [
      ['"[" x 16384', '['.repeat(16384)],
      ['"\\x1b[" x 8192', '\x1b['.repeat(8192)],
      ['"[ " x 8192 + "]"', '[ '.repeat(8192) + ']'],
      ['"[[b]" x 4096', '[[b]'.repeat(4096)],
      ['nested "[red" … "]red"', '['.repeat(8000) + 'red' + ']red'.repeat(2000)],
      ['"[" + 16000 spaces + "x]"', '[' + ' '.repeat(16000) + 'x]'],
      ['"[on" + 16000 spaces + "!]"', '[on' + ' '.repeat(16000) + '!]'],
      ['"\\x1b]" x 8192', '\x1b]'.repeat(8192)],
      ['"[redo[b]\\u0301]" x 1200', '[redo[b]\u0301]'.repeat(1200)],
      ['"[ " x 5000 + "[bold x [1]"', '[ '.repeat(5000) + '[bold x [1]'],
    ];
    for (const [name, input] of ADVERSARIAL) {
      it(`sanitizes a 16 KiB adversarial string in < 50 ms of CPU: ${name}`, async () => {
        sanitizeText(input); // warm-up, so the figure is the algorithm and not the JIT
        let out = '';
        expect(await cpuMsOf(() => { out = sanitizeText(input); })).to.be.below(50);
        expect(out).not.to.match(STYLE_TAG);
        expect(out).not.to.match(FORBIDDEN);
      });
    }
  });

  describe('sanitizeLines', () => {
    it('keeps line breaks and indentation, sanitizes each line', () => {
      expect(sanitizeLines('\nusers:\n  alice\x1b[31m\tuser \n  [red]bob\r\n\n')).to.equal('users:\n  alice user\n  bob');
    });
    it('judges style markup across lines, as the checker does', () => {
      expect(sanitizeLines('a [red\nx] b\n[1]\n[ok')).to.equal('a  b\n[1]\n[ok');
    });
    it('is idempotent', () => {
      const once = sanitizeLines('  x\x1b[1m\n\t[b]y[/b] \n\n[re\n[i]d] z');
      expect(sanitizeLines(once)).to.equal(once);
    });
    it('gives "" for nothing printable', () => {
      expect(sanitizeLines('\n \x1b[0m\n')).to.equal('');
    });
  });

  describe('codePointLength', () => {
    it('counts an astral character once and each half of a broken pair once', () => {
      expect(codePointLength('a😀b')).to.equal(3);
      expect(codePointLength('🇫🇷')).to.equal(2);
      expect(codePointLength('\ude00\ud83d')).to.equal(2);
    });
  });

  describe('checkText', () => {
    function failure(fn: () => unknown): ChatdError {
      try {
        fn();
      } catch (err) {
        expect(err).to.be.instanceOf(ChatdError);
        return err as ChatdError;
      }
      throw new Error('expected a ChatdError');
    }

    it('returns the sanitized text', () => {
      expect(checkText(' \x1b[1mhello\x1b[0m [red]world ')).to.equal('hello world');
    });

    for (const input of ['', '   ', '\x1b[0m', '[red][/red]', '\u200b\u202e', '\t\r\n']) {
      it(`EMPTY_TEXT for ${JSON.stringify(input)}`, () => {
        const err = failure(() => checkText(input));
        expect(err.code).to.equal('EMPTY_TEXT');
        expect(err.message).to.equal('empty text');
      });
    }

    it(`accepts exactly MAX_TEXT (${MAX_TEXT}) code points, emoji counting one each`, () => {
      const text = '😀'.repeat(MAX_TEXT);
      expect(text.length).to.equal(2 * MAX_TEXT);
      expect(checkText(text)).to.equal(text);
    });

    it('TEXT_TOO_LONG for MAX_TEXT + 1 code points, counted after sanitizing', () => {
      const err = failure(() => checkText('😀'.repeat(MAX_TEXT + 1)));
      expect(err.code).to.equal('TEXT_TOO_LONG');
      expect(err.message).to.equal('text is 2001 characters; the limit is 2000');
      // escape sequences do not count: they are gone before the length is taken
      expect(checkText('\x1b[31m'.repeat(100) + 'a'.repeat(MAX_TEXT))).to.have.length(MAX_TEXT);
    });

    it('takes a custom limit', () => {
      expect(failure(() => checkText('abcdef', 5)).message).to.equal('text is 6 characters; the limit is 5');
      expect(checkText('abcde', 5)).to.equal('abcde');
    });
  });

  describe('normalizeUsername', () => {
    const CASES: [unknown, string | null][] = [
      ['Alice', 'alice'],
      ['al', 'al'],
      ['a', null], // too short
      ['-x', null],
      ['_x', null],
      ['.x', null],
      ['bob.smith_2-x', 'bob.smith_2-x'],
      ['a'.repeat(32), 'a'.repeat(32)],
      ['a'.repeat(33), null],
      ['al ice', null],
      ['alice\n', null],
      ['\u212aarl', null], // KELVIN SIGN is not "k"
      ['ålice', null],
      ['', null],
      [undefined, null],
      [42, null],
    ];
    for (const [input, expected] of CASES) {
      it(`${JSON.stringify(input) ?? String(input)} → ${JSON.stringify(expected)}`, () => {
        expect(normalizeUsername(input)).to.equal(expected);
        if (expected !== null) expect(USERNAME_RE.test(expected)).to.equal(true);
      });
    }
  });

  describe('normalizeRoom', () => {
    const CASES: [unknown, string | null][] = [
      ['#Lobby', 'lobby'],
      ['lobby', 'lobby'],
      ['x', 'x'],
      ['#dev-ops_2', 'dev-ops_2'],
      ['##lobby', null], // one '#' only
      ['#', null],
      ['-x', null],
      ['a.b', null],
      ['a'.repeat(32), 'a'.repeat(32)],
      ['#' + 'a'.repeat(32), 'a'.repeat(32)],
      ['a'.repeat(33), null],
      ['lobby\n', null],
      [null, null],
    ];
    for (const [input, expected] of CASES) {
      it(`${JSON.stringify(input)} → ${JSON.stringify(expected)}`, () => {
        expect(normalizeRoom(input)).to.equal(expected);
        if (expected !== null) expect(ROOM_RE.test(expected)).to.equal(true);
      });
    }
  });
});
