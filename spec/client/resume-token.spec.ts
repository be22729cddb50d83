// chat-cli's resume token (lib/client/resume-token.ts): kept from login_ok and never left in it,
// offered once per reconnect, forgotten when refused as void, and its refusal kept from front ends.
import { expect } from 'chai';
import type { LoginOkFrame } from '../../lib/protocol/frames.js';
import { ResumeToken } from '../../lib/client/resume-token.js';

const ok = (extra: Partial<LoginOkFrame> = {}): LoginOkFrame => ({
  type: 'login_ok', user: { name: 'alice', role: 'user', level: 1, color: 'cyan' }, room: 'lobby', motd: 'hi', id: 'i1', ...extra,
});
const error = (code: string) => ({ type: 'error' as const, code: code as never, message: 'no', id: 'r1' });

describe('client: resume token', () => {
  it('keeps the token of a login_ok and hands the frame on without it', () => {
    const r = new ResumeToken();
    const shown = r.keep(ok({ resume: 'v1.1.2.abc' }));
    expect(shown).to.deep.equal(ok());
    expect(r.offer('alice', 'r1')).to.deep.equal({ type: 'login', user: 'alice', resume: 'v1.1.2.abc' });
  });

  it('a login_ok without a token (tokens off now), or with a huge or odd one, leaves none', () => {
    const r = new ResumeToken();
    r.keep(ok({ resume: 'v1.1.2.abc' }));
    r.keep(ok());
    expect(r.offer('alice', 'r1')).to.equal(null);
    r.keep(ok({ resume: 'x'.repeat(257) }));
    expect(r.offer('alice', 'r2')).to.equal(null);
    r.keep(ok({ resume: 42 as unknown as string }));
    expect(r.offer('alice', 'r3')).to.equal(null);
  });

  it('AUTH_FAILED or BAD_FRAME: forgotten, the password follows, and that error is silent; other answers keep it', () => {
    const r = new ResumeToken();
    r.keep(ok({ resume: 'v1.1.2.abc' }));
    r.offer('alice', 'r1');
    expect(r.silent('r1', 'AUTH_FAILED')).to.equal(true);
    expect(r.silent('other', 'AUTH_FAILED')).to.equal(false);
    expect(r.silent('r1', 'BANNED')).to.equal(false);
    expect(r.answered(error('RATE_LIMITED'))).to.equal(false);
    expect(r.silent('r1', 'AUTH_FAILED')).to.equal(false); // answered: no longer awaited
    expect(r.offer('alice', 'r2')).to.not.equal(null);
    expect(r.answered(null)).to.equal(false); // the link went: kept for the next attempt
    expect(r.offer('alice', 'r3')).to.not.equal(null);
    expect(r.answered(error('BAD_FRAME'))).to.equal(true);
    expect(r.offer('alice', 'r4')).to.equal(null);
  });

  it('forget() (after //passwd) drops it', () => {
    const r = new ResumeToken();
    r.keep(ok({ resume: 'v1.1.2.abc' }));
    r.forget();
    expect(r.offer('alice', 'r1')).to.equal(null);
  });
});
