// ShownMessages keeps what a reconnect needs (ids shown, the last one per room) from frames of a
// server chat-cli does not trust with its memory: what it keeps is bounded in size and in number.
import { expect } from 'chai';
import { ShownMessages } from '../../lib/client/shown-messages.js';
import type { Link } from '../../lib/client/link.js';
import type { HistoryFrame, MessageFrame } from '../../lib/protocol/frames.js';

const msg = (id: string, room: string): MessageFrame => ({
  type: 'message', id, ts: '2026-01-01T00:00:00.000Z', room, from: { name: 'eve', role: 'user', color: 'white' }, text: 'x', kind: 'say',
});
const host = { prefix: () => '//', status: () => {} };
const link = { onHistory() {}, skipHistoryOf: null } as unknown as Link;

describe('client/shown-messages', () => {
  it('de-duplicates chatd ids and resumes a room after the last one shown', () => {
    const s = new ShownMessages(100, host);
    expect(s.add(msg('ab12cd34x1', 'lobby'))).to.equal(true);
    expect(s.add(msg('ab12cd34x1', 'lobby'))).to.equal(false);
    expect(s.rejoin('lobby')).to.deep.equal({ type: 'join', room: 'lobby', since: 'ab12cd34x1' });
  });

  it('keeps no id longer than a join may send back as `since`: a megabyte id is shown, never stored', () => {
    const s = new ShownMessages(100, host);
    const huge = 'i'.repeat(1 << 20);
    expect(s.add(msg(huge, 'lobby'))).to.equal(true);
    expect(s.add(msg(huge, 'lobby'))).to.equal(true); // not remembered, so not a repeat either
    expect(s.resumes('lobby')).to.equal(false);
    const h: HistoryFrame = { type: 'history', room: 'dev', messages: [msg('short1', 'dev'), msg(huge, 'dev')] };
    expect(s.freshHistory(link, h).messages).to.have.length(2);
    expect(s.rejoin('dev')).to.deep.equal({ type: 'join', room: 'dev' }); // the last one's id was not kept
  });

  it('keeps rooms only by their canonical names, and at most a thousand of them, the least recent going first', () => {
    const s = new ShownMessages(100_000, host);
    s.add(msg('m0', 'r'.repeat(1 << 20)));
    s.add(msg('m1', '#Lobby'));
    expect(s.resumes('r'.repeat(1 << 20))).to.equal(false);
    expect(s.resumes('#Lobby')).to.equal(false);
    for (let i = 0; i < 5000; i++) s.add(msg(`m${i + 2}`, `room${i}`));
    expect(s.resumes('room0')).to.equal(false);
    expect(s.resumes('room3999')).to.equal(false);
    expect(s.resumes('room4000')).to.equal(true);
    expect(s.resumes('room4999')).to.equal(true);
  });
});
