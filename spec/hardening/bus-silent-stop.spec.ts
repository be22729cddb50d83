// SIGTERM while the path to Redis is silent (a partition without resets, not noticed yet: that takes
// up to the presence TTL, 30 s): the bus's goodbye (this node's presence and its name removed from
// Redis) got no answer and the stop waited on it until the hard deadline (grace + 2 s), which
// ends the process with status 1 and no word of why. The goodbye is best effort, bounded, and the
// stop goes on: the database is closed and chatd exits 0 within its grace period.
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { exited, startBin } from '../helpers/bin.js';
import { TestClient } from '../helpers/client.js';
import { withChatd } from '../helpers/chatd.js';
import { TcpProxy } from '../helpers/proxy.js';
import { busUrl, dropPrefix } from '../helpers/redis.js';
import { tmpdir } from '../helpers/world.js';

const REDIS = process.env.CHATD_TEST_REDIS;

describe('hardening: SIGTERM while the Redis path is silent (chatd binary)', function () {
  this.timeout(60000);
  before(function () { if (!REDIS) this.skip(); });
  const t = withChatd({ server: false });
  const prefix = `silentstop${process.pid}:`;
  let proxy: TcpProxy | undefined;
  let dir: string | undefined;
  let child: (ChildProcess & { output(): string }) | undefined;
  t.defer(async () => {
    if (child && child.exitCode === null && child.signalCode === null) { child.kill('SIGKILL'); await exited(child); }
    await proxy?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    await dropPrefix(REDIS!, prefix);
  });

  it('says bye SHUTDOWN and exits 0 within the grace period, with a log line for the goodbye Redis did not answer', async () => {
    proxy = await TcpProxy.inFrontOf(REDIS!, 6379);
    dir = tmpdir('bus-silent-stop');
    fs.writeFileSync(path.join(dir, 'cfg.json'), JSON.stringify({ password: { m: 256, t: 1, p: 1 } })); // default limits: grace 5 s, presence TTL 30 s
    const certs = t.world.certs;
    child = await startBin('chatd', ['--cert', `${certs}/server.crt`, '--key', `${certs}/server.key`, '--ca', `${certs}/ca.crt`, '--db', t.world.db,
      '--bus', busUrl(REDIS!, prefix, proxy.port), '--node-name', 'n1', '--port', '0', '--config', `${dir}/cfg.json`]);
    const port = Number(/listening on [\d.]+:(\d+)/.exec(child.output())![1]);
    const alice = await TestClient.loggedIn(port, certs, 'alice');
    proxy.freeze();
    const t0 = Date.now();
    child.kill('SIGTERM');
    expect((await alice.waitFor((f) => f.type === 'bye')).code).to.equal('SHUTDOWN');
    expect(await exited(child, 10000)).to.equal(0);
    expect(Date.now() - t0).to.be.below(5000 + 1500);
    expect(child.output()).to.match(/redis did not answer/);
    alice.close();
  });
});
