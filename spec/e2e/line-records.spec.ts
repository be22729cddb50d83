// A line that arrives in many small pieces (one TLS record per byte: ~22 bytes on the wire each) is
// held as a few buffers, not one Buffer object per piece: 16,000 pieces once held ~7 MB of memory
// per connection (SECURITY.md promises a 16 KiB line buffer), on every port, enrollment included.
import { expect } from 'chai';
import { LineDecoder } from '../../lib/protocol/jsonl.js';
import type { Session } from '../../lib/session.js';
import { withChatd } from '../helpers/chatd.js';
import { until } from '../helpers/wait.js';

/** The buffers a decoder holds for the line it has not seen the end of yet. */
function held(d: LineDecoder): number {
  return (d as unknown as { parts: Buffer[] }).parts.length;
}

describe('a line in many small pieces', function () {
  this.timeout(60000);

  it('LineDecoder holds a bounded number of buffers for a line fed one byte at a time', () => {
    const lines: string[] = [];
    const d = new LineDecoder(16 * 1024, (l) => lines.push(l), () => { throw new Error('overflow'); });
    const line = Buffer.from('y'.repeat(16_000));
    let most = 0;
    for (const b of line) {
      d.push(Buffer.from([b]));
      most = Math.max(most, held(d));
    }
    expect(most).to.be.at.most(64);
    d.push(Buffer.from('\r\nnext\n'));
    expect(lines).to.deep.equal(['y'.repeat(16_000), 'next']);
  });

  it('LineDecoder still refuses a line one byte over the cap, fed one byte at a time', () => {
    let over = 0;
    const d = new LineDecoder(1000, () => { throw new Error('line'); }, () => { over++; });
    for (let i = 0; i < 1001; i++) d.push(Buffer.from('z'));
    expect(over).to.equal(1);
  });

  const srv = withChatd();

  it('a JSON line sent as 16,000 one-byte TLS records: a few buffers held, then answered', async () => {
    const c = await srv.connect('alice');
    await c.waitFor((f) => f.type === 'welcome');
    const s = [...srv.chatd.node.sessions].pop()! as unknown as { decoder: LineDecoder; bytesIn: number };
    const line = Buffer.from(JSON.stringify({ type: 'ping', id: 'many', pad: 'p'.repeat(15_900) }));
    // One write per event-loop turn: each goes out as a TLS record of its own.
    for (const b of line) {
      c.sock.write(Buffer.from([b]));
      await new Promise((r) => setImmediate(r));
    }
    await until(async () => s.bytesIn >= line.length, 20000, 'the server read every record');
    expect(held(s.decoder), 'buffers held for one unfinished line').to.be.at.most(64);
    c.sock.write('\n');
    expect((await c.waitFor((f) => f.id === 'many', 10000)).type).to.equal('pong');
  });
});
