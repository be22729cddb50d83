// Property-based fuzzing of the input paths every peer reaches: the sanitizer, the renderer, the line
// decoder with text mode's line ends and erase characters, and the IRC parser. Seeded (mulberry32), so
// a failure replays; bounded, so the whole file runs in a few seconds.
import { expect } from 'chai';
import { LineDecoder } from '../../lib/protocol/jsonl.js';
import type { ServerFrame } from '../../lib/protocol/frames.js';
import { COLOR, MONO, renderFrame } from '../../lib/render.js';
import { MAX_MARKS, sanitizeLines, sanitizeText } from '../../lib/sanitize.js';
import { applyErase, LineEnds } from '../../lib/text-input.js';
import { escapeTag, ircLine, overLimit, parseIrc, type IrcMessage } from '../../lib/irc/message.js';
import { mulberry32 } from '../helpers/random.js';


function tools(seed: number) {
  const rand = mulberry32(seed);
  const int = (n: number): number => Math.floor(rand() * n);
  const pick = <T>(a: readonly T[]): T => a[int(a.length)]!;
  const mix = (pool: readonly string[], max: number): string => {
    let s = '';
    for (let n = int(max + 1); n > 0; n--) s += pick(pool);
    return s;
  };
  return { rand, int, pick, mix };
}

/** Controls, bidi, zero-width, tag characters, and whatever else Unicode calls invisible or format. */
const FORBIDDEN = /[\x00-\x1f\x7f-\x9f\u2028\u2029]|\p{Default_Ignorable_Code_Point}|\p{Cf}|[\ud800-\udfff]/u;
/** The one invisible kept: an emoji presentation selector right after a pictographic emoji ("❤️"). */
const KEPT_SELECTOR = /(?<=\p{Extended_Pictographic})[\ufe0e\ufe0f]/gu;
const STYLE_TAG =
  /\[\/?\s*(?:bold|dim|italic|underline|blink|reverse|strike|conceal|red|green|blue|yellow|magenta|cyan|white|black|bright_\w+|#[0-9a-f]{3,6}|rgb\(|color|link|on\s+\w+|b|u|s)\b[^\]]*\]/i;
const longestMarkRun = (s: string): number => Math.max(0, ...(s.match(/\p{M}+/gu) ?? []).map((m) => [...m].length));

describe('hardening: property fuzzing of the input paths', function () {
  this.timeout(20000);

  describe('sanitizeText', () => {
    const POOL = [
      '[', ']', '[', ']', '/', ' ', '\t', '\n', '\r', 'a', 'b', 'e', 'o', 'r', 's', 'u', 'd', 'i', 'x', 'K', 'P',
      'red', 'bold', 'on ', 'blue', '#f00', 'rgb(', 'color', 'link=', '[red]', '[/]', '[b]', '[/b]', '[u]', '[i]', '[not bold]',
      // combining marks: above, below, enclosing, spacing, Indic, Thai, Tibetan, Hebrew, astral musical stems
      '\u0301', '\u0300', '\u0302', '\u0316', '\u0323', '\u0327', '\u0308', '\u20e3', '\u05bc', '\u0f90', '\u093f', '\u0e34',
      '\u0e48', '\u1dc0', '\u0345', '\u0903', '\u0b3e', '\u0b47', '\u0dcf', '\u0dd9', '\u102e', '\u3099', '\u{1d165}', '\u{11127}',
      '\u0300\u0301\u0302\u0303\u0304\u0305',
      // NFC-composable and singleton sequences, compatibility traps
      'A\u030a', '\u212a', '\u2126', '\u1e9b', '\u0f73', '\u0344', '\u0958', '\ufb1d', '\u2adc', '\u304b', '\u0b92', '\u0bd7',
      // Hangul jamo (conjoining L, V, T), a syllable and the fillers
      '\u1100', '\u1161', '\u11a8', '\uac00', '\u1112', '\u1175', '\u115f', '\u1160', '\u3164',
      // emoji, ZWJ sequences, skin tones, flags, keycaps, presentation and other variation selectors
      '\u{1f468}', '\u{1f469}', '\u{1f467}', '\u200d', '\u2764', '\ufe0f', '\ufe0e', '\ufe00', '\u{e0100}', '\u{1f3fb}',
      '\u{1f1fa}', '\u{1f1f8}', '1', '#', '*', '\u{1f468}\u200d\u{1f469}\u200d\u{1f467}',
      // surrogate halves, escapes, controls, bidi, zero-width, tags
      '\ud83d', '\ude00', '\udc00', '\ud800', '\x1b', '\x1b[', '\x1b]', '\x9b', '\x03', '\x0304', '\x7f', '\x85', '\x00',
      '\u202e', '\u2066', '\u200b', '\u2060', '\ufeff', '\u00ad', '\u034f', '\u180b', '\u{e0041}', '\u{e007f}',
      '\u00a0', '\u3000', '\u2800', '\u2028',
    ];
    const { rand, mix } = tools(0x5a17);
    const inputs: string[] = [];
    for (let n = 0; n < 20000; n++) inputs.push(mix(POOL, rand() < 0.1 ? 200 : 30));

    it(`is idempotent, never throws, and its output holds every invariant (${inputs.length} mixtures)`, () => {
      for (const input of inputs) {
        const why = JSON.stringify(input);
        const once = sanitizeText(input);
        expect(sanitizeText(once), why).to.equal(once);
        expect(FORBIDDEN.test(once.replace(KEPT_SELECTOR, '')), `${why} → ${JSON.stringify(once)}`).to.equal(false);
        expect(STYLE_TAG.test(once), `${why} → ${JSON.stringify(once)}`).to.equal(false);
        expect(once.normalize('NFC'), why).to.equal(once);
        expect(longestMarkRun(once), why).to.be.at.most(MAX_MARKS);
        expect(once.trim(), why).to.equal(once);
      }
    });

    it('sanitizeLines is idempotent and keeps no control but the line break, nor a style tag across lines', () => {
      for (const input of inputs.slice(0, 5000)) {
        const why = JSON.stringify(input);
        const once = sanitizeLines(input);
        expect(sanitizeLines(once), why).to.equal(once);
        expect(once, why).not.to.match(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
        expect(STYLE_TAG.test(once), why).to.equal(false);
        expect(longestMarkRun(once), why).to.be.at.most(MAX_MARKS);
      }
    });

    it('cuts a run of millions of combining marks (an 8 MiB line of them) without overflowing the regex stack', () => {
      // The longest line chat-cli reads from a server is 8 MiB: a result frame of two-byte marks holds
      // 4.19 million of them. The cut was a backtracking `\p{M}+`, whose stack ran out from about
      // 4,194,290 marks on: RangeError out of renderFrame, and chat-cli died on the frame.
      const marks = '\u0301'.repeat(4_194_290);
      const line = `{"type":"result","text":"${marks}"}`;
      expect(Buffer.byteLength(line)).to.be.at.most(8 * 1024 * 1024);
      expect(renderFrame(JSON.parse(line) as ServerFrame, MONO)).to.equal('\u0301'.repeat(MAX_MARKS));
      expect(sanitizeText('a' + marks)).to.equal('\u00e1' + '\u0301'.repeat(MAX_MARKS));
      expect(sanitizeText('\x1bP' + marks)).to.equal('\u0301'.repeat(MAX_MARKS)); // NFC makes ESC P + mark ESC Ṕ, an escape pair
    });
  });

  describe('renderFrame on frames a hostile server could send', () => {
    const PIECES = [
      'a', 'b', ' ', '  ', '\t', '\n', '\r\n', '\r', '\x1b[31m', '\x1b]0;x\x07', '\x9b2J', '\x1b', '\x00', '\x7f', '\x85', '\u2028',
      '\u2029', '\v', '\f', '\u00a0', '\u2800', '\u3000', '\u2003', '\u1680', '\u180e', '\u200b', '\u202e', '\u2066', '\ufeff',
      '\u0301', '[red]', '[/]', '[b]', '[', ']', '\u{1f600}', '\ufe0f', '\u200d', '\ud800', '\udc00', 'red', '#lobby', '#',
      'x'.repeat(100), ' '.repeat(300), '\u2800'.repeat(200), '\u0301'.repeat(50), '\u{e0041}',
    ];
    const WORDS = ['2026-01-01T00:00:00Z', 'not a date', '', 'red', 'redBright', 'constructor', '__proto__', 'toString', 'dim', 'bold',
      'join', 'part', 'quit', 'kick', 'ban', 'role', 'topic', 'announce', 'me', 'say'];
    const KEYS = ['ts', 'room', 'from', 'name', 'color', 'role', 'text', 'kind', 'to', 'event', 'user', 'by', 'reason', 'topic',
      'code', 'message', 'messages', 'motd', 'server', 'id', 'notice', 'ack'];
    const TYPES = ['message', 'dm', 'event', 'result', 'error', 'history', 'login_ok', 'welcome', 'bye', 'ping', 'pong', 'other'];
    const MULTI_LINE = new Set(['history', 'result', 'login_ok']);
    const { rand, int, pick, mix } = tools(0x4e0d);
    const value = (depth: number): unknown => {
      const r = rand();
      if (r < 0.55) return mix(PIECES, rand() < 0.05 ? 2000 : 12);
      if (r < 0.6) return null;
      if (r < 0.65) return int(1e6) - 5e5;
      if (r < 0.68) return true;
      if (r < 0.72 && depth < 3) return Array.from({ length: int(4) }, () => value(depth + 1));
      if (r < 0.8 && depth < 3) return object(depth + 1);
      return pick(WORDS);
    };
    const object = (depth: number): Record<string, unknown> => {
      const o: Record<string, unknown> = {};
      for (const k of KEYS) if (rand() < 0.5) o[k] = value(depth);
      return o;
    };

    it('never throws, and prints no control but its own SGR, and no line break in a one-line frame (4,000 frames)', () => {
      for (let n = 0; n < 4000; n++) {
        const f = object(0);
        f.type = pick(TYPES);
        const type = f.type as string;
        if (type === 'history' && rand() < 0.7) f.messages = Array.from({ length: int(5) }, () => object(1));
        const why = JSON.stringify(f).slice(0, 300);
        for (const theme of [MONO, COLOR]) {
          const out = renderFrame(f as unknown as ServerFrame, theme);
          if (out === null) continue;
          const bare = out.replace(/\x1b\[[0-9;]*m/g, '');
          if (theme === MONO) expect(bare, why).to.equal(out);
          expect(FORBIDDEN.test(bare.replace(/\n/g, '').replace(KEPT_SELECTOR, '')), `${why} → ${JSON.stringify(bare)}`).to.equal(false);
          if (!MULTI_LINE.has(type)) expect(bare, why).not.to.include('\n');
          if (type === 'history' && Array.isArray(f.messages)) {
            const shown = (f.messages as unknown[]).filter((m) => typeof m === 'object' && m !== null).length;
            expect(bare.split('\n'), why).to.have.length(shown);
          }
          // Each field is one blank-run-free piece; only where two fields meet can two blanks touch.
          if (!MULTI_LINE.has(type)) expect(bare, why).not.to.match(/[\s\u2800]{5,}/u);
        }
      }
    });
  });

  describe('LineDecoder and text mode\'s LineEnds and applyErase against simple references', () => {
    const CR = 0x0d;
    /** Lines of at most max bytes after one trailing CR is dropped; the first longer one overflows, and nothing after. */
    function referenceLines(b: Buffer, max: number): string[] {
      const out: string[] = [];
      const fits = (c: Buffer) => c.length <= max || (c.length === max + 1 && c[c.length - 1] === CR);
      for (let pos = 0; ;) {
        const nl = b.indexOf(0x0a, pos);
        const line = b.subarray(pos, nl < 0 ? b.length : nl);
        if (!fits(line)) return [...out, '<overflow>'];
        if (nl < 0) return out;
        const len = line.length && line[line.length - 1] === CR ? line.length - 1 : line.length;
        out.push(`${line.toString('utf8', 0, len)}|${len}`);
        pos = nl + 1;
      }
    }
    /** Every CR becomes LF; a LF or NUL right after a CR goes. */
    function referenceEnds(b: Buffer): Buffer {
      const out: number[] = [];
      let afterCr = false;
      for (const x of b) {
        if (afterCr && (x === 0x0a || x === 0)) { afterCr = false; continue; }
        afterCr = x === CR;
        out.push(afterCr ? 0x0a : x);
      }
      return Buffer.from(out);
    }
    const BYTES = [0x78, 0x78, 0x78, 0x0d, 0x0a, 0x00, 0xc3, 0xa9, 0xff, 0x08, 0x7f];
    const { rand, int, pick } = tools(0x11e5);
    const chunked = (b: Buffer): Buffer[] => {
      const out: Buffer[] = [];
      for (let i = 0; i < b.length; ) {
        const n = rand() < 0.2 ? 0 : 1 + int(rand() < 0.5 ? 3 : b.length);
        out.push(b.subarray(i, i + n));
        i += n;
      }
      return out;
    };
    const decode = (chunks: Buffer[], max: number, ends: boolean): string[] => {
      const got: string[] = [];
      const d = new LineDecoder(max, (line, bytes) => got.push(`${line}|${bytes}`), () => got.push('<overflow>'));
      const e = new LineEnds();
      for (const c of chunks) d.push(ends ? e.push(c) : c);
      return got;
    };

    it('gives the reference\'s lines under any chunking, with LF, CRLF, CR and CR NUL, at and over the cap (20,000 streams)', () => {
      for (let n = 0; n < 20000; n++) {
        const max = 1 + int(12);
        const b = Buffer.from(Array.from({ length: int(40) }, () => pick(BYTES)));
        const chunks = chunked(b);
        const why = `max ${max}, bytes ${JSON.stringify([...b])}, chunks ${JSON.stringify(chunks.map((c) => c.length))}`;
        expect(decode(chunks, max, false), why).to.deep.equal(referenceLines(b, max));
        const e = new LineEnds();
        expect(Buffer.concat(chunks.map((c) => Buffer.from(e.push(c)))).equals(referenceEnds(b)), why).to.equal(true);
        expect(decode(chunks, max, true), why).to.deep.equal(referenceLines(referenceEnds(b), max));
      }
    });

    it('applyErase erases one code point per BS or DEL, nothing before the start (20,000 lines)', () => {
      const PIECES = ['a', '\u00e9', '\u{1f600}', '\x08', '\x7f', 'e\u0301', '\u{1f468}\u200d\u{1f469}', '\r', ' '];
      for (let n = 0; n < 20000; n++) {
        let s = '';
        for (let k = int(14); k > 0; k--) s += pick(PIECES);
        const kept: string[] = [];
        for (const ch of s) if (ch === '\x08' || ch === '\x7f') kept.pop(); else kept.push(ch);
        expect(applyErase(s), JSON.stringify(s)).to.equal(kept.join(''));
      }
    });
  });

  describe('IRC lines', () => {
    const PIECES = ['@', ':', ' ', ' ', '  ', ';', '=', '\\', '\\s', '\\:', '\\\\', '\\r', '\\n', 'a', 'B', 'PRIVMSG', 'NOTICE', '#x',
      'nick!u@h', '\0', '\r', '\t', '\u00e9', '\u{1f600}', 'x=1', '+', 'time', 'msgid', ','];
    const { rand, int, mix } = tools(0x1bc);
    const tagText = (tags: Map<string, string>): string | undefined =>
      [...tags].map(([k, v]) => (v === '' ? k : `${k}=${escapeTag(v)}`)).join(';') || undefined;
    const render = (m: IrcMessage): string => ircLine(m.prefix, m.command, m.params, tagText(m.tags)).slice(0, -2);

    it('parse never throws on random lines, and render(parse(x)) is a fixpoint for a well-formed command (30,000 lines)', () => {
      for (let n = 0; n < 30000; n++) {
        const line = rand() < 0.1 ? Buffer.from(Array.from({ length: int(60) }, () => int(256))).toString('utf8') : mix(PIECES, 20);
        overLimit(line);
        const m = parseIrc(line);
        // A "command" that starts with '@' or ':' (after leading spaces) is no command a client sends (the
        // session answers it 421), and a client's prefix and tag names are ignored: only what the server renders matters.
        if (m === null || !/^(?:[A-Z]+|\d{3})$/.test(m.command) || /[\0\r\n]/.test(m.prefix ?? '') || [...m.tags.keys()].some((k) => /[\0\r\n]/.test(k))) continue;
        const once = render(m);
        expect(once, JSON.stringify(line)).not.to.match(/[\r\n\0]/);
        const again = parseIrc(once);
        expect(again, JSON.stringify(line)).to.not.equal(null);
        expect(render(again!), JSON.stringify(line)).to.equal(once);
      }
    });
  });
});
