// node-forge is loaded on first use (lib/forge.ts): it cost every binary ~40 ms of its start, and only
// certificate work needs it. A static import of it anywhere on a binary's import path brings that back.
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { runBin } from '../helpers/bin.js';
import { tmpdir } from '../helpers/world.js';

describe('binaries: node-forge is loaded only for certificate work', function () {
  this.timeout(30000);
  let dir: string;
  let env: Record<string, string>;
  before(() => {
    dir = tmpdir('startup-forge');
    // Preloaded into the binary: at exit, how many of node-forge's files were loaded.
    const preload = path.join(dir, 'count-forge.cjs');
    fs.writeFileSync(preload, `process.on('exit', () => process.stderr.write('forge files: ' + Object.keys(require.cache).filter((f) => f.includes('/node-forge/')).length + '\\n'));\n`);
    env = { NODE_OPTIONS: `--require ${preload}` };
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const forgeFiles = (err: string) => Number(/forge files: (\d+)/.exec(err)?.[1] ?? NaN);

  for (const bin of ['chatd', 'chat-admin', 'chat-cli', 'chat-migrate', 'chat-certs']) {
    it(`${bin} starts without it`, async () => {
      const r = await runBin(bin, ['--help'], { env });
      expect(r.code).to.equal(0);
      expect(forgeFiles(r.err)).to.equal(0);
    });
  }

  it('chat-certs loads it to make a certificate (the count above can see it)', async () => {
    const r = await runBin('chat-certs', ['init', '--dir', path.join(dir, 'certs'), '--hosts', 'localhost'], { env });
    expect(r.code, r.err).to.equal(0);
    expect(forgeFiles(r.err)).to.be.greaterThan(0);
  });
});
