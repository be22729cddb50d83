// //color changes a name's color and nothing else: it must not carry the role and level the caller had
// when it began to every session of theirs. A demotion that lands while the caller's //color is
// running stays a demotion.
import { expect } from 'chai';
import crypto from 'node:crypto';
import { withChatd } from '../helpers/chatd.js';
import { TestClient } from '../helpers/client.js';
import { busUrl, dropPrefix } from '../helpers/redis.js';
import { holdCalls, until } from '../helpers/wait.js';

describe('e2e: //color during a role change', function () {
  this.timeout(20000);
  const srv = withChatd({ each: true });

  it('a moderator demoted while their //color runs stays demoted', async () => {
    // The color write waits until the demotion is done: the interleaving a busy database gives.
    const hold = holdCalls(srv.chatd.node.store, 'setNameColor');

    const mod = await srv.login('mod');
    const boss = await srv.login('boss');
    const colored = mod.command('//color green');
    await hold.reached;
    expect(await boss.command('//role mod user')).to.include({ type: 'result' });
    hold.release();
    expect(await colored).to.include({ type: 'result' });

    const who = await mod.command('//whoami');
    expect(who.data).to.include({ role: 'user', level: 1 });
    expect(await mod.command('//kick bob')).to.include({ type: 'error', code: 'FORBIDDEN' });
    expect((await srv.world.store.getUser('mod'))!.role).to.equal('user');
  });

  it('//color still recolors every session of the caller', async () => {
    const a = await srv.login('alice');
    const b = await srv.login('alice');
    expect(await a.command('//color green')).to.include({ type: 'result' });
    const m = await b.say('hello');
    expect(m.from).to.include({ name: 'alice', role: 'user', color: 'green' });
  });
});

const REDIS = process.env.CHATD_TEST_REDIS;

(REDIS ? describe : describe.skip)('e2e: //color across nodes (Redis)', function () {
  this.timeout(30_000);
  const t = withChatd({ server: false });
  let prefix: string;
  beforeEach(() => { prefix = `spec-color-${crypto.randomBytes(4).toString('hex')}:`; });
  afterEach(async () => { await dropPrefix(REDIS!, prefix); });

  it('a //color on node a recolors the caller\'s session on node b, and leaves its role and level', async () => {
    const node = (name: string) => t.start({ bus: busUrl(REDIS!, prefix), nodeName: name });
    const [a, b] = [await node('a'), await node('b')];
    const onA = await TestClient.loggedIn(a.address.port, t.world.certs, 'mod');
    const onB = await TestClient.loggedIn(b.address.port, t.world.certs, 'mod');
    try {
      expect(await onA.command('//color green')).to.include({ type: 'result' });
      await until(async () => (await onB.say('hi')).from?.color === 'green', 5000, 'green on node b');
      expect((await onB.command('//whoami')).data).to.include({ role: 'moderator', level: 50 });
    } finally {
      onA.close();
      onB.close();
    }
  });
});
