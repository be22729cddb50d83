// /metrics after a scripted session: each counter moved by exactly what the session did.
import { expect } from 'chai';
import type { Chatd } from '../../lib/app.js';
import { hostPort } from '../../lib/app.js';
import { TestClient } from '../helpers/client.js';
import { makeWorld, startServer, type World } from '../helpers/world.js';

type Samples = Map<string, number>;

/** `name{a="b"} 3` → key `name{a="b"}`; the whole exposition as a map. */
async function scrape(chatd: Chatd): Promise<Samples> {
  const text = await (await fetch(`http://${hostPort(chatd.ops!)}/metrics`)).text();
  const out: Samples = new Map();
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (m) out.set(m[1], Number(m[2]));
  }
  return out;
}

const delta = (a: Samples, b: Samples, key: string) => (b.get(key) ?? 0) - (a.get(key) ?? 0);

describe('ops: metrics count what happened', function () {
  this.timeout(30000);
  let world: World;
  let chatd: Chatd;
  before(async () => {
    world = await makeWorld();
    chatd = await startServer(world, { metrics: '127.0.0.1:0' });
  });
  after(async () => { await chatd?.stop(); await world?.drop(); });

  it('logins, handshakes, messages, deliveries, errors, byes and command times', async () => {
    const t0 = await scrape(chatd);
    const alice = await TestClient.loggedIn(chatd.address.port, world.certs, 'alice');
    const bob = await TestClient.loggedIn(chatd.address.port, world.certs, 'bob');
    const mod = await TestClient.loggedIn(chatd.address.port, world.certs, 'mod');
    const carol = await TestClient.connect(chatd.address.port, world.certs, 'carol');
    expect((await carol.login('carol', 'wrong-password-1')).code).to.equal('AUTH_FAILED');
    // The join events of these logins are batched (limits.presenceBatchMs): out before the next count.
    await alice.waitFor((f) => f.type === 'event' && f.event === 'join' && f.user === 'mod');
    const t1 = await scrape(chatd);
    expect(delta(t0, t1, 'chatd_logins_total{result="ok"}')).to.equal(3);
    expect(delta(t0, t1, 'chatd_logins_total{result="AUTH_FAILED"}')).to.equal(1);
    expect(delta(t0, t1, 'chatd_handshakes_total{result="ok"}')).to.equal(4);
    expect(t1.get('chatd_sessions{mode="json"}')).to.equal(4);

    // Three people in the lobby: each room message is 3 deliveries, counted in one step.
    for (const text of ['one', 'two']) await alice.say(text);
    await alice.command('//me waves');
    await alice.command('//msg bob psst');
    await bob.waitFor((f) => f.type === 'dm');
    await alice.command('//users');
    expect((await alice.command('//nope')).code).to.equal('UNKNOWN_COMMAND');
    await mod.waitFor((f) => f.type === 'message' && f.kind === 'me');
    const t2 = await scrape(chatd);
    expect(delta(t1, t2, 'chatd_messages_total{kind="say"}')).to.equal(2);
    expect(delta(t1, t2, 'chatd_messages_total{kind="me"}')).to.equal(1);
    expect(delta(t1, t2, 'chatd_messages_total{kind="dm"}')).to.equal(1);
    expect(delta(t1, t2, 'chatd_deliveries_total')).to.equal(3 * 3 + 2); // the dm: bob and alice's own copy
    expect(delta(t1, t2, 'chatd_errors_total{code="UNKNOWN_COMMAND"}')).to.equal(1);
    expect(delta(t1, t2, 'chatd_command_seconds_count{command="users"}')).to.equal(1);
    expect(delta(t1, t2, 'chatd_command_seconds_count{command="unknown"}')).to.equal(1);

    await mod.command('//kick bob bye now');
    await bob.waitClosed();
    const t3 = await scrape(chatd);
    expect(delta(t2, t3, 'chatd_byes_total{code="KICKED"}')).to.equal(1);
    // A kick is an event to the lobby, besides the bye: alice and mod see it.
    expect(delta(t2, t3, 'chatd_deliveries_total')).to.be.at.least(2);
    for (const c of [alice, mod, carol]) c.close();
  });

  it('never labels with a user name', async () => {
    const text = await (await fetch(`http://${hostPort(chatd.ops!)}/metrics`)).text();
    for (const name of ['alice', 'bob', 'carol', 'mod']) expect(text).not.to.match(new RegExp(`"${name}"`));
  });
});
