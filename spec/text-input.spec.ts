// lib/text-input.ts: text mode's line ends and erase characters, under every chunking.
import { expect } from 'chai';
import { LineDecoder } from '../lib/protocol/jsonl.js';
import { applyErase, LineEnds } from '../lib/text-input.js';

function lines(chunks: Buffer[]): string[] {
  const out: string[] = [];
  const d = new LineDecoder(1024, (l) => out.push(l), () => out.push('<overflow>'));
  const ends = new LineEnds();
  for (const c of chunks) d.push(ends.push(c));
  return out;
}

describe('text-input', () => {
  it('LF, CR LF, a bare CR and CR NUL end one line each, however the bytes are split', () => {
    const bytes = Buffer.from('a\nb\r\nc\rd\r\0e\r\r\nf\u00e9\r');
    const want = ['a', 'b', 'c', 'd', 'e', '', 'f\u00e9'];
    expect(lines([bytes])).to.deep.equal(want);
    for (let i = 0; i <= bytes.length; i++) {
      for (let j = i; j <= bytes.length; j++) {
        expect(lines([bytes.subarray(0, i), bytes.subarray(i, j), bytes.subarray(j)]), `${i},${j}`).to.deep.equal(want);
      }
    }
  });

  it('a NUL or LF not right after a CR is left to the line', () => {
    expect(lines([Buffer.from('a\0b\n\nc\n')])).to.deep.equal(['a\0b', '', 'c']);
  });

  it('BS and DEL erase one code point each, nothing before the start', () => {
    expect(applyErase('abc\x7f\x7fd')).to.equal('ad');
    expect(applyErase('\x08\x7fx')).to.equal('x');
    expect(applyErase('\u{1f600}\x7f\u00e9')).to.equal('\u00e9');
    expect(applyErase('plain')).to.equal('plain');
  });
});
