// A //role reaches the user's sessions on every node even when its bus message does not: the database
// is the truth for roles, as for bans and mutes, and every node follows the //role entries of
// audit_log within limits.databasePollMs (a node whose Redis was away delivered it only locally).
// Runs only when CHATD_TEST_REDIS is set (MariaDB too when CHATD_TEST_MYSQL is set, else SQLite).
import { expect } from 'chai';
import crypto from 'node:crypto';
import { withChatd } from '../helpers/chatd.js';
import { TestClient } from '../helpers/client.js';
import { cutPair } from '../helpers/cluster.js';
import { busUrl, dropPrefix } from '../helpers/redis.js';
import { until } from '../helpers/wait.js';

const REDIS = process.env.CHATD_TEST_REDIS;

(REDIS ? describe : describe.skip)('e2e: //role across nodes when the bus message is lost (Redis)', function () {
  this.timeout(30_000);
  const t = withChatd({ kind: process.env.CHATD_TEST_MYSQL ? 'mysql' : 'sqlite', server: false, each: true });
  let prefix: string;
  const clients: TestClient[] = [];
  beforeEach(() => { prefix = `spec-role-${crypto.randomBytes(4).toString('hex')}:`; });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await dropPrefix(REDIS!, prefix);
  });
  const login = async (port: number, user: string) => { const c = await TestClient.loggedIn(port, t.world.certs, user); clients.push(c); return c; };

  it('a moderator demoted on a node cut off from Redis loses the level on the other node too', async () => {
    const { a, b, cut } = await cutPair(t, REDIS!, prefix);
    const modOnB = await login(b.address.port, 'mod');
    const bossOnA = await login(a.address.port, 'boss');

    await cut();
    expect(await bossOnA.command('//role mod user')).to.include({ type: 'result' });

    const who = await until(async () => {
      const w = await modOnB.command('//whoami');
      return w.data?.level === 1 ? w : null;
    }, 5000, 'mod on node b at level 1', 300);
    expect(who.data).to.include({ role: 'user' });
    expect(await modOnB.command('//kick carol')).to.include({ type: 'error', code: 'FORBIDDEN' });
  });

  it('a demoted moderator whose own name color is the moderators\' is shown in the color of the new role', async () => {
    const limits = { databasePollMs: 100 };
    const a = await t.start({ bus: busUrl(REDIS!, prefix), nodeName: 'a', limits });
    const b = await t.start({ bus: busUrl(REDIS!, prefix), nodeName: 'b', limits });
    const mod = await login(b.address.port, 'mod');
    const boss = await login(a.address.port, 'boss');
    expect(await mod.command('//color yellow')).to.include({ type: 'result' });
    expect(await boss.command('//role mod user')).to.include({ type: 'result' });
    await until(async () => (await mod.command('//whoami')).data?.level === 1, 5000, 'mod demoted', 300);
    // Two of node b's poll rounds later (each reads audit_log once), as at the next login: not a staff color.
    const store = b.node.store;
    const real = store.auditAfter.bind(store);
    let rounds = 0;
    store.auditAfter = (...args) => { rounds++; return real(...args); };
    await until(async () => rounds >= 3, 5000, 'three poll rounds on node b', 20);
    expect((await mod.say('after')).from).to.include({ role: 'user', color: 'cyan' });
  });
});
