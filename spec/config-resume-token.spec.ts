// limits.resumeTokenTtlMs: 15 minutes by default, 0 allowed (tokens off), at most 7 days.
import { expect } from 'chai';
import { buildConfig } from '../lib/config.js';

describe('config: limits.resumeTokenTtlMs', () => {
  it('defaults to 15 minutes and accepts 0 and 7 days', () => {
    expect(buildConfig().limits.resumeTokenTtlMs).to.equal(15 * 60_000);
    expect(buildConfig({ limits: { resumeTokenTtlMs: 0 } }).limits.resumeTokenTtlMs).to.equal(0);
    expect(buildConfig({ limits: { resumeTokenTtlMs: 7 * 86_400_000 } }).limits.resumeTokenTtlMs).to.equal(604_800_000);
  });

  it('refuses more than 7 days, and a negative value, naming the limit', () => {
    expect(() => buildConfig({ limits: { resumeTokenTtlMs: 7 * 86_400_000 + 1 } })).to.throw(/limits\.resumeTokenTtlMs must be at most 604800000 \(7 days\)/);
    expect(() => buildConfig({ limits: { resumeTokenTtlMs: -1 } })).to.throw(/limits\.resumeTokenTtlMs must be a non-negative number/);
  });
});
