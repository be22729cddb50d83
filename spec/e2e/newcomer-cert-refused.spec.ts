// Issue 19 item 2, client side: when chatd refuses chat-cli's certificate during the handshake,
// chat-cli says in one line what most likely happened instead of "connection closed by the server".
import { expect } from 'chai';
import fs from 'node:fs';
import type { Chatd } from '../../lib/app.js';
import { initCertDir, issueClientCert } from '../../lib/auth/certs.js';
import { tlsProblem } from '../../lib/client/link-errors.js';
import { pw, runCli } from '../helpers/cli-run.js';
import { makeWorld, startServer, tmpdir, type World } from '../helpers/world.js';

describe('e2e: chat-cli explains a refused client certificate', function () {
  this.timeout(30000);
  let world: World;
  let chatd: Chatd;
  let foreign: string;

  before(async () => {
    world = await makeWorld();
    foreign = tmpdir('foreign-ca');
    await initCertDir(foreign, ['localhost'], {});
    await issueClientCert(foreign, 'alice', {});
    chatd = await startServer(world);
  });
  after(async () => {
    await chatd?.stop();
    await world?.drop();
    fs.rmSync(foreign, { recursive: true, force: true });
  });

  it('a certificate from another CA: one line naming the likely cause, exit 1, no reconnect loop', async () => {
    const r = await runCli([
      '--port', String(chatd.address.port), '--ca', `${world.certs}/ca.crt`,
      '--cert', `${foreign}/clients/alice.crt`, '--key', `${foreign}/clients/alice.key`, '--user', 'alice', '--send', 'hi',
    ], { env: pw('alice') });
    expect(r.code).to.equal(1);
    const lines = r.err.trim().split('\n');
    expect(lines, r.err).to.have.length(1);
    expect(lines[0]).to.match(/^chat-cli: the server did not accept this certificate .*: is it from this server's CA/);
    expect(lines[0]).to.include(`${foreign}/clients/alice.crt`);
  });

  it('a certificate alert from the server (no certificate, unknown CA) says the same', () => {
    for (const code of ['ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA']) {
      const err = Object.assign(new Error('alert'), { code });
      expect(tlsProblem(err, 'localhost', 'me.crt')?.message).to.match(/^the server did not accept this certificate \(me\.crt\).*: is it from this server's CA/);
    }
  });
});
