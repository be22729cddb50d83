// Issue 18: chat-cli offers the TLS session of its previous connection when it reconnects, and chatd
// takes it after a network cut and after a restart (SIGTERM, then the same binary on the same port,
// database and certificates, here even with another flag); a chatd with another CA or another key
// does not, and the reconnect is then a full handshake that works all the same. Real chatd binary,
// real chat-cli binary; the cut through spec/helpers/proxy.ts. chat-cli's "reconnected as …" status
// line says "TLS session resumed" when the handshake resumed (TLSSocket#isSessionReused()).
import { expect } from 'chai';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createCA, createServerCert, loadCA } from '../../lib/auth/certs.js';
import { exited, startBin } from '../helpers/bin.js';
import { flags, pw, Run } from '../helpers/cli-run.js';
import { withChatd } from '../helpers/chatd.js';
import { TcpProxy } from '../helpers/proxy.js';
import { tmpdir } from '../helpers/world.js';

type Chatd = ChildProcess & { output(): string };

describe('e2e: chat-cli resumes its TLS session on reconnect (chatd and chat-cli binaries)', function () {
  this.timeout(60000);
  const t = withChatd({ server: false });
  let dir: string;
  let chatd: Chatd | null = null;
  let port = 0;
  const runs: Run[] = [];

  beforeEach(() => {
    // The server's files, which a test may change before a restart; the clients' are the world's.
    dir = tmpdir('reconnect-resume');
    for (const f of ['server.crt', 'server.key', 'ca.crt', 'ca.key']) fs.copyFileSync(path.join(t.world.certs, f), path.join(dir, f));
    fs.writeFileSync(path.join(dir, 'cfg.json'), JSON.stringify({ password: { m: 256, t: 1, p: 1 } }));
  });
  afterEach(async () => {
    for (const r of runs.splice(0)) r.kill();
    await stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  t.defer(() => stop()); // before the world (its database) goes

  async function start(extra: string[] = []): Promise<void> {
    chatd = await startBin('chatd', ['--cert', `${dir}/server.crt`, '--key', `${dir}/server.key`, '--ca', `${dir}/ca.crt`,
      '--db', t.world.db, '--host', '127.0.0.1', '--port', String(port), '--config', `${dir}/cfg.json`, ...extra]);
    port = Number(/listening on [\d.]+:(\d+)/.exec(chatd.output())![1]);
  }

  /** As an operator does it: SIGTERM (chatd says bye SHUTDOWN to everyone), wait for the exit. */
  async function stop(): Promise<void> {
    const c = chatd;
    chatd = null;
    if (c && c.exitCode === null) {
      c.kill('SIGTERM');
      await exited(c, 15000);
    }
  }

  const cli = (p: number): Run => {
    const r = Run.start([...flags(t.world.certs, p, 'alice')], { env: pw('alice') });
    runs.push(r);
    return r;
  };
  /** The "reconnected as" status lines so far. */
  const reconnects = (r: Run) => r.err.split('\n').filter((l) => /reconnected as alice/.test(l));
  const nthReconnect = (r: Run, n: number) => r.until(() => reconnects(r).length >= n, `reconnect ${n}`, 20000).then(() => reconnects(r)[n - 1]!);

  it('network cut (proxy): the reconnect resumes the TLS session of the connection that was cut', async () => {
    port = 0;
    await start();
    const proxy = new TcpProxy('127.0.0.1', port);
    await proxy.start();
    try {
      const alice = cli(proxy.port);
      await alice.waitErr(/logged in as alice/);
      await proxy.cut();
      await alice.waitErr(/connection lost/);
      await proxy.restore();
      expect(await nthReconnect(alice, 1)).to.match(/reconnected as alice; in #lobby; TLS session resumed$/);
      await proxy.cut(); // and again: a resumed handshake brings no new ticket, so the same one is offered again
      await proxy.restore();
      expect(await nthReconnect(alice, 2)).to.match(/TLS session resumed$/);
    } finally {
      await proxy.stop();
    }
  });

  it('chatd restarted (SIGTERM; same port, database and certificates; another --log-level): resumed', async () => {
    port = 0;
    await start();
    const alice = cli(port);
    await alice.waitErr(/logged in as alice/);
    await stop();
    await alice.waitErr(/SHUTDOWN/);
    // Another command line: Node's default session-id context (a hash of argv) would refuse the ticket.
    await start(['--log-level', 'warn']);
    expect(await nthReconnect(alice, 1)).to.match(/reconnected as alice; in #lobby; TLS session resumed$/);
    // A second restart resumes the ticket of the resumed connection.
    await stop();
    await start();
    expect(await nthReconnect(alice, 2)).to.match(/TLS session resumed$/);
  });

  it('chatd restarted with another key, then with another CA bundle: full handshakes, logged in all the same', async () => {
    port = 0;
    await start();
    const alice = cli(port);
    await alice.waitErr(/logged in as alice/);
    await stop();
    // Same CA and name, so chat-cli still trusts the server; only the key is new.
    const pair = await createServerCert(loadCA(dir), ['localhost', '127.0.0.1']);
    fs.writeFileSync(`${dir}/server.crt`, pair.certPem);
    fs.writeFileSync(`${dir}/server.key`, pair.keyPem);
    await start();
    const first = await nthReconnect(alice, 1);
    expect(first).to.match(/reconnected as alice; in #lobby$/);
    await stop();
    fs.appendFileSync(`${dir}/ca.crt`, (await createCA({ cn: 'another CA' })).certPem);
    await start();
    const second = await nthReconnect(alice, 2);
    expect(second).to.match(/reconnected as alice; in #lobby$/);
  });
});
