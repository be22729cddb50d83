// A node cut off from Redis misses what the other nodes say meanwhile; the database has it. A resuming
// join on that node was served from its memory of recent messages when `since` was in it: the
// messages of the outage were skipped, without `truncated`. Two real nodes on one database and one
// Redis, node a's bus through a relay that is cut and restored.
// Runs only when CHATD_TEST_REDIS is set (MariaDB too when CHATD_TEST_MYSQL is set, else SQLite).
import { expect } from 'chai';
import crypto from 'node:crypto';
import { withChatd } from '../helpers/chatd.js';
import { TestClient, type Frame } from '../helpers/client.js';
import { TcpProxy } from '../helpers/proxy.js';
import { busUrl, dropPrefix } from '../helpers/redis.js';
import { until } from '../helpers/wait.js';

const REDIS = process.env.CHATD_TEST_REDIS;

(REDIS ? describe : describe.skip)('e2e: a resume after a bus outage', function () {
  this.timeout(30_000);
  const t = withChatd({ kind: process.env.CHATD_TEST_MYSQL ? 'mysql' : 'sqlite', server: false, each: true, logLevel: 'warn' });
  let prefix: string;
  const clients: TestClient[] = [];
  beforeEach(() => { prefix = `spec-outage-${crypto.randomBytes(4).toString('hex')}:`; });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await dropPrefix(REDIS!, prefix);
  });
  const login = async (port: number, user: string) => { const c = await TestClient.loggedIn(port, t.world.certs, user); clients.push(c); return c; };

  it('on the node that was cut off replays what the other nodes said meanwhile', async () => {
    const proxy = await TcpProxy.inFrontOf(REDIS!, 6379);
    t.defer(() => proxy.stop());
    const a = await t.start({ bus: busUrl(REDIS!, prefix, proxy.port), nodeName: 'a' });
    const b = await t.start({ bus: busUrl(REDIS!, prefix), nodeName: 'b' });
    const bob = await login(b.address.port, 'bob');
    const alice = await login(a.address.port, 'alice');
    const first = await bob.say('before the cut');
    await alice.waitFor((f) => f.type === 'message' && f.text === 'before the cut', 5000, 'on node a');

    await proxy.cut();
    await until(async () => a.node.busStatus() !== 'ok', 5000, 'node a sees Redis gone');
    await bob.say('during the cut');
    await b.node.settleHistory();
    await proxy.restore();
    await until(async () => a.node.busStatus() === 'ok', 8000, 'node a back on Redis');
    await bob.say('after the cut');
    await alice.waitFor((f) => f.type === 'message' && f.text === 'after the cut', 5000, 'after on node a');
    await b.node.settleHistory();

    // alice resumes on node a, as chat-cli does after a reconnect (her login's own history comes first).
    const seen = alice.frames.length;
    alice.send({ type: 'join', id: 'j', room: 'lobby', since: first.id });
    expect(await alice.waitFor((f) => f.id === 'j', 5000, 'the join')).to.include({ type: 'result' });
    const replayed = alice.frames.slice(seen).filter((f) => f.type === 'history' && f.room === 'lobby').flatMap((h) => h.messages.map((m: Frame) => m.text));
    expect(replayed).to.deep.equal(['during the cut', 'after the cut']);
  });
});
