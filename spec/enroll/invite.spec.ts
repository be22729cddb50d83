// lib/enroll/invite.ts and lib/enroll/attempts.ts at their edges: the invite code round trip and what
// a damaged one says; the per-IP attempt window.
import { expect } from 'chai';
import { AttemptWindow } from '../../lib/enroll/attempts.js';
import { decodeInvite, encodeInvite, newToken, parseHostPort, tokenHash } from '../../lib/enroll/invite.js';

describe('enroll/invite: the code', () => {
  const fp = 'ab'.repeat(32);
  it('round-trips, normalizing the user name', () => {
    const t = newToken();
    expect(Buffer.from(t, 'base64url')).to.have.length(16);
    const code = encodeInvite({ v: 1, s: 'chat.example.org:7443', u: 'Bob', t, fp });
    expect(decodeInvite(`  ${code}\n`)).to.deep.equal({ v: 1, s: 'chat.example.org:7443', u: 'bob', t, fp });
    expect(tokenHash(t)).to.match(/^[0-9a-f]{64}$/);
  });
  it('refuses damaged codes with exit 2 and a reason', () => {
    const bad = (code: string) => { try { decodeInvite(code); return null; } catch (e) { return [(e as { exitCode: number }).exitCode, (e as Error).message]; } };
    expect(bad('hello')).to.deep.equal([2, 'not a valid invite code (it must start with chatd-invite:); ask for a new one']);
    expect(bad('chatd-invite:%%%')![1]).to.match(/damaged/);
    expect(bad(encodeInvite({ v: 1, u: 'bob', t: 'x', fp } as never))![1]).to.match(/no token/);
    expect(bad(encodeInvite({ v: 1, u: 'bob', t: newToken(), fp: 'zz' }))![1]).to.match(/no CA fingerprint/);
    expect(bad(encodeInvite({ v: 1, u: 'bob', t: newToken(), fp, s: 'host' }))![1]).to.match(/bad server address/);
    expect(bad(encodeInvite({ v: 2, u: 'bob', t: newToken(), fp } as never))![1]).to.match(/unknown version/);
  });
  it('parses host:port and [v6]:port', () => {
    expect(parseHostPort('127.0.0.1:7443')).to.deep.equal({ host: '127.0.0.1', port: 7443 });
    expect(parseHostPort('[::1]:1')).to.deep.equal({ host: '::1', port: 1 });
    for (const s of ['host', 'host:0', 'host:70000', 'a b:1', ':1']) expect(parseHostPort(s), s).to.equal(null);
  });
});

describe('enroll/attempts: a sliding window per key', () => {
  it('allows the limit, then says "first" once and "again" after; other keys are apart; the window slides', () => {
    let now = 0;
    const w = new AttemptWindow(() => 3, () => 1000, () => now);
    expect([w.hit('a'), w.hit('a'), w.hit('a'), w.hit('a'), w.hit('a'), w.hit('b')]).to.deep.equal([false, false, false, 'first', 'again', false]);
    now = 1001;
    expect(w.hit('a')).to.equal(false);
  });

  it('stays within maxKeys under attempts from more addresses than that, all within the window', () => {
    const now = 0;
    const w = new AttemptWindow(() => 3, () => 600_000, () => now, 1000);
    for (let i = 0; i < 5000; i++) w.hit(`2001:db8::${i.toString(16)}`);
    expect((w as unknown as { times: Map<string, unknown> }).times.size).to.be.at.most(1000);
    const last = `2001:db8::${(4999).toString(16)}`;
    expect([w.hit(last), w.hit(last), w.hit(last)]).to.deep.equal([false, false, 'first']);
  });
});
