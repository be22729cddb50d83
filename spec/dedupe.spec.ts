// lib/dedupe.ts on its own (no Redis): a repeated id is answered from memory, a different frame under
// the same id is new, an abandoned claim runs again, and a large answer is kept as a short stand-in.
import { expect } from 'chai';
import { ANSWER_KEPT_MAX, Dedupe, keptAnswer } from '../lib/dedupe.js';
import { Logger } from '../lib/log.js';
import type { ServerFrame } from '../lib/protocol/frames.js';

describe('dedupe', () => {
  const log = new Logger('error', () => {});
  const answer: ServerFrame[] = [{ type: 'result', command: 'whoami', text: 'alice', id: 'a1' }];

  it('answers a repeated id with the first answer, and runs a different frame under the same id', async () => {
    const d = new Dedupe(() => 60_000, () => null, log);
    const first = await d.claim('alice', 'a1', 'command\nwhoami');
    expect(first.fresh).to.equal(true);
    if (first.fresh) first.done(answer);
    expect(await d.claim('alice', 'a1', 'command\nwhoami')).to.deep.equal({ fresh: false, answer });
    expect((await d.claim('alice', 'a1', 'command\nusers')).fresh).to.equal(true);
    expect((await d.claim('bob', 'a1', 'command\nwhoami')).fresh).to.equal(true);
  });

  it('a repeat while the first copy runs waits for its answer; an abandoned claim runs again', async () => {
    const d = new Dedupe(() => 60_000, () => null, log);
    const first = await d.claim('alice', 7, 'say\n\nhi');
    const repeat = d.claim('alice', 7, 'say\n\nhi');
    if (first.fresh) first.abandon();
    expect((await repeat).fresh).to.equal(true);
  });

  it('keeps a large answer as a stand-in with the id and command, and nothing with window 0', async () => {
    const big: ServerFrame[] = [{ type: 'history', room: 'lobby', messages: [] }, { type: 'result', command: 'users', text: 'x'.repeat(ANSWER_KEPT_MAX), id: 'u1' }];
    const kept = keptAnswer(big).frames;
    expect(kept).to.have.length(1);
    expect(kept[0]).to.include({ type: 'result', command: 'users', id: 'u1' });
    expect(JSON.stringify(kept).length).to.be.below(300);
    expect(keptAnswer(answer).frames).to.equal(answer);
    const off = new Dedupe(() => 0, () => null, log);
    const c = await off.claim('alice', 'a1', 'x');
    if (c.fresh) c.done(answer);
    expect((await off.claim('alice', 'a1', 'x')).fresh).to.equal(true);
  });
});
