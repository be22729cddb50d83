// Issue 19 item 5: times a person can read. Mute, ban, banned-users, whois and users say durations
// ("for 9m 58s") and clock times marked UTC ("until 10:54 UTC"), never ISO stamps with milliseconds;
// the JSON `data` of the same answers keeps machine-readable timestamps.
import { expect } from 'chai';
import { formatExpiry, humanDuration, untilText } from '../../lib/duration.js';
import { runBin } from '../helpers/bin.js';
import { withChatd } from '../helpers/chatd.js';

const ISO = /\d{4}-\d\d-\d\dT\d\d:\d\d/;
const HM_UTC = /\d\d:\d\d UTC/;

describe('human times: durations and clock times', () => {
  it('humanDuration gives the two largest units', () => {
    expect(humanDuration(598_000)).to.equal('9m 58s');
    expect(humanDuration(45_000)).to.equal('45s');
    expect(humanDuration(2 * 3_600_000 + 5 * 60_000 + 7000)).to.equal('2h 5m');
    expect(humanDuration(3 * 86_400_000 + 4 * 3_600_000)).to.equal('3d 4h');
    expect(humanDuration(3_600_000)).to.equal('1h');
  });
  it('untilText and formatExpiry name the zone, and the day when it is not today', () => {
    const now = Date.UTC(2026, 10, 30, 10, 44, 2);
    expect(untilText(now + 598_000, now)).to.equal('for 9m 58s, until 10:54 UTC');
    expect(untilText(null, now)).to.equal('permanently');
    expect(formatExpiry(now + 7 * 86_400_000, now)).to.equal('in 7d (2026-12-07 10:44 UTC)');
    expect(formatExpiry(null, now)).to.equal('never (permanent)');
  });
});

describe('e2e: moderation answers in human time', function () {
  this.timeout(30000);
  const t = withChatd();

  it('mute, the muted user, whois and users say for how long and until when; data keeps the timestamp', async () => {
    const mod = await t.login('mod');
    const bob = await t.login('bob');
    const m = await mod.command('//mute bob 10m');
    expect(m.text).to.match(/^bob muted for (10m|9m 5\ds), until \d\d:\d\d UTC$/);
    expect(m.data.until).to.be.a('number');
    const refused = await bob.say('hello?');
    expect(refused.code).to.equal('MUTED');
    expect(refused.message).to.match(/^you are muted for (10m|9m 5\ds), until \d\d:\d\d UTC$/);
    const whois = await mod.command('//whois bob');
    expect(whois.text).to.match(/muted for (10m|9m 5\ds), until \d\d:\d\d UTC/).and.not.match(ISO);
    expect(whois.data.mutedUntil).to.equal(m.data.until);
    const users = await mod.command('//users');
    const row = users.text.split('\n').find((l: string) => l.startsWith('bob '));
    expect(users.text.split('\n')[1]).to.match(/\bmuted\b/);
    expect(row).to.match(/ (10m|9m 5\ds)$/);
    expect(users.data.find((r: any) => r.name === 'bob').mutedUntil).to.equal(m.data.until);
    expect((await mod.command('//unmute bob')).type).to.equal('result');
  });

  it('ban, banned-users and the banned user\'s refusal say it in human time', async () => {
    const mod = await t.login('mod');
    const b = await mod.command('//ban carol 2h being rude');
    expect(b.text).to.match(/^carol banned for 2h, until (\d{4}-\d\d-\d\d )?\d\d:\d\d UTC: being rude$/);
    expect(b.data.expiresAt).to.be.a('number');
    const list = await mod.command('//banned-users');
    expect(list.text).to.match(HM_UTC).and.not.match(ISO);
    expect(list.text).to.match(/in (2h|1h 59m) \(/).and.match(/ago/);
    expect(list.data[0].expiresAt).to.equal(b.data.expiresAt);
    const refused = await (await t.connect('carol')).login('carol');
    expect(refused.code).to.equal('BANNED');
    expect(refused.message).to.match(/^banned by mod: being rude; expires in (2h|1h 59m) \((\d{4}-\d\d-\d\d )?\d\d:\d\d UTC\)$/);
    expect((await mod.command('//ban dave perm')).text).to.equal('dave banned permanently');
    expect((await mod.command('//unban carol')).type).to.equal('result');
    expect((await mod.command('//unban dave')).type).to.equal('result');
  });

  it('chat-admin ban add says for how long and until when', async () => {
    const r = await runBin('chat-admin', ['ban', 'add', 'dave', '--duration', '7d', '--db', t.world.db]);
    expect(r.code, r.err).to.equal(0);
    expect(r.out.trim()).to.match(/^banned dave for 7d, until \d{4}-\d\d-\d\d \d\d:\d\d UTC$/);
    const list = await runBin('chat-admin', ['ban', 'list', '--db', t.world.db]);
    expect(list.out).to.match(/^dave .*\d\d:\d\d UTC \(\d+s ago\)\s+in (7d|6d 23h) \(\d{4}-\d\d-\d\d \d\d:\d\d UTC\)$/m).and.not.match(ISO);
    expect((await runBin('chat-admin', ['ban', 'remove', 'dave', '--db', t.world.db])).code).to.equal(0);
  });
});
