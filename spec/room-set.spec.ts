// RoomSet: a session's rooms behave as the Set they replaced (insertion order, no duplicates),
// whether one room or several.
import { expect } from 'chai';
import { RoomSet } from '../lib/room-set.js';

describe('RoomSet (a session\'s rooms)', () => {
  it('behaves as a Set through one room and several, in the order they were joined', () => {
    const r = new RoomSet();
    const s = new Set<string>();
    const steps: Array<['add' | 'delete', string]> = [
      ['add', 'lobby'], ['add', 'lobby'], ['delete', 'dev'], ['add', 'dev'], ['add', 'ops'], ['delete', 'lobby'], ['add', 'lobby'],
      ['delete', 'dev'], ['delete', 'ops'], ['delete', 'lobby'], ['delete', 'lobby'], ['add', 'ops'],
    ];
    for (const [op, room] of steps) {
      const want = op === 'add' ? (s.add(room), undefined) : s.delete(room);
      const got = op === 'add' ? (r.add(room), undefined) : r.delete(room);
      expect(got, `${op} ${room}`).to.equal(want);
      expect([...r], `after ${op} ${room}`).to.deep.equal([...s]);
      expect(r.size).to.equal(s.size);
      for (const x of ['lobby', 'dev', 'ops']) expect(r.has(x), `has ${x} after ${op} ${room}`).to.equal(s.has(x));
    }
  });

  it('starts empty', () => {
    const r = new RoomSet();
    expect([r.size, [...r], r.has('lobby')]).to.deep.equal([0, [], false]);
  });
});
