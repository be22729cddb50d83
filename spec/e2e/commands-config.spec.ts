// Config keys that name commands, and config typos: matched like typed commands, refused at start.
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { buildConfig } from '../../lib/config.js';
import { runBin } from '../helpers/bin.js';
import { TestClient } from '../helpers/client.js';
import { withChatd } from '../helpers/chatd.js';
import { sharedCerts, tmpdir } from '../helpers/world.js';

describe('commands config: commandLevels and unknown keys', function () {
  let certs: string;
  let dir: string;
  before(async () => { certs = await sharedCerts(); dir = tmpdir('cmdcfg'); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const run = (cfg: unknown) => {
    const file = path.join(dir, `cfg-${Math.random().toString(36).slice(2)}.json`);
    fs.writeFileSync(file, JSON.stringify(cfg));
    return runBin('chatd', ['--cert', `${certs}/server.crt`, '--key', `${certs}/server.key`, '--ca', `${certs}/ca.crt`,
      '--db', `sqlite:${dir}/x.sqlite`, '--port', '0', '--config', file]);
  };
  const errLines = (s: string) => s.trim().split('\n').filter((l) => l && !l.startsWith('{'));

  it('an unknown command in commandLevels is a config error: exit 2, one line naming it', async () => {
    const r = await run({ commandLevels: { frobnicate: 5 } });
    expect(r.code, r.err).to.equal(2);
    expect(errLines(r.err)).to.have.length(1);
    expect(errLines(r.err)[0]).to.match(/commandLevels.*frobnicate/);
  });

  it('an unknown top-level key (a typo) is a config error: exit 2, one line naming it', async () => {
    const r = await run({ limts: { maxText: 100 } });
    expect(r.code, r.err).to.equal(2);
    expect(errLines(r.err)).to.have.length(1);
    expect(errLines(r.err)[0]).to.match(/limts/);
  });

  it('commandLevels keys are case-insensitive in validation', () => {
    expect(() => buildConfig({ commandLevels: { Ban: 100 } })).to.not.throw();
    expect(() => buildConfig({ commandLevels: { BANN: 100 } })).to.throw(/BANN/);
  });

  describe('e2e', () => {
    const t = withChatd({ config: { commandLevels: { Ban: 100 } } });

    it('{"Ban": 100} raises //ban to level 100', async () => {
      const mod = await TestClient.loggedIn(t.port, t.world.certs, 'mod');
      const r = await mod.command('//ban bob 10m');
      expect(r).to.include({ type: 'error', code: 'FORBIDDEN' });
      expect(r.message).to.match(/needs level 100/);
      mod.close();
    });
  });
});
