// What a node cut off from Redis does still reaches the other nodes, through the database they share
// and poll (lib/pollers.ts): a //topic (rooms table, followed through audit_log) and a //kick (its
// audit_log entry closes the target's sessions that began before it). Two real nodes on one database,
// node a's bus through a relay the spec cuts.
// Runs only when CHATD_TEST_REDIS is set (MariaDB too when CHATD_TEST_MYSQL is set, else SQLite).
import { expect } from 'chai';
import crypto from 'node:crypto';
import { withChatd } from '../helpers/chatd.js';
import { TestClient } from '../helpers/client.js';
import { cutPair as cutNodes } from '../helpers/cluster.js';
import { busUrl, dropPrefix } from '../helpers/redis.js';
import { until } from '../helpers/wait.js';

const REDIS = process.env.CHATD_TEST_REDIS;

(REDIS ? describe : describe.skip)('e2e: //topic and //kick across nodes when node a is cut off from Redis', function () {
  this.timeout(30_000);
  const t = withChatd({ kind: process.env.CHATD_TEST_MYSQL ? 'mysql' : 'sqlite', server: false, each: true });
  let prefix: string;
  const clients: TestClient[] = [];
  beforeEach(() => { prefix = `spec-buslost-${crypto.randomBytes(4).toString('hex')}:`; });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await dropPrefix(REDIS!, prefix);
  });
  const login = async (port: number, user: string) => { const c = await TestClient.loggedIn(port, t.world.certs, user); clients.push(c); return c; };

  const cutPair = () => cutNodes(t, REDIS!, prefix);

  it('a topic set on the cut-off node is what //topic and a join show on the other node', async () => {
    const { a, b, cut } = await cutPair();
    const aliceOnB = await login(b.address.port, 'alice');
    const modOnA = await login(a.address.port, 'mod');
    await cut();
    expect(await modOnA.command('//topic release day')).to.include({ type: 'result' });

    const shown = await until(async () => {
      const r = await aliceOnB.command('//topic');
      return r.data?.topic === 'release day' ? r : null;
    }, 5000, 'the new topic on node b', 100);
    expect(shown.text).to.equal('#lobby topic: release day');
    // A session that joins on node b later is told it too.
    const carolOnB = await login(b.address.port, 'carol');
    expect((await carolOnB.command('//join lobby')).data).to.include({ room: 'lobby', topic: 'release day' });
    // A node started afterwards loads it (the pollers' first round, with the audit cursor).
    const c = await t.start({ bus: busUrl(REDIS!, prefix), nodeName: 'c' });
    expect((await (await login(c.address.port, 'dave')).command('//topic')).data).to.include({ topic: 'release day' });
  });

  it('a kick on the cut-off node closes the target\'s sessions on the other node, once', async () => {
    const { a, b, cut } = await cutPair();
    const bobOnA = await login(a.address.port, 'bob');
    const bobOnB = await login(b.address.port, 'bob');
    const modOnA = await login(a.address.port, 'mod');
    await cut();
    expect(await modOnA.command('//kick bob cool off')).to.include({ type: 'result' });
    await bobOnA.waitFor((f) => f.type === 'bye' && f.code === 'KICKED', 5000, 'bye on node a');

    const bye = await bobOnB.waitFor((f) => f.type === 'bye', 5000, 'bye on node b');
    expect(bye).to.include({ code: 'KICKED' });
    expect(bye.reason).to.equal('kicked by mod: cool off');
    // Bob back on node b after the kick stays: the entry is applied once, to sessions from before it.
    const again = await login(b.address.port, 'bob');
    const store = b.node.store;
    const real = store.auditAfter.bind(store);
    let rounds = 0;
    store.auditAfter = (...args) => { rounds++; return real(...args); };
    await until(async () => rounds >= 3, 5000, 'three poll rounds on node b', 20);
    expect((await again.say('still here')).type).to.equal('message');
  });

  it('a kick on the cut-off node of a user it cannot see (online on the other node only) is not refused, and reaches them', async () => {
    const { a, b, cut } = await cutPair();
    const bobOnB = await login(b.address.port, 'bob');
    const modOnA = await login(a.address.port, 'mod');
    await cut();
    const r = await modOnA.command('//kick bob');
    expect(r).to.include({ type: 'result' });
    expect(r.text).to.match(/^bob kicked \(bus down: /);
    expect(await bobOnB.waitFor((f) => f.type === 'bye', 5000, 'bye on node b')).to.include({ code: 'KICKED', reason: 'kicked by mod' });
  });
});
