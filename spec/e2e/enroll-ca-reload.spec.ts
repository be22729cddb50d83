// SIGHUP reloads the CA file (DESIGN "Reliability"; SECURITY.md "Rotate"): enrollment must follow it.
// It once kept the CA PEM and CA key it read at start, so after a CA rotation enroll_hello still
// named the old CA (chat-cli refuses an invite whose fingerprint is the new one) and the certificates
// it signed came from a CA the listener no longer trusts. Real chatd binary, real SIGHUP.
import { expect } from 'chai';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { initCertDir } from '../../lib/auth/certs.js';
import { newKeyAndCsr } from '../../lib/client/keys.js';
import { exited, startBin } from '../helpers/bin.js';
import { TestClient } from '../helpers/client.js';
import { enrollRaw, inviteCode } from '../helpers/enroll.js';
import { until } from '../helpers/wait.js';
import { makeWorld, tmpdir, type World } from '../helpers/world.js';

describe('e2e: SIGHUP with a new CA (enrollment follows it)', function () {
  this.timeout(60000);
  let world: World;
  let live: string;
  let next: string;
  let child: Awaited<ReturnType<typeof startBin>> | undefined;

  before(async () => {
    world = await makeWorld();
    live = tmpdir('ca-live');
    next = tmpdir('ca-next');
    for (const f of ['server.crt', 'server.key', 'ca.crt', 'ca.key']) fs.copyFileSync(path.join(world.certs, f), path.join(live, f));
    fs.writeFileSync(path.join(live, 'cfg.json'), JSON.stringify({ password: { m: 256, t: 1, p: 1 } }));
    await initCertDir(next, ['localhost', '127.0.0.1']);
  });
  after(async () => {
    if (child && child.exitCode === null) { child.kill('SIGTERM'); await exited(child); }
    await world?.drop();
    for (const d of [live, next]) if (d) fs.rmSync(d, { recursive: true, force: true });
  });

  it('enroll_hello names the new CA, and a certificate enrolled after the reload is signed by it and logs in', async () => {
    child = await startBin('chatd', ['--cert', `${live}/server.crt`, '--key', `${live}/server.key`, '--ca', `${live}/ca.crt`,
      '--ca-key', `${live}/ca.key`, '--db', world.db, '--port', '0', '--config', `${live}/cfg.json`, '--log-format', 'json']);
    const port = Number(/listening on [\d.]+:(\d+)/.exec(child.output())![1]);
    const alice = await TestClient.loggedIn(port, world.certs, 'alice'); // signed by the old CA: kept through the reload

    for (const f of ['server.crt', 'server.key', 'ca.crt', 'ca.key']) fs.copyFileSync(path.join(next, f), path.join(live, f));
    const from = child.output().length;
    child.kill('SIGHUP');
    await until(async () => /certificates reloaded/.test(child!.output().slice(from)), 10000, 'certificates reloaded');

    const newCa = fs.readFileSync(`${next}/ca.crt`, 'utf8');
    const { hello } = await enrollRaw(port, next, null);
    expect(hello?.ca, 'enroll_hello after the reload').to.equal(newCa);

    const { invite } = await inviteCode(world.db, next, 'erin');
    const { keyPem, csrPem } = await newKeyAndCsr('erin');
    const r = await enrollRaw(port, next, { type: 'enroll', id: 'e1', user: 'erin', token: invite.t, csr: csrPem, password: 'correct horse battery' });
    expect(r.answer).to.include({ type: 'enrolled' });
    const issued = new crypto.X509Certificate(String(r.answer!.cert));
    expect(issued.verify(new crypto.X509Certificate(newCa).publicKey), 'signed by the new CA').to.equal(true);

    fs.mkdirSync(path.join(next, 'clients'), { recursive: true });
    fs.writeFileSync(path.join(next, 'clients', 'erin.crt'), String(r.answer!.cert));
    fs.writeFileSync(path.join(next, 'clients', 'erin.key'), keyPem, { mode: 0o600 });
    const erin = await TestClient.connect(port, next, 'erin');
    expect((await erin.login('erin', 'correct horse battery')).type).to.equal('login_ok');
    expect((await alice.command('//whoami')).type).to.equal('result');
    erin.close(); alice.close();

    // A CA key that belongs to no certificate of the CA file: refused, one line, the pair kept.
    fs.copyFileSync(path.join(world.certs, 'ca.key'), path.join(live, 'ca.key'));
    const again = child.output().length;
    child.kill('SIGHUP');
    await until(async () => /enrollment CA reload refused/.test(child!.output().slice(again)), 10000, 'enrollment CA reload refused');
    expect((await enrollRaw(port, next, null)).hello?.ca).to.equal(newCa);
  });
});
