// lib/presence-batch.ts: join/part/quit events held and delivered per room, in order, to the right members.
import { expect } from 'chai';
import { PresenceBatches } from '../../lib/presence-batch.js';
import { Outgoing } from '../../lib/protocol/outgoing.js';
import type { Session } from '../../lib/session.js';

type Fake = { id: string; got: string[]; send(out: Outgoing): void };
const member = (id: string): Fake => ({ id, got: [], send(out) { this.got.push(`${(out.frame as any).event} ${(out.frame as any).user}`); } });
const ev = (event: string, user: string) => new Outgoing({ type: 'event', event, room: 'lobby', user, ts: '' } as any);

function setup(delay: number) {
  const rooms = new Map<string, Set<Session>>();
  const lobby = new Set<Session>();
  rooms.set('lobby', lobby);
  let counted = 0;
  const b = new PresenceBatches(rooms, () => delay, (n) => { counted += n; });
  const join = (m: Fake) => { lobby.add(m as unknown as Session); b.joined('lobby', m as unknown as Session); };
  return { b, lobby, join, counted: () => counted };
}

describe('output: PresenceBatches', () => {
  it('holds events until the room is flushed, then gives every member all of them in order', () => {
    const { b, join, counted } = setup(1000);
    const a = member('a'), c = member('c');
    join(a); join(c);
    b.add('lobby', ev('join', 'x'));
    b.add('lobby', ev('quit', 'y'));
    expect(a.got).to.deep.equal([]);
    b.flushRoom('lobby');
    expect(a.got).to.deep.equal(['join x', 'quit y']);
    expect(c.got).to.deep.equal(['join x', 'quit y']);
    expect(counted()).to.equal(4);
    b.flushRoom('lobby'); // nothing twice
    expect(a.got.length).to.equal(2);
    b.flushAll();
  });

  it('a member who joins while events are held gets only those after it; the one told already gets nothing', () => {
    const { b, join } = setup(1000);
    const a = member('a'), late = member('late');
    join(a);
    b.add('lobby', ev('join', 'x'));
    join(late);
    b.add('lobby', ev('join', 'late'), 'late'); // its own join was sent to it at once
    b.add('lobby', ev('part', 'x'));
    b.flushAll();
    expect(a.got).to.deep.equal(['join x', 'join late', 'part x']);
    expect(late.got).to.deep.equal(['part x']);
  });

  it('delivers at once when batching is off (presenceBatchMs 0), and within the delay otherwise', async () => {
    const off = setup(0);
    const a = member('a');
    off.join(a);
    off.b.add('lobby', ev('join', 'x'));
    expect(a.got).to.deep.equal(['join x']);

    const on = setup(20);
    const m = member('m');
    on.join(m);
    on.b.add('lobby', ev('join', 'y'));
    const t0 = Date.now();
    while (!m.got.length) {
      await new Promise((r) => setImmediate(r));
      if (Date.now() - t0 > 2000) throw new Error('not delivered within 2 s');
    }
    expect(m.got).to.deep.equal(['join y']);
  });
});
