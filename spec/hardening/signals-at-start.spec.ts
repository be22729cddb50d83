// A SIGHUP while chatd is still starting (log rotation's postrotate, a supervisor's reload) must not
// end it: Node's default for SIGHUP is to exit, and chatd's reload handler exists only once it
// listens, which waits for the database (up to limits.dbTimeoutMs to connect, then migrations).
import { expect } from 'chai';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { binPath, cleanEnv, exited } from '../helpers/bin.js';
import { withChatd } from '../helpers/chatd.js';
import { tmpdir } from '../helpers/world.js';

describe('hardening: SIGHUP before chatd listens (chatd binary)', function () {
  this.timeout(30000);
  const t = withChatd({ server: false });
  let silent: net.Server | undefined;
  let dir: string | undefined;
  let child: ChildProcess | undefined;
  t.defer(async () => {
    if (child && child.exitCode === null && child.signalCode === null) { child.kill('SIGKILL'); await exited(child); }
    await new Promise<void>((r) => (silent ? silent.close(() => r()) : r()));
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is logged and ignored: chatd goes on starting (here, until the silent database times it out)', async () => {
    // A "database" that takes the connection and never says a word: chatd waits for its greeting.
    const sockets: net.Socket[] = [];
    let connected!: () => void;
    const reached = new Promise<void>((r) => { connected = r; });
    silent = net.createServer((s) => { sockets.push(s); connected(); });
    await new Promise<void>((r) => silent!.listen(0, '127.0.0.1', () => r()));
    silent.on('close', () => { for (const s of sockets) s.destroy(); });
    const port = (silent.address() as net.AddressInfo).port;
    dir = tmpdir('sighup-start');
    fs.writeFileSync(path.join(dir, 'cfg.json'), JSON.stringify({ limits: { dbTimeoutMs: 1500 } }));
    const certs = t.world.certs;
    // Spawned here: chatd says nothing before it listens, which is what startBin waits for.
    child = spawn(process.execPath, [binPath('chatd'), '--cert', `${certs}/server.crt`, '--key', `${certs}/server.key`, '--ca', `${certs}/ca.crt`,
      '--db', `mysql://chatd@127.0.0.1:${port}/chatd`, '--port', '0', '--config', `${dir}/cfg.json`], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    for (const s of [child.stdout!, child.stderr!]) s.on('data', (d) => (out += d));
    await reached; // chatd is waiting for its database
    child.kill('SIGHUP');
    const code = await exited(child, 15000);
    expect(code, out).to.equal(1); // the database's timeout, not the signal
    expect(out).to.match(/database .* unreachable/);
    expect(out).to.match(/SIGHUP before chatd listens; nothing to reload yet/);
  });
});
