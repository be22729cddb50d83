// `chatd --dev --config f`: SIGHUP with the file unchanged changes nothing and asks for no restart
// (the development CA key that --dev signs enrollments with is part of the reloaded config too).
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { exited, startBin } from '../helpers/bin.js';
import { until } from '../helpers/wait.js';
import { tmpdir } from '../helpers/world.js';

describe('ops: SIGHUP under --dev', function () {
  this.timeout(60000);
  it('an unchanged config file reloads with nothing to restart', async () => {
    const dir = tmpdir('dev-reload');
    try {
      fs.writeFileSync(path.join(dir, 'chatd.json'), JSON.stringify({ password: { m: 256, t: 1, p: 1 } }));
      const child = await startBin('chatd', ['--dev', '--port', '0', '--metrics', '127.0.0.1:0', '--config', 'chatd.json', '--log-format', 'json'],
        { cwd: dir, ready: /and then simply: npx chat-cli\n/ });
      try {
        child.kill('SIGHUP');
        await until(async () => /"msg":"config reloaded"/.test(child.output()), 10000, 'config reloaded');
        expect(child.output()).not.to.match(/needsRestart|next restart/);
      } finally {
        child.kill('SIGTERM');
        await exited(child);
      }
    } finally { fs.rmSync(dir, { recursive: true, force: true }); }
  });
});
