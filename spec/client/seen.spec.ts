// History de-duplication memory: bounded, oldest forgotten first, a repeat counts as recent again.
import { expect } from 'chai';
import { SeenIds } from '../../lib/client/seen.js';

describe('client/seen', () => {
  it('reports new ids once', () => {
    const s = new SeenIds();
    expect(s.add('a')).to.equal(true);
    expect(s.add('b')).to.equal(true);
    expect(s.add('a')).to.equal(false);
    expect(s.add('b')).to.equal(false);
  });

  it('stays within its bound, forgetting the least recently seen', () => {
    const s = new SeenIds(3);
    for (const id of ['a', 'b', 'c']) s.add(id);
    expect(s.add('a')).to.equal(false); // a is recent again; b is now the oldest
    s.add('d');
    expect(['a', 'c', 'd'].map((id) => s.add(id))).to.deep.equal([false, false, false]);
    expect(s.add('b')).to.equal(true); // forgotten
    const big = new SeenIds(1000);
    for (let i = 0; i < 50_000; i++) big.add(`m${i}`);
    // The newest 1,000 are remembered, the one before them is not.
    expect(big.add('m49000')).to.equal(false);
    expect(big.add('m48999')).to.equal(true);
  });

  it('refuses a bound below 1', () => {
    expect(() => new SeenIds(0)).to.throw(RangeError);
  });
});
