// A config reload (SIGHUP) must not drop a setting silently: textColor is applied to the sessions
// that start after it, like motd and prefix.
import { expect } from 'chai';
import { withChatd } from '../helpers/chatd.js';
import { TestClient } from '../helpers/client.js';
import { USERS } from '../helpers/world.js';

describe('e2e: a reload applies textColor', function () {
  this.timeout(30000);
  const t = withChatd({ server: false });

  it('textColor turned on by a reload colours the text sessions that log in after it', async () => {
    const s = await t.start();
    const r = s.reconfigure({ ...s.config, limits: { ...s.config.limits }, password: { ...s.config.password }, commandLevels: { ...s.config.commandLevels }, textColor: true });
    expect(r.applied).to.include('textColor');
    const c = await TestClient.connect(s.address.port, t.world.certs, 'carol', { alpn: false });
    try {
      await c.waitText(/login: $/);
      c.send('carol');
      await c.waitText(/password: $/);
      c.send(USERS.carol!.password);
      await c.waitText(/logged in as \x1b\[36mcarol\x1b\[39m/);
    } finally { c.close(); }
  });
});

describe('e2e: a reload and the TLS handshake timeout', function () {
  this.timeout(30000);
  const t = withChatd({ server: false });

  it('names limits.handshakeTimeoutMs for the next restart (the listeners took it at start) and keeps it as it is', async () => {
    const s = await t.start();
    const before = s.config.limits.handshakeTimeoutMs;
    const next = { ...s.config, limits: { ...s.config.limits, handshakeTimeoutMs: before + 1000, floodBurst: s.config.limits.floodBurst + 1 }, password: { ...s.config.password }, commandLevels: { ...s.config.commandLevels } };
    const r = s.reconfigure(next);
    expect(r.needsRestart).to.include('limits.handshakeTimeoutMs');
    expect(r.applied).to.include('limits');
    expect(s.config.limits.floodBurst).to.equal(next.limits.floodBurst);
    expect(s.config.limits.handshakeTimeoutMs).to.equal(before);
    // Still pending at the next reload of the same file.
    expect(s.reconfigure(next).needsRestart).to.include('limits.handshakeTimeoutMs');
  });
});

describe('e2e: the join frame obeys the level of //join', function () {
  this.timeout(30000);
  const t = withChatd({ config: { commandLevels: { join: 50 } } });

  it('refuses a join frame below the configured level, as //join is refused, and joins nothing', async () => {
    const alice = await t.login('alice');
    expect(await alice.command('//join closed1')).to.include({ type: 'error', code: 'FORBIDDEN' });
    alice.send({ type: 'join', room: 'closed1', id: 'j1' });
    const answer = await alice.waitFor((f) => f.id === 'j1');
    expect(answer).to.include({ type: 'error', code: 'FORBIDDEN', id: 'j1' });
    expect((await alice.command('//whoami')).text).to.not.contain('closed1');
  });
});
