// DESIGN.md "Conversations" across two nodes sharing one Redis bus and one database: a reader on one
// node cut off while 300 messages are said on the other resumes without gap or repeat, and a frame
// resent to the other node after its answer was lost runs once (the ids live in Redis).
// Runs only when CHATD_TEST_REDIS is set (MariaDB too when CHATD_TEST_MYSQL is set, else SQLite).
import { expect } from 'chai';
import crypto from 'node:crypto';
import type { Chatd } from '../../lib/app.js';
import { TestClient } from '../helpers/client.js';
import { TcpProxy } from '../helpers/proxy.js';
import { busUrl, dropPrefix } from '../helpers/redis.js';
import { withChatd } from '../helpers/chatd.js';
import { until } from '../helpers/wait.js';

const REDIS = process.env.CHATD_TEST_REDIS;

(REDIS ? describe : describe.skip)('e2e: conversations across nodes (Redis)', function () {
  this.timeout(60_000);
  const t = withChatd({ kind: process.env.CHATD_TEST_MYSQL ? 'mysql' : 'sqlite', server: false });
  let prefix: string;
  const clients: TestClient[] = [];

  const node = (name: string, redisPort?: number): Promise<Chatd> => t.start({
    bus: busUrl(REDIS!, prefix, redisPort), nodeName: name, limits: { presenceTtlMs: 2000, floodBurst: 2000, floodRate: 2000, loginIpBurst: 1000 },
  });
  async function login(port: number, user: string): Promise<TestClient> {
    const c = await TestClient.loggedIn(port, t.world.certs, user);
    clients.push(c);
    return c;
  }

  beforeEach(() => { prefix = `spec-conv-${crypto.randomBytes(4).toString('hex')}:`; });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await dropPrefix(REDIS!, prefix);
  });

  it('a reader on node b cut off while 300 messages are said on node a sees all 300 exactly once, in order', async () => {
    const [a, b] = [await node('a'), await node('b')];
    const proxy = new TcpProxy('127.0.0.1', b.address.port);
    await proxy.start();
    t.defer(() => proxy.stop());
    const writer = await login(a.address.port, 'bob');
    await writer.command('//join wide300');
    let reader = await login(proxy.port, 'carol');
    reader.send({ type: 'join', room: 'wide300', id: 'j0' });
    await reader.waitFor((f) => f.id === 'j0');
    const shown: string[] = [];
    const take = () => {
      for (const f of reader.frames.splice(0)) {
        if (f.type === 'message' && f.room === 'wide300') shown.push(f.text);
        if (f.type === 'history' && f.room === 'wide300') for (const m of f.messages) shown.push(m.text);
      }
    };
    const sent: string[] = [];
    for (let i = 0; i < 300; i++) {
      sent.push(`m${i}`);
      writer.send({ type: 'say', text: `m${i}`, room: 'wide300', id: `w${i}` });
      if (i === 100) {
        await until(async () => reader.frames.filter((f) => f.type === 'message' && f.room === 'wide300').length >= 50, 10_000, 'half');
        await proxy.cut();
      }
    }
    const mine = reader.frames.filter((f) => f.type === 'message' && f.room === 'wide300');
    const since = mine[mine.length - 1].id;
    take();
    await writer.waitFor((f) => f.ack === 'w299', 20_000, 'last ack');
    await proxy.restore();
    reader = await login(proxy.port, 'carol');
    reader.send({ type: 'join', room: 'wide300', since, id: 'j1' });
    await reader.waitFor((f) => f.id === 'j1');
    take();
    expect(shown).to.deep.equal(sent);
  });

  it('a say and a //msg resent to the other node run once and get the first answer', async () => {
    const [a, b] = [await node('a'), await node('b')];
    const bob = await login(b.address.port, 'bob');
    await bob.command('//join twice');
    const onA = await login(a.address.port, 'alice');
    await onA.command('//join twice');
    onA.send({ type: 'say', text: 'only once', room: 'twice', id: 'x-1' });
    onA.send({ type: 'command', line: 'msg bob only one dm', id: 'x-2' });
    const ack = await onA.waitFor((f) => f.ack === 'x-1');
    const res = await onA.waitFor((f) => f.id === 'x-2');
    const onB = await login(b.address.port, 'alice');
    await onB.command('//join twice');
    onB.send({ type: 'say', text: 'only once', room: 'twice', id: 'x-1' });
    onB.send({ type: 'command', line: 'msg bob only one dm', id: 'x-2' });
    expect(await onB.waitFor((f) => f.ack === 'x-1')).to.deep.equal(ack);
    expect(await onB.waitFor((f) => f.id === 'x-2')).to.deep.equal(res);
    await onB.say('marker', 'twice');
    await bob.waitFor((f) => f.type === 'message' && f.text === 'marker');
    expect(bob.frames.filter((f) => f.text === 'only once' || f.text === 'only one dm').map((f) => f.type)).to.deep.equal(['message', 'dm']);
  });

  it('remembers ids on the node while Redis is unreachable: a resent frame still runs once', async () => {
    const proxy = await TcpProxy.inFrontOf(REDIS!, 6379);
    t.defer(() => proxy.stop());
    const a = await node('a', proxy.port);
    const bob = await login(a.address.port, 'bob');
    await proxy.cut();
    const alice = await login(a.address.port, 'alice');
    alice.send({ type: 'say', text: 'while redis is away', id: 'r-1' });
    const ack = await alice.waitFor((f) => f.ack === 'r-1');
    const again = await login(a.address.port, 'alice');
    again.send({ type: 'say', text: 'while redis is away', id: 'r-1' });
    expect(await again.waitFor((f) => f.ack === 'r-1')).to.deep.equal(ack);
    await again.say('marker');
    await bob.waitFor((f) => f.type === 'message' && f.text === 'marker');
    expect(bob.frames.filter((f) => f.text === 'while redis is away')).to.have.length(1);
  });
});
