// The IRC front door across nodes (issue 17): the IRC user on one node, the JSON user on another,
// one Redis bus and one database. Runs only when CHATD_TEST_REDIS is set (MariaDB too with
// CHATD_TEST_MYSQL, else SQLite); its own Redis key prefix, removed afterwards.
import { expect } from 'chai';
import { until } from '../helpers/wait.js';
import crypto from 'node:crypto';
import type { Chatd } from '../../lib/app.js';
import { withChatd } from '../helpers/chatd.js';
import { TestClient } from '../helpers/client.js';
import { IrcClient } from '../helpers/irc.js';
import { busUrl, dropPrefix } from '../helpers/redis.js';

const REDIS = process.env.CHATD_TEST_REDIS;

(REDIS ? describe : describe.skip)('IRC front door: two nodes (Redis)', function () {
  this.timeout(30_000);
  const t = withChatd({ kind: process.env.CHATD_TEST_MYSQL ? 'mysql' : 'sqlite', server: false });
  let prefix: string;
  const open: Array<{ close(): void }> = [];
  const node = (name: string): Promise<Chatd> => t.start({ bus: busUrl(REDIS!, prefix, undefined), nodeName: name, ircPort: 0, limits: { presenceTtlMs: 2000 } });

  beforeEach(() => { prefix = `spec-irc-${crypto.randomBytes(4).toString('hex')}:`; });
  afterEach(async () => {
    for (const c of open.splice(0)) c.close();
    await dropPrefix(REDIS!, prefix);
  });

  it('messages, /me, names, whois and a kick cross from one node to the other', async () => {
    const [a, b] = [await node('irc-a'), await node('irc-b')];
    const i = IrcClient.connect(a.ircAddress!.port, t.world.certs, 'alice');
    open.push(i);
    await i.ready();
    const j = await TestClient.loggedIn(b.address.port, t.world.certs, 'bob');
    open.push(j);
    await i.line(/^(@\S+ )?:bob!bob@chatd JOIN #lobby$/, 10_000);

    j.send({ type: 'say', text: 'from node b' });
    expect(await i.event('privmsg', (e) => e.message === 'from node b')).to.include({ nick: 'bob', target: '#lobby' });
    i.client.say('#lobby', 'from node a');
    await j.waitFor((f) => f.type === 'message' && f.text === 'from node a' && f.from.name === 'alice');
    i.client.action('#lobby', 'waves across');
    await j.waitFor((f) => f.type === 'message' && f.kind === 'me' && f.text === 'waves across');

    // Presence crosses nodes through Redis a moment after the join event does: ask until it has.
    await until(async () => {
      i.client.raw('NAMES #lobby');
      const names = await i.line(/ 353 alice = #lobby :/);
      await i.line(/ 366 alice #lobby /);
      return /\bbob\b/.test(names);
    }, 10_000, 'bob in NAMES on the other node', 100);
    i.client.raw('WHOIS bob');
    await i.line(/ 312 alice bob chatd :node irc-b/);

    const m = await TestClient.loggedIn(b.address.port, t.world.certs, 'mod');
    open.push(m);
    m.send({ type: 'command', line: 'kick alice across nodes', id: 'k' });
    await m.waitFor((f) => f.id === 'k' && f.type === 'result');
    await i.line(/^ERROR :KICKED: kicked by mod: across nodes$/, 5000);
  });
});
