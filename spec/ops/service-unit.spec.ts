// contrib/chatd.service: systemd accepts it, and it says what an operator relies on.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../helpers/world.js';

const UNIT = path.join(ROOT, 'contrib', 'chatd.service');

describe('contrib/chatd.service', function () {
  this.timeout(30000);

  it('passes systemd-analyze verify without a warning about it', function () {
    const r = spawnSync('systemd-analyze', ['verify', UNIT], { encoding: 'utf8' });
    if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') this.skip(); // no systemd-analyze on this machine
    const aboutUnit = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.includes('chatd.service'));
    expect(aboutUnit, 'systemd-analyze said').to.deep.equal([]);
    expect(r.status, r.stderr).to.equal(0);
  });

  it('runs chatd directly as its own user, reloads with SIGHUP, restarts on failure, raises the file limit', () => {
    const unit = fs.readFileSync(UNIT, 'utf8');
    expect(unit).to.match(/^User=chatd$/m);
    expect(unit).to.match(/^ExecStart=\/usr\/bin\/env node \/opt\/chatd\/dist\/cli\/chatd\.js /m);
    expect(unit).not.to.match(/^ExecStart=.*\bnpm\b/m);
    expect(unit).to.match(/^ExecReload=\/bin\/kill -HUP \$MAINPID$/m);
    expect(unit).to.match(/^Restart=on-failure$/m);
    expect(unit).to.match(/^LimitNOFILE=\d+$/m);
    expect(unit).to.match(/^ProtectSystem=strict$/m).and.to.match(/^NoNewPrivileges=yes$/m);
  });
});
