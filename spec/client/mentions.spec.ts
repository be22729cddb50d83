// mentions(): the user's own name as a whole word, whatever characters the name (from the server's
// login_ok) holds; a SyntaxError here ends chat-cli, since it runs for every line of others.
import { expect } from 'chai';
import { mentions, mentionsMe, rings } from '../../lib/client/mentions.js';

describe('client/mentions', () => {
  it('finds a name with "-" (USERNAME_RE allows it) as a whole word, any case', () => {
    expect(mentions('hi Jean-Luc, look', 'jean-luc')).to.equal(true);
    expect(mentions('jean-lucy is someone else', 'jean-luc')).to.equal(false);
    expect(mentions('hi jean-luc', 'jean.luc')).to.equal(false); // "." is not a wildcard
    expect(mentions('hi jean.luc', 'jean.luc')).to.equal(true);
  });

  it('never throws, whatever printable ASCII the name holds', () => {
    for (let c = 0x20; c < 0x7f; c++) {
      const name = `a${String.fromCharCode(c)}b`;
      expect(() => mentions(`x ${name} y`, name), JSON.stringify(name)).not.to.throw();
      expect(mentions(`x ${name} y`, name), JSON.stringify(name)).to.equal(true);
    }
  });

  it('a line of someone else naming a dashed user is a mention', () => {
    const f = { type: 'message', id: 'm1', ts: '', room: 'lobby', from: { name: 'bob', role: 'user', color: 'white' }, text: 'ping jean-luc', kind: 'say' } as const;
    expect(mentionsMe(f as never, 'jean-luc')).to.equal(true);
  });

  it('a name of the wrong type from a hostile server\'s login_ok is nobody: no mention, no bell, no throw', () => {
    const f = { type: 'dm', id: 'd1', ts: '', from: { name: 'eve', role: 'user', color: 'white' }, to: 5, text: 'hi 5', kind: 'say' } as const;
    for (const me of [5, {}, [], true] as unknown as string[]) {
      expect(mentionsMe(f as never, me)).to.equal(false);
      expect(rings(f as never, me, 'all')).to.equal(false);
      expect(mentions('hi', me)).to.equal(false);
    }
  });
});
