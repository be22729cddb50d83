// Reconnect and retry delays: exponential, capped, jittered within a known band, reset after success.
import { expect } from 'chai';
import { Backoff, RECONNECT_BACKOFF } from '../../lib/client/backoff.js';

describe('client/backoff', () => {
  it('defaults to 250 ms doubling up to 10 s', () => {
    expect(RECONNECT_BACKOFF).to.include({ initialMs: 250, maxMs: 10_000, factor: 2 });
    const b = new Backoff({ random: () => 1 });
    const got = Array.from({ length: 9 }, () => b.next());
    expect(got).to.deep.equal([250, 500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000]);
    expect(b.attempts).to.equal(9);
  });

  it('jitter keeps each delay within [d·(1-jitter), d]', () => {
    const low = new Backoff({ random: () => 0 });
    expect([low.next(), low.next(), low.next()]).to.deep.equal([125, 250, 500]);
    const none = new Backoff({ jitter: 0, random: () => 0 });
    expect([none.next(), none.next()]).to.deep.equal([250, 500]);
    const real = new Backoff({ maxMs: 4000 });
    for (let i = 0; i < 200; i++) {
      const planned = real.peek();
      const d = real.next();
      expect(d).to.be.within(planned / 2, planned);
    }
  });

  it('starts over after reset(), and survives very many attempts', () => {
    const b = new Backoff({ random: () => 1 });
    for (let i = 0; i < 5000; i++) b.next();
    expect(b.next()).to.equal(10_000);
    b.reset();
    expect(b.attempts).to.equal(0);
    expect(b.next()).to.equal(250);
  });

  it('refuses contradictory options, naming them', () => {
    expect(() => new Backoff({ initialMs: 0 })).to.throw(RangeError, /initialMs/);
    expect(() => new Backoff({ initialMs: 500, maxMs: 100 })).to.throw(RangeError, /maxMs/);
    expect(() => new Backoff({ factor: 0.5 })).to.throw(RangeError, /factor/);
    expect(() => new Backoff({ jitter: 2 })).to.throw(RangeError, /jitter/);
  });
});
