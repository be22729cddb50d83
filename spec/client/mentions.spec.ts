// mentions(): the user's own name as a whole word, whatever characters the name (from the server's
// login_ok) holds; a SyntaxError here ends chat-cli, since it runs for every line of others.
import { expect } from 'chai';
import { mentions, mentionsMe } from '../../lib/client/mentions.js';

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
});
