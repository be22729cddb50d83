// History rows are written in batches (limits.historyFlushMs): on a cluster, what one node said in its
// last window is not in the database yet when another node answers a resuming join or a join's
// history. That node has delivered those messages, so it adds them from its memory.
// Runs only when CHATD_TEST_REDIS is set (MariaDB too when CHATD_TEST_MYSQL is set, else SQLite).
import { expect } from 'chai';
import crypto from 'node:crypto';
import type { Chatd } from '../../lib/app.js';
import { TestClient } from '../helpers/client.js';
import { busUrl, dropPrefix } from '../helpers/redis.js';
import { withChatd } from '../helpers/chatd.js';

const REDIS = process.env.CHATD_TEST_REDIS;

(REDIS ? describe : describe.skip)('e2e: batched history across nodes (Redis)', function () {
  this.timeout(30_000);
  const t = withChatd({ kind: process.env.CHATD_TEST_MYSQL ? 'mysql' : 'sqlite', server: false });
  let prefix: string;
  const clients: TestClient[] = [];
  const node = (name: string, historyFlushMs: number): Promise<Chatd> => t.start({ bus: busUrl(REDIS!, prefix), nodeName: name, limits: { historyFlushMs } });
  const login = async (port: number, user: string) => { const c = await TestClient.loggedIn(port, t.world.certs, user); clients.push(c); return c; };

  beforeEach(() => { prefix = `spec-hist-${crypto.randomBytes(4).toString('hex')}:`; });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await dropPrefix(REDIS!, prefix);
  });

  it('a join on node b resumes after a message of node a with what a has not written yet, and shows it in the join history', async () => {
    const a = await node('a', 60_000); // a writes nothing for a minute unless asked
    const alice = await login(a.address.port, 'alice');
    const m0 = await alice.say('m0');
    await alice.command('//search m0'); // search writes what is pending first: m0 is in the database
    expect(a.node.history.pending).to.equal(0);
    const b = await node('b', 50); // started after m0: m0 is not in b's memory
    const bob = await login(b.address.port, 'bob');
    for (const text of ['m1', 'm2', 'm3']) await alice.say(text);
    await bob.waitFor((f) => f.type === 'message' && f.text === 'm3'); // b has delivered them
    expect(a.node.history.pending).to.equal(3); // and none of them is written

    bob.frames.length = 0; // the login's history is not the resume's
    bob.send({ type: 'join', id: 'J', room: 'lobby', since: m0.id });
    await bob.waitFor((f) => f.type === 'result' && f.id === 'J');
    const replay = bob.frames.filter((f) => f.type === 'history').flatMap((f) => f.messages.map((m: any) => m.text));
    expect(replay).to.deep.equal(['m1', 'm2', 'm3']);

    const carol = await login(b.address.port, 'carol'); // her join history comes from b
    const shown = (await carol.waitFor((f) => f.type === 'history' && f.room === 'lobby')).messages.map((m: any) => m.text);
    expect(shown?.slice(-4)).to.deep.equal(['m0', 'm1', 'm2', 'm3']);
  });
});
