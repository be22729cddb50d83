// lib/auth/resume-token.ts on its own: what a token is made over, and that nothing else passes.
import { expect } from 'chai';
import crypto from 'node:crypto';
import { MAX_TOKEN_LENGTH, ResumeTokens } from '../../lib/auth/resume-token.js';

describe('resume tokens', () => {
  const tokens = new ResumeTokens(crypto.randomBytes(32));
  const alice = { id: 7, username: 'alice', passwordHash: '$argon2id$v=19$m=256,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA' };
  const fp = 'AB:CD:EF';
  const now = 1_800_000_000_000;
  const ttl = 15 * 60_000;
  const token = tokens.issue(alice, fp, now + ttl);

  it('has the documented shape: v1.<user id>.<expires ms>.<43 characters of base64url>', () => {
    expect(token).to.match(/^v1\.7\.1800000900000\.[A-Za-z0-9_-]{43}$/);
  });

  it('passes for its user, certificate and time', () => {
    expect(tokens.verify(token, alice, fp, now, ttl)).to.equal(true);
    expect(tokens.verify(token, alice, fp, now + ttl - 1, ttl)).to.equal(true);
  });

  it('fails once expired, when valid further ahead than the lifetime allows, and always with a lifetime of 0', () => {
    expect(tokens.verify(token, alice, fp, now + ttl, ttl)).to.equal(false);
    expect(tokens.verify(token, alice, fp, now, ttl - 1)).to.equal(false);
    expect(tokens.verify(token, alice, fp, now, 0)).to.equal(false);
  });

  it('fails for another certificate, another password hash, another name or id, no account, another key', () => {
    expect(tokens.verify(token, alice, 'AB:CD:EE', now, ttl)).to.equal(false);
    expect(tokens.verify(token, { ...alice, passwordHash: alice.passwordHash + 'x' }, fp, now, ttl)).to.equal(false);
    expect(tokens.verify(token, { ...alice, username: 'alicia' }, fp, now, ttl)).to.equal(false);
    expect(tokens.verify(token, { ...alice, id: 8 }, fp, now, ttl)).to.equal(false);
    expect(tokens.verify(token, null, fp, now, ttl)).to.equal(false);
    expect(new ResumeTokens(crypto.randomBytes(32)).verify(token, alice, fp, now, ttl)).to.equal(false);
  });

  it('fails for any other spelling: each character of the MAC changed, the spare bits of the last, padding, junk', () => {
    const head = token.slice(0, token.lastIndexOf('.') + 1);
    const mac = token.slice(head.length);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    for (let i = 0; i < mac.length; i++) {
      const other = alphabet[(alphabet.indexOf(mac[i]!) + 1) % 64]!; // at the last position this differs only in spare bits 3 times in 4
      expect(tokens.verify(head + mac.slice(0, i) + other + mac.slice(i + 1), alice, fp, now, ttl), `position ${i}`).to.equal(false);
    }
    for (const bad of [token + '=', token + '.', ' ' + token, token.replace('v1.', 'v2.'), token.replace('.7.', '.07.'), '', 'x'.repeat(MAX_TOKEN_LENGTH + 1)]) {
      expect(tokens.verify(bad, alice, fp, now, ttl), bad).to.equal(false);
    }
  });
});
