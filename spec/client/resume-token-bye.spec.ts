// chat-cli's resume token from a bye SHUTDOWN (lib/client/resume-token.ts, keepFromBye): chatd's
// fresh token at a restart replaces the login_ok's (which may have expired); any other bye, or one
// without a usable token, leaves the token there was; the frame is handed on without it.
import { expect } from 'chai';
import type { ByeFrame, LoginOkFrame } from '../../lib/protocol/frames.js';
import { ResumeToken } from '../../lib/client/resume-token.js';

const ok = (resume: string): LoginOkFrame => ({
  type: 'login_ok', user: { name: 'alice', role: 'user', level: 1, color: 'cyan' }, room: 'lobby', motd: 'hi', id: 'i1', resume,
});
const bye = (code: ByeFrame['code'], resume?: unknown): ByeFrame =>
  ({ type: 'bye', code, reason: 'bye', ...(resume !== undefined ? { resume } : {}) }) as ByeFrame;
const offered = (r: ResumeToken): string | null => {
  const f = r.offer('alice', 'r1');
  return f && 'resume' in f ? f.resume : null;
};

describe('client: resume token from bye SHUTDOWN', () => {
  it("keeps a bye SHUTDOWN's token over the login_ok's, and hands the bye on without it", () => {
    const r = new ResumeToken();
    r.keep(ok('v1.1.2.login'));
    expect(r.keepFromBye(bye('SHUTDOWN', 'v1.1.3.bye'))).to.deep.equal(bye('SHUTDOWN'));
    expect(offered(r)).to.equal('v1.1.3.bye');
  });

  it('also without an earlier token (tokens were issued at the shutdown only)', () => {
    const r = new ResumeToken();
    r.keepFromBye(bye('SHUTDOWN', 'v1.1.3.bye'));
    expect(offered(r)).to.equal('v1.1.3.bye');
  });

  it("a bye SHUTDOWN without a token (the database did not answer), or with a huge or odd one, keeps the login_ok's", () => {
    const r = new ResumeToken();
    r.keep(ok('v1.1.2.login'));
    for (const t of [undefined, '', 'x'.repeat(257), 42, { a: 1 }]) {
      expect(Object.keys(r.keepFromBye(bye('SHUTDOWN', t)))).to.not.include('resume');
      expect(offered(r)).to.equal('v1.1.2.login');
    }
  });

  it('another bye (KICKED, IDLE) with a token: not kept, and not handed on', () => {
    const r = new ResumeToken();
    r.keep(ok('v1.1.2.login'));
    for (const code of ['KICKED', 'IDLE', 'BANNED'] as const) {
      expect(r.keepFromBye(bye(code, 'v1.1.9.other'))).to.deep.equal(bye(code));
      expect(offered(r)).to.equal('v1.1.2.login');
    }
  });
});
