// The client `join` frame of DESIGN.md "Conversations" as the codec reads it.
import { expect } from 'chai';
import { parseClientFrame } from '../../lib/protocol/jsonl.js';

describe('protocol: the join frame', () => {
  it('reads room, since and id, and nothing else', () => {
    expect(parseClientFrame('{"type":"join","room":"dev","since":"ab12","id":"j1","x":1}')).to.deep.equal({ frame: { type: 'join', room: 'dev', since: 'ab12', id: 'j1' } });
    expect(parseClientFrame('{"type":"join","room":"dev"}')).to.deep.equal({ frame: { type: 'join', room: 'dev' } });
  });

  it('refuses a missing room and a since that is no message id', () => {
    const noRoom = parseClientFrame('{"type":"join","id":3}');
    expect(noRoom).to.have.property('id', 3);
    expect((noRoom as { error: { code: string } }).error.code).to.equal('BAD_FRAME');
    const long = parseClientFrame(JSON.stringify({ type: 'join', room: 'dev', since: 'x'.repeat(41) }));
    expect((long as { error: { code: string } }).error.code).to.equal('BAD_FRAME');
    expect((parseClientFrame('{"type":"join","room":"dev","since":5}') as { error: { code: string } }).error.code).to.equal('BAD_FRAME');
  });
});
