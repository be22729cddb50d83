// chat-cli --json escapes the same invisible set the sanitizer removes (lib/sanitize.ts INVISIBLE):
// a hand list of its own missed characters that the Unicode properties cover.
import { expect } from 'chai';
import { jsonLine } from '../../lib/client/script.js';

describe('client/jsonLine and the sanitizer\'s invisible set', () => {
  it('escapes default-ignorable and format characters a hand list misses, and parses back', () => {
    // Combining grapheme joiner, Hangul fillers, Mongolian and ideographic variation selectors, VS16,
    // halfwidth filler, Egyptian and Kaithi format controls, musical beam/tie/slur controls.
    const hidden = '\u034f \u115f \u1160 \u3164 \u180b \ufe00 \ufe0f \uffa0 \u{13430} \u{110bd} \u{1d173} \u{1d17a} \u{1bca0}';
    const line = jsonLine({ text: hidden });
    expect(line.slice(0, -1)).to.match(/^[\x20-\x7e]+$/);
    expect(JSON.parse(line).text).to.equal(hidden);
  });
});
