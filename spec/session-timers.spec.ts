// Sessions' login timeouts and keepalive ticks share one timer per delay (lib/delay-queue.ts) instead
// of two Node timers per session: measured on a real chatd with real clients. The timing itself is
// covered where it is specified (spec/e2e/auth.spec.ts login timeout, spec/hardening/limits.spec.ts
// ping and idle drop).
import { expect } from 'chai';
import { withChatd } from './helpers/chatd.js';
import { TestClient } from './helpers/client.js';

const timeouts = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('session timers', function () {
  const srv = withChatd();

  it('adds no Node timer per session, before or after login', async () => {
    const first = await srv.connect('alice');
    await first.waitFor((f) => f.type === 'welcome');
    const base = timeouts();
    const waiting: TestClient[] = [];
    for (let i = 0; i < 10; i++) waiting.push(await srv.connect('bob'));
    for (const c of waiting) await c.waitFor((f) => f.type === 'welcome');
    expect(timeouts() - base, 'with 10 more sessions waiting for their login').to.be.at.most(1);
    for (let i = 0; i < 5; i++) await srv.login('carol');
    expect(timeouts() - base, 'with 5 more logged in').to.be.at.most(1);
  });
});
