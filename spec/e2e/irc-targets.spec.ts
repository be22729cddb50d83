// IRC: how many targets a line may name (ISUPPORT TARGMAX), the answer for the ones beyond
// (ERR_TOOMANYTARGETS, 407), and echoed targets that cannot shift a numeric's fields.
import { expect } from 'chai';
import { withChatd } from '../helpers/chatd.js';
import { TestClient } from '../helpers/client.js';
import { RawIrc, ircRegistrar } from '../helpers/irc.js';

describe('e2e: IRC targets per line', function () {
  this.timeout(20000);
  const t = withChatd({ config: { ircPort: 0 } });
  const open: Array<{ close(): void }> = [];
  afterEach(() => { for (const c of open.splice(0)) c.close(); });
  const raw = async (user: string) => { const c = await RawIrc.connect(t.chatd.ircAddress!.port, t.world.certs, user); open.push(c); return c; };
  const reg = ircRegistrar(t);

  it('advertises TARGMAX in RPL_ISUPPORT', async () => {
    const c = await raw('alice');
    c.send('PASS :Alice-pass-1234', 'NICK alice', 'USER alice 0 * :alice');
    expect(await c.line(/ 005 alice /)).to.include('TARGMAX=PRIVMSG:4,NOTICE:4,JOIN:10,PART:10,NAMES:10');
  });

  it('a PRIVMSG to five nicks reaches four; the fifth is answered 407, not dropped in silence', async () => {
    const bob = await TestClient.loggedIn(t.port, t.world.certs, 'bob');
    open.push({ close: () => bob.sock.destroy() });
    const c = await reg('alice');
    c.send('PRIVMSG carol,dave,mod,bob,ali :hello all');
    expect(await c.line(/ 407 /)).to.match(/^:\S+ 407 alice ali :Too many targets: at most 4 a line for PRIVMSG$/);
    expect(await bob.waitFor((f) => f.type === 'dm')).to.include({ text: 'hello all' });
    // NOTICE is never answered, also not for its extra targets.
    c.send('NOTICE carol,dave,mod,bob,ali :quiet', 'PING :done');
    await c.line(/ PONG \S+ :done$/);
    expect(c.lines.filter((l) => / 407 /.test(l))).to.deep.equal([]);
  });

  it('JOIN of eleven channels joins ten and answers 407 for the eleventh', async () => {
    const c = await reg('carol');
    const names = Array.from({ length: 11 }, (_, i) => `#t${i}`);
    c.send(`JOIN ${names.join(',')}`);
    expect(await c.line(/ 407 /)).to.match(/ 407 carol #t10 :Too many targets/);
    for (const n of names.slice(0, 10)) await c.line(new RegExp(` 366 carol ${n} `));
  });

  it('an echoed target starting with ":" stays one middle parameter', async () => {
    const c = await reg('dave');
    c.send('PRIVMSG nobody,:x :hi'); // the second target of the list is ":x"
    await c.line(/ 401 dave nobody :/);
    // Echoed as " :x", the rest of the line would be one trailing parameter: the target would read "x :No such nick…".
    expect(await c.line(/ 401 /)).to.match(/^:\S+ 401 dave x :No such nick/);
  });
});
