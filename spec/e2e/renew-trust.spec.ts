// chat-cli's renewal keeps the working certificate unless the one the server sends back chains to
// the CA this profile trusts (ca.crt) and is valid now. Here chatd's --ca is a bundle of the
// profile's CA and a second CA whose key signs renewals: a certificate chat-cli could use with no
// other server of that CA, which it must not put in place of the working one.
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { startChatd, type Chatd } from '../../lib/app.js';
import { createCA } from '../../lib/auth/certs.js';
import { newKeyAndCsr } from '../../lib/client/keys.js';
import { Logger } from '../../lib/log.js';
import { runBin } from '../helpers/bin.js';
import { agedCert } from '../helpers/enroll.js';
import { makeWorld, testConfig, tmpdir, USERS, type World } from '../helpers/world.js';

describe('e2e: chat-cli renewal trusts only its profile\'s CA', function () {
  this.timeout(60000);
  let world: World;
  let dir: string;
  let chatd: Chatd;
  before(async () => {
    world = await makeWorld();
    dir = tmpdir('renew-trust');
    const other = await createCA({ cn: 'some other CA' });
    fs.writeFileSync(path.join(dir, 'bundle.crt'), fs.readFileSync(`${world.certs}/ca.crt`, 'utf8') + other.certPem);
    fs.writeFileSync(path.join(dir, 'other.key'), other.keyPem, { mode: 0o600 });
    chatd = await startChatd(testConfig(world, { caKey: path.join(dir, 'other.key') }),
      { cert: `${world.certs}/server.crt`, key: `${world.certs}/server.key`, ca: path.join(dir, 'bundle.crt') }, new Logger('silent'));
  });
  after(async () => {
    await chatd?.stop();
    await world?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a renewed certificate from a CA the profile does not trust is not written; the old key and certificate stay, and it says why', async () => {
    const profile = path.join(dir, 'xdg', 'chatd');
    fs.mkdirSync(profile, { recursive: true });
    const { keyPem } = await newKeyAndCsr('carol');
    const oldCert = agedCert(world.certs, 'carol', keyPem, 20, 5);
    fs.writeFileSync(path.join(profile, 'carol.key'), keyPem, { mode: 0o600 });
    fs.writeFileSync(path.join(profile, 'carol.crt'), oldCert);
    fs.copyFileSync(`${world.certs}/ca.crt`, path.join(profile, 'ca.crt'));
    fs.writeFileSync(path.join(profile, 'config.json'), JSON.stringify({ host: '127.0.0.1', port: chatd.address.port, user: 'carol', ca: 'ca.crt', cert: 'carol.crt', key: 'carol.key' }));
    const env = { XDG_CONFIG_HOME: path.join(dir, 'xdg'), CHATD_PASSWORD: USERS.carol!.password };

    const r = await runBin('chat-cli', ['--send', 'renew me'], { env });
    expect(r.code, r.err).to.equal(0);
    expect(r.err).to.match(/certificate renewal: .*not signed by the CA .*keeping the old one/);
    expect(r.err).not.to.match(/certificate renewed/);
    expect(fs.readFileSync(path.join(profile, 'carol.crt'), 'utf8')).to.equal(oldCert);
    expect(fs.readFileSync(path.join(profile, 'carol.key'), 'utf8')).to.equal(keyPem);
    expect(fs.readdirSync(profile).filter((f) => f.endsWith('.tmp'))).to.deep.equal([]);
  });
});
