// The database polls (revocations, mutes, bans, chat-admin changes) against a database that stops
// answering: they must not stack up, and each round must end within limits.dbTimeoutMs.
import { expect } from 'chai';
import { TestClient } from '../helpers/client.js';
import { until } from '../helpers/wait.js';
import { withChatd } from '../helpers/chatd.js';
import type { Store } from '../../lib/store/index.js';
import { buildConfig } from '../../lib/config.js';
import { withTimeout } from '../../lib/timeout.js';

/** Makes `method` of the live store hang while `hung` is set, counting the calls still waiting. */
function hangable(store: Store, method: 'listRevoked' | 'activeMutes' | 'listActiveBans') {
  const real = (store[method] as (...a: unknown[]) => Promise<unknown>).bind(store);
  const state = { hung: false, waiting: 0, maxWaiting: 0, release: [] as Array<() => void> };
  (store as unknown as Record<string, unknown>)[method] = async (...args: unknown[]) => {
    if (state.hung) {
      state.waiting++;
      state.maxWaiting = Math.max(state.maxWaiting, state.waiting);
      await new Promise<void>((r) => state.release.push(r));
      state.waiting--;
    }
    return real(...args);
  };
  return state;
}

describe('e2e: database polls while the database hangs', function () {
  this.timeout(20000);
  const t = withChatd({ config: { limits: { databasePollMs: 10, dbTimeoutMs: 100 } }, logLevel: 'info' });

  it('sends one query per poll at a time, and keeps polling the rest within dbTimeoutMs', async () => {
    const { store } = t.chatd.node;
    const hung = (['listRevoked', 'activeMutes', 'listActiveBans'] as const).map((m) => hangable(store, m));
    // The audit poll still answers: its calls show that rounds go on while the other three hang.
    const realAudit = store.auditAfter.bind(store);
    let auditCalls = 0;
    store.auditAfter = (...a) => { auditCalls++; return realAudit(...a); };
    for (const h of hung) h.hung = true;
    const from = auditCalls;
    // 20 rounds at 10 ms with a 100 ms timeout: the old setInterval polls would have stacked 20+ calls each.
    await until(async () => auditCalls - from >= 20, 15000, '20 audit polls while the others hang', 10);
    for (const h of hung) expect(h.maxWaiting, 'concurrent calls of one hung query').to.equal(1);
    const failing = t.logs.map((l) => JSON.parse(l)).filter((l) => l.msg === 'database polls failing; live sessions keep what they know');
    expect(failing).to.have.length(1); // once per outage, not once per round
    expect(failing[0].failed.map((f: string) => f.split(':')[0]).sort()).to.deep.equal(['bans', 'mutes', 'revocations']);
    // The database answers again: the polls resume and a revocation made meanwhile still ends its session.
    const alice = await TestClient.loggedIn(t.chatd.address.port, t.world.certs, 'alice');
    const session = [...t.chatd.node.sessions].find((s) => s.user?.name === 'alice')!;
    await t.world.store.revokeCert(session.fingerprint!, 'spec');
    for (const h of hung) { h.hung = false; for (const r of h.release.splice(0)) r(); }
    const bye = await alice.waitFor((f) => f.type === 'bye', 5000);
    expect(bye.code).to.equal('CERT_REVOKED');
    for (const h of hung) expect(h.waiting).to.equal(0);
    await until(async () => t.logs.some((l) => JSON.parse(l).msg === 'database polls answer again'), 5000, 'the recovery logged');
  });
});

describe('config: limits.databasePollMs', () => {
  it('drives the polls; the old name revocationPollMs is still accepted in a config file', () => {
    expect(buildConfig().limits.databasePollMs).to.equal(1000);
    expect(buildConfig({ limits: { revocationPollMs: 250 } as never }).limits).to.include({ databasePollMs: 250 }).and.not.have.property('revocationPollMs');
    expect(buildConfig({ limits: { revocationPollMs: 250, databasePollMs: 40 } as never }).limits.databasePollMs).to.equal(40);
    expect(buildConfig({ limits: { databasePollMs: 250 } }, { limits: { revocationPollMs: 90 } as never }).limits.databasePollMs).to.equal(90);
  });
});

describe('withTimeout', () => {
  it('passes a result or an error through, and rejects with a TimeoutError when the work takes longer', async () => {
    expect(await withTimeout(Promise.resolve(7), 50)).to.equal(7);
    await withTimeout(Promise.reject(new Error('no')), 50).then(() => expect.fail('resolved'), (e: Error) => expect(e.message).to.equal('no'));
    const t0 = Date.now();
    const e = await withTimeout(new Promise(() => {}), 60).then(() => expect.fail('resolved'), (err: Error) => err);
    expect(e.name).to.equal('TimeoutError');
    expect(Date.now() - t0).to.be.within(50, 2000);
  });
});
