// A ban's duration is optional and followed by its reason: a word meant as a duration that is not one
// (-10m, "10m", 0s, 999999w) is refused rather than read as the reason of a permanent ban.
import { expect } from 'chai';
import { MAX_DURATION_MS, meantAsDuration, parseDuration } from '../../lib/duration.js';
import { runBin } from '../helpers/bin.js';
import { withChatd } from '../helpers/chatd.js';

describe('durations', () => {
  it('takes 1s to ten years, and perm', () => {
    expect(parseDuration('10m')).to.equal(600_000);
    expect(parseDuration('3650d')).to.equal(MAX_DURATION_MS);
    expect(parseDuration('perm')).to.equal(null);
    for (const bad of ['3651d', '522w', '999999w', '0s', '-10m', '10', 'm']) expect(parseDuration(bad), bad).to.equal(undefined);
  });

  it('tells a mistyped duration from the first word of a reason', () => {
    for (const w of ['-10m', '"10m"', "'2h'", '(7d)', '999999w', '0s', '+5m']) expect(meantAsDuration(w), w).to.equal(true);
    for (const w of ['flooding', 'spam', 'x10m']) expect(meantAsDuration(w), w).to.equal(false);
  });
});

describe('e2e: //ban with a mistyped duration', function () {
  this.timeout(20000);
  const t = withChatd();

  it('refuses it (BAD_ARGS) and bans nobody; a duration in range and a plain reason still work', async () => {
    const mod = await t.login('mod');
    for (const d of ['-10m', '"10m"', '999999w']) {
      expect(await mod.command(`//ban bob ${d} flooding`), d).to.include({ type: 'error', code: 'BAD_ARGS' });
    }
    expect(await t.world.store.listActiveBans()).to.deep.equal([]);
    expect(await mod.command('//mute bob 999999w')).to.include({ type: 'error', code: 'BAD_ARGS' });
    const ok = await mod.command('//ban bob 3650d flooding');
    expect(ok).to.include({ type: 'result' });
    expect(ok.data.reason).to.equal('flooding');
    expect(await mod.command('//unban bob')).to.include({ type: 'result' });
    const perm = await mod.command('//ban bob spam links');
    expect(perm.data).to.include({ expiresAt: null, reason: 'spam links' });
  });

  it('chat-admin ban add --duration 999999w exits 2', async () => {
    const r = await runBin('chat-admin', ['ban', 'add', 'carol', '--duration', '999999w', '--db', t.world.db]);
    expect(r.code).to.equal(2);
    expect(r.err).to.match(/bad duration "999999w"/);
  });
});
