// lib/audit-follow.ts: rows are applied once, ids just below the newest are read again until they
// can no longer commit late, then given up on.
import { expect } from 'chai';
import { AuditFollow } from '../lib/audit-follow.js';

describe('AuditFollow', () => {
  it('applies each row once, and reads the ids below the newest again until they settle', () => {
    let now = 0;
    const f = new AuditFollow(10, 1000, () => now);
    expect(f.late).to.equal(null);
    expect(f.isNew(12)).to.equal(true);
    f.done(12);
    expect(f.after).to.equal(12);
    expect(f.isNew(12)).to.equal(false);
    f.settle();
    // 11 was not visible yet: it is read again, and applied when it appears.
    expect(f.late).to.deep.equal({ after: 10, upTo: 12 });
    now = 500;
    f.settle();
    expect(f.isNew(11)).to.equal(true);
    f.done(11);
    expect(f.isNew(11)).to.equal(false);
    expect(f.after).to.equal(12);
    // Past the settle time the floor rises to what was newest then: nothing below is read again.
    now = 1000;
    f.settle();
    expect(f.late).to.equal(null);
    expect(f.isNew(11)).to.equal(false);
    expect(f.isNew(12)).to.equal(false);
    expect(f.isNew(13)).to.equal(true);
  });

  it('leaves a row whose apply failed (never done) to the next round', () => {
    const f = new AuditFollow(0, 1000, () => 0);
    f.done(1);
    expect(f.isNew(2)).to.equal(true);
    f.settle();
    expect(f.isNew(2)).to.equal(true);
    expect(f.after).to.equal(1);
  });
});
