// Issue 12 fault 9: an uncaught exception used to be logged and ignored, so a process in an unknown
// state kept serving. chatd logs it with its stack, says bye SHUTDOWN, and exits non-zero for its
// supervisor to restart it. An unhandled promise rejection is the same kind of bug and ends the same
// way (it used to be logged only). Both are raised by a preloaded spec-only module (crash-hook).
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { startBin, exited } from '../helpers/bin.js';
import { TestClient } from '../helpers/client.js';
import { withChatd } from '../helpers/chatd.js';
import { DIST, tmpdir } from '../helpers/world.js';

for (const [what, mode] of [['uncaught exception', 'exception'], ['unhandled rejection', 'rejection']]) describe(`e2e: an ${what} in chatd (binary)`, function () {
  this.timeout(60000);
  const t = withChatd({ server: false });
  let dir: string;
  let child: ChildProcess & { output(): string };

  before(async () => {
    dir = tmpdir('crash');
    fs.writeFileSync(path.join(dir, 'cfg.json'), JSON.stringify({ password: { m: 256, t: 1, p: 1 } }));
  });
  t.defer(async () => {
    if (child && child.exitCode === null) { child.kill('SIGKILL'); await exited(child); }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is logged with its stack, every client gets bye SHUTDOWN, and chatd exits non-zero', async () => {
    const hook = path.join(DIST, 'spec', 'helpers', 'crash-hook.js');
    child = await startBin('chatd', ['--cert', `${t.world.certs}/server.crt`, '--key', `${t.world.certs}/server.key`, '--ca', `${t.world.certs}/ca.crt`,
      '--db', t.world.db, '--port', '0', '--config', `${dir}/cfg.json`], { env: { NODE_OPTIONS: `--import=${hook}`, SPEC_CRASH: mode } });
    const port = Number(/listening on [\d.]+:(\d+)/.exec(child.output())![1]);
    const alice = await TestClient.loggedIn(port, t.world.certs, 'alice');
    const bob = await TestClient.loggedIn(port, t.world.certs, 'bob');
    expect((await alice.say('before the crash')).type).to.equal('message');
    const code = exited(child, 15000);
    child.kill('SIGUSR2');
    for (const c of [alice, bob]) expect((await c.waitFor((f) => f.type === 'bye', 10000, 'bye')).code).to.equal('SHUTDOWN');
    expect(await code).to.equal(1);
    const line = child.output().split('\n').find((l) => l.includes(`${what}; exiting`));
    expect(line, child.output().slice(-1000)).to.be.a('string');
    const logged = JSON.parse(line!);
    expect(logged.level).to.equal('error');
    expect(logged.err).to.match(/spec-induced crash/).and.to.match(/\n\s+at /); // the stack, not just the message
    const texts = (await t.world.store.history('lobby', 10)).map((m) => m.text);
    expect(texts).to.include('before the crash');
  });
});
