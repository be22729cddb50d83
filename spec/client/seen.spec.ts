// History de-duplication memory: bounded, oldest forgotten first, a repeat counts as recent again.
import { expect } from 'chai';
import { SeenIds } from '../../lib/client/seen.js';

describe('client/seen', () => {
  it('reports new ids once', () => {
    const s = new SeenIds();
    expect(s.add('a')).to.equal(true);
    expect(s.add('b')).to.equal(true);
    expect(s.add('a')).to.equal(false);
    expect(s.has('b')).to.equal(true);
    expect(s.size).to.equal(2);
  });

  it('stays within its bound, forgetting the least recently seen', () => {
    const s = new SeenIds(3);
    for (const id of ['a', 'b', 'c']) s.add(id);
    expect(s.add('a')).to.equal(false); // a is recent again; b is now the oldest
    s.add('d');
    expect(s.size).to.equal(3);
    expect(s.has('b')).to.equal(false);
    expect(['a', 'c', 'd'].every((id) => s.has(id))).to.equal(true);
    const big = new SeenIds(1000);
    for (let i = 0; i < 50_000; i++) big.add(`m${i}`);
    expect(big.size).to.equal(1000);
    expect(big.has('m49999')).to.equal(true);
    expect(big.has('m48999')).to.equal(false);
  });

  it('refuses a bound below 1', () => {
    expect(() => new SeenIds(0)).to.throw(RangeError);
  });
});
