// lib/protocol/jsonl.ts, in the style of ws's receiver tests: the decoder fed whole, byte by byte and
// split inside UTF-8 sequences must give the same lines; CRLF; the size cap at exactly, and one past,
// its limit; then the codec's id rules.
import { expect } from 'chai';
import { LineDecoder, encodeFrame, frameId, parseClientFrame } from '../../lib/protocol/jsonl.js';

type Run = { lines: Array<[string, number]>; overflows: number };

/** Feeds `chunks` to a fresh decoder with cap `max`; what came out. */
function decode(max: number, ...chunks: Array<Buffer | string>): Run {
  const run: Run = { lines: [], overflows: 0 };
  const d = new LineDecoder(max, (line, bytes) => run.lines.push([line, bytes]), () => run.overflows++);
  for (const c of chunks) d.push(typeof c === 'string' ? Buffer.from(c) : c);
  return run;
}

/** The same bytes one at a time. */
function bytewise(data: Buffer | string): Buffer[] {
  return [...(typeof data === 'string' ? Buffer.from(data) : data)].map((b) => Buffer.from([b]));
}

describe('protocol: LineDecoder', () => {
  const sample = '{"type":"say","text":"h\u00e9llo \u20ac \u{1F600}"}\nplain\n\n{"type":"ping"}\n';
  const expected: Array<[string, number]> = [
    ['{"type":"say","text":"h\u00e9llo \u20ac \u{1F600}"}', Buffer.byteLength('{"type":"say","text":"h\u00e9llo \u20ac \u{1F600}"}')],
    ['plain', 5],
    ['', 0],
    ['{"type":"ping"}', 15],
  ];

  it('splits a chunk holding several lines, with their byte lengths', () => {
    expect(decode(1024, sample)).to.deep.equal({ lines: expected, overflows: 0 });
  });

  it('gives the same lines fed byte by byte', () => {
    expect(decode(1024, ...bytewise(sample))).to.deep.equal({ lines: expected, overflows: 0 });
  });

  it('gives the same lines for every split point, including inside each UTF-8 sequence', () => {
    const bytes = Buffer.from(sample);
    for (let i = 1; i < bytes.length; i++) {
      const run = decode(1024, bytes.subarray(0, i), bytes.subarray(i));
      expect(run, `split at byte ${i}`).to.deep.equal({ lines: expected, overflows: 0 });
    }
  });

  it('keeps a 4-byte character split over four chunks whole', () => {
    const run = decode(64, ...bytewise('\u{1F600}'), '\n');
    expect(run.lines).to.deep.equal([['\u{1F600}', 4]]);
    expect(run.lines[0][0]).to.not.include('\ufffd');
  });

  it('turns invalid UTF-8 into U+FFFD instead of passing raw bytes on', () => {
    expect(decode(64, Buffer.from([0x61, 0xff, 0xc3, 0x0a])).lines).to.deep.equal([['a\ufffd\ufffd', 3]]);
  });

  it('drops one CR before LF, wherever the chunks split, and keeps any other CR', () => {
    const text = 'a\r\nb\r\r\nc\rd\n\r\n';
    const want = [['a', 1], ['b\r', 2], ['c\rd', 3], ['', 0]];
    expect(decode(64, text).lines).to.deep.equal(want);
    expect(decode(64, ...bytewise(text)).lines).to.deep.equal(want);
    expect(decode(64, 'a\r', '\nb\r', '\r', '\n').lines).to.deep.equal([['a', 1], ['b\r', 2]]);
  });

  describe('size cap', () => {
    const MAX = 16;

    it('passes a line of exactly the cap, whole or byte by byte', () => {
      const line = 'x'.repeat(MAX);
      expect(decode(MAX, line + '\n')).to.deep.equal({ lines: [[line, MAX]], overflows: 0 });
      expect(decode(MAX, ...bytewise(line + '\n'))).to.deep.equal({ lines: [[line, MAX]], overflows: 0 });
    });

    it('counts bytes, not characters: a cap-sized line of 2-byte characters passes, one more byte does not', () => {
      const line = '\u00e9'.repeat(MAX / 2);
      expect(decode(MAX, line + '\n').lines).to.deep.equal([[line, MAX]]);
      expect(decode(MAX, line + 'x\n')).to.deep.equal({ lines: [], overflows: 1 });
    });

    it('overflows once at cap + 1, before the newline arrives, and then emits nothing more', () => {
      const line = 'x'.repeat(MAX + 1);
      expect(decode(MAX, line)).to.deep.equal({ lines: [], overflows: 1 });
      expect(decode(MAX, ...bytewise(line), '\nok\n', 'y'.repeat(100))).to.deep.equal({ lines: [], overflows: 1 });
    });

    it('applies per line: lines before an overflow are delivered, the cap restarts after each newline', () => {
      const ok = 'x'.repeat(MAX);
      expect(decode(MAX, `${ok}\n${ok}\n${ok}x\nlater\n`)).to.deep.equal({ lines: [[ok, MAX], [ok, MAX]], overflows: 1 });
    });

    it('counts the CR of a CRLF as part of the line end, not of the line: a cap-sized line passes with either ending', () => {
      const line = 'x'.repeat(MAX);
      expect(decode(MAX, line + '\r\n')).to.deep.equal({ lines: [[line, MAX]], overflows: 0 });
      expect(decode(MAX, ...bytewise(line + '\r\n'))).to.deep.equal({ lines: [[line, MAX]], overflows: 0 });
      expect(decode(MAX, line + 'x\r\n')).to.deep.equal({ lines: [], overflows: 1 });
    });

    it('overflows a cap-sized line followed by a CR and anything but LF', () => {
      const line = 'x'.repeat(MAX);
      expect(decode(MAX, line + '\rx\n')).to.deep.equal({ lines: [], overflows: 1 });
      expect(decode(MAX, line + '\r\r')).to.deep.equal({ lines: [], overflows: 1 });
      expect(decode(MAX, line + '\r', 'y')).to.deep.equal({ lines: [], overflows: 1 });
    });
  });
});

describe('protocol: JSON Lines codec', () => {
  it('encodes one frame per line', () => {
    expect(encodeFrame({ type: 'pong', id: 'a\nb' })).to.equal('{"type":"pong","id":"a\\nb"}\n');
  });

  it('echoes a valid id even on a rejected frame, and only a valid one', () => {
    expect(parseClientFrame('{"type":"nope","id":7}')).to.deep.include({ id: 7 });
    expect(parseClientFrame('{"type":"say","id":"s1"}')).to.deep.include({ id: 's1' });
    expect(frameId({ id: 'x'.repeat(128) })).to.equal('x'.repeat(128));
    expect(frameId({ id: 'x'.repeat(129) })).to.equal(undefined);
    expect(frameId({ id: Infinity })).to.equal(undefined);
    expect(frameId([1])).to.equal(undefined);
    const bad = parseClientFrame('{"type":"ping","id":{}}');
    expect('error' in bad && bad.error.code).to.equal('BAD_FRAME');
  });

  it('copies only known fields', () => {
    const r = parseClientFrame('{"type":"say","text":"hi","__proto__":{"polluted":1},"extra":2}');
    expect(r).to.deep.equal({ frame: { type: 'say', text: 'hi' } });
  });
});
