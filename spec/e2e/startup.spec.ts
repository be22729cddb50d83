// The chatd binary: clear one-line startup errors (exit 1, usage exit 2), npm start's dev setup,
// and the seed's whole story driven through the real binaries.
import { expect } from 'chai';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { runBin, startBin, exited } from '../helpers/bin.js';
import { TestClient } from '../helpers/client.js';
import { sharedCerts, tmpdir } from '../helpers/world.js';

/** The failure line: exactly one line that is not a structured (JSON) log line. */
function oneLine(s: string): string {
  const lines = s.trim().split('\n').filter((l) => !l.startsWith('{'));
  expect(lines, s).to.have.length(1);
  return lines[0];
}

describe('chatd binary: startup errors', function () {
  let certs: string;
  let dir: string;
  before(async () => { certs = await sharedCerts(); dir = tmpdir('startup'); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const base = () => ['--cert', `${certs}/server.crt`, '--key', `${certs}/server.key`, '--ca', `${certs}/ca.crt`, '--db', `sqlite:${dir}/x.sqlite`, '--port', '0'];

  it('missing certificate file', async () => {
    const r = await runBin('chatd', [...base(), '--cert', `${dir}/nope.crt`]);
    expect(r.code).to.equal(1);
    expect(oneLine(r.err)).to.match(/cannot read --cert file .*nope\.crt: no such file/);
  });

  it('certificate and key that do not match', async () => {
    const r = await runBin('chatd', [...base(), '--key', `${certs}/clients/alice.key`]);
    expect(r.code).to.equal(1);
    expect(oneLine(r.err)).to.match(/does not match/);
  });

  it('port in use', async () => {
    const blocker = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const r = await runBin('chatd', [...base(), '--port', String(port)]);
      expect(r.code).to.equal(1);
      expect(oneLine(r.err)).to.match(/address already in use/);
    } finally { blocker.close(); }
  });

  it('bad and unreachable databases', async () => {
    let r = await runBin('chatd', [...base(), '--db', 'postgres://x/y']);
    expect(r.code).to.equal(1);
    expect(oneLine(r.err)).to.match(/bad --db URL/);
    r = await runBin('chatd', [...base(), '--db', 'mysql://root@127.0.0.1:1/x']);
    expect(r.code).to.equal(1);
    expect(oneLine(r.err)).to.match(/unreachable/);
  });

  it('missing flags are a usage error (exit 2)', async () => {
    const r = await runBin('chatd', ['--port', '0']);
    expect(r.code).to.equal(2);
    expect(r.err).to.match(/missing --cert, --key, --ca/);
    // Usage errors are one line too, whatever yargs would print over several.
    for (const args of [['--client-cert', 'sometimes'], ['--bogus'], ['--cert-binding', 'maybe']]) {
      const u = await runBin('chatd', args);
      expect(u.code, args.join(' ')).to.equal(2);
      expect(u.err.trimEnd().split('\n'), args.join(' ')).to.have.length(1);
      expect(u.err).to.match(/^chatd: .+ \(see chatd --help\)\n$/);
    }
  });

  it('starts, prints its ready line with the chosen port, and stops on SIGTERM with exit 0', async () => {
    const child = await startBin('chatd', base());
    const m = /chatd listening on 127\.0\.0\.1:(\d+)/.exec(child.output());
    expect(m).to.not.equal(null);
    const c = await TestClient.connect(Number(m![1]), certs, 'alice');
    await c.waitFor((f) => f.type === 'welcome');
    child.kill('SIGTERM');
    expect((await c.waitFor((f) => f.type === 'bye')).code).to.equal('SHUTDOWN');
    expect(await exited(child)).to.equal(0);
  });
});

describe('npm start (chatd --dev) on a fresh checkout', function () {
  this.timeout(60000);
  it('creates dev certs, the database and a one-time admin, and prints how to connect', async () => {
    const dir = tmpdir('dev');
    try {
      const child = await startBin('chatd', ['--dev', '--port', '0'], { cwd: dir, ready: /to invite a second user[\s\S]*and then simply: npx chat-cli\n/ });
      const out = child.output();
      const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(out)![1]);
      const pw = /one-time password, shown once:\n {2}(\S+)\n/.exec(out)![1];
      expect(out).to.contain(`--port ${port} `);
      // The password is printed apart from any command, so no shell history keeps it.
      for (const line of out.split('\n').filter((l) => l.includes('npx '))) expect(line).not.to.contain(pw);
      expect(out).to.match(/development certificates in certs\//);
      expect(out).to.match(/npx chat-admin invite add bob --server 127\.0\.0\.1:\d+ --ca certs\/ca\.crt/);
      expect(out).to.contain('npx chat-cli enroll <code>');
      expect(out).to.match(/npx chat-cli .*--ca certs\/ca\.crt --cert certs\/clients\/admin\.crt --key certs\/clients\/admin\.key --user admin/);
      for (const f of ['ca.crt', 'ca.key', 'server.crt', 'server.key', 'clients/admin.crt', 'clients/admin.key']) {
        expect(fs.existsSync(path.join(dir, 'certs', f)), f).to.equal(true);
      }
      expect(fs.statSync(path.join(dir, 'certs', 'clients', 'admin.key')).mode & 0o777).to.equal(0o600);
      expect(fs.existsSync(path.join(dir, 'data', 'chatd.sqlite'))).to.equal(true);
      const c = await TestClient.connect(port, path.join(dir, 'certs'), 'admin');
      const ok = await c.login('admin', pw);
      expect(ok.user).to.include({ name: 'admin', role: 'owner', level: 1000, color: 'magenta' });
      c.close();
      child.kill('SIGTERM');
      expect(await exited(child)).to.equal(0);
    } finally { fs.rmSync(dir, { recursive: true, force: true }); }
  });
});
