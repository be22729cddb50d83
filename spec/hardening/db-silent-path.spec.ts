// A database path that goes silent (a host gone without a reset, a firewall dropping packets): the
// connections chatd holds get no answer and no error, while new connections work. A statement sent
// on one of them must not wait for ever: the history writer's insert would hold every later message
// (nothing said after it reaches the database), and a stop would wait for that connection for ever
// (knex's destroy waits for the connections in use).
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { exited, startBin } from '../helpers/bin.js';
import { TestClient } from '../helpers/client.js';
import { tmpdir } from '../helpers/world.js';
import { TcpProxy } from '../helpers/proxy.js';
import { until } from '../helpers/wait.js';
import { withChatd } from '../helpers/chatd.js';

describe('hardening: a silent database path (MariaDB behind a frozen proxy)', function () {
  this.timeout(60000);
  let proxy: TcpProxy;
  const t = withChatd({
    kind: 'mysql', logLevel: 'info', each: true,
    config: async (world) => {
      proxy = await TcpProxy.inFrontOf(world.db, 3306);
      return { db: proxy.url, limits: { dbTimeoutMs: 1000 } };
    },
  });
  afterEach(async () => { await proxy?.stop(); });

  const stored = async (text: string) => (await t.world.store.history('lobby', 200)).filter((m) => m.text === text).length;

  it('a message whose write went into a silent connection is written on a fresh one, once, and later ones follow', async () => {
    const alice = await t.login('alice');
    const bob = await t.login('bob');
    proxy.freeze(); // every connection chatd holds now goes silent; new ones reach MariaDB
    const dropped = proxy.nextDrop();
    await alice.say('into the silence');
    await dropped; // the write went out on a dead connection
    await bob.say('after it');
    await until(async () => (await stored('after it')) === 1, 20000, 'the later message written');
    expect(await stored('into the silence')).to.equal(1);
    const texts = (await t.world.store.history('lobby', 200)).map((m) => m.text);
    expect(texts.indexOf('into the silence')).to.be.below(texts.indexOf('after it'));
  });
});

describe('hardening: SIGTERM while the database path is silent (chatd binary, MariaDB behind a frozen proxy)', function () {
  this.timeout(60000);
  const t = withChatd({ kind: 'mysql', server: false });
  let proxy: TcpProxy;
  let dir: string;
  let child: ChildProcess & { output(): string };
  t.defer(async () => {
    if (child && child.exitCode === null && child.signalCode === null) { child.kill('SIGKILL'); await exited(child); }
    await proxy?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('says bye SHUTDOWN and exits 0 within the grace period, not held by a connection that never answers', async () => {
    proxy = await TcpProxy.inFrontOf(t.world.db, 3306);
    dir = tmpdir('silent-stop');
    fs.writeFileSync(path.join(dir, 'cfg.json'), JSON.stringify({ password: { m: 256, t: 1, p: 1 } })); // default limits: grace 5 s, dbTimeoutMs 5 s
    const certs = t.world.certs;
    child = await startBin('chatd', ['--cert', `${certs}/server.crt`, '--key', `${certs}/server.key`, '--ca', `${certs}/ca.crt`, '--db', proxy.url, '--port', '0', '--config', `${dir}/cfg.json`]);
    const port = Number(/listening on [\d.]+:(\d+)/.exec(child.output())![1]);
    const alice = await TestClient.loggedIn(port, certs, 'alice');
    proxy.freeze();
    const dropped = proxy.nextDrop();
    await alice.say('said into the silence');
    await dropped; // the history write waits on a dead connection
    const t0 = Date.now();
    child.kill('SIGTERM');
    expect((await alice.waitFor((f) => f.type === 'bye')).code).to.equal('SHUTDOWN');
    expect(await exited(child, 10000)).to.equal(0);
    expect(Date.now() - t0).to.be.below(5000 + 1500);
    alice.close();
  });
});
