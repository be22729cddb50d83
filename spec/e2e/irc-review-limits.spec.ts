// Review of the IRC front door: list commands are bounded before the work they cause.
import { expect } from 'chai';
import { withChatd } from '../helpers/chatd.js';
import { RawIrc } from '../helpers/irc.js';

describe('IRC front door: list commands bounded', function () {
  this.timeout(20000);
  const t = withChatd({ config: { ircPort: 0 } });
  const open: RawIrc[] = [];
  afterEach(() => { for (const c of open.splice(0)) c.close(); });

  it('NAMES reads at most 10 channels per line, each once (a presence read each, as JOIN is capped)', async () => {
    const r = await RawIrc.registered(t.chatd.ircAddress!.port, t.world.certs, 'alice');
    open.push(r);
    const many = Array.from({ length: 12 }, (_, i) => `#n${i}`);
    r.send(`NAMES ${['#n0', '#n0', ...many].join(',')}`, 'PING :after-names');
    await r.line(/PONG chatd :after-names/);
    const ends = r.lines.filter((l) => / 366 alice #n\d+ /.test(l)).map((l) => / (#n\d+) /.exec(l)![1]);
    expect(ends).to.deep.equal(many.slice(0, 10));
  });
});
