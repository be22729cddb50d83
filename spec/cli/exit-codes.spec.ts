// Issue 19 item 7: bad usage exits 2 in every binary (the README's promise), with one line naming the
// problem; runtime failures exit 1. One table for all five binaries.
import { expect } from 'chai';
import fs from 'node:fs';
import { runBin } from '../helpers/bin.js';
import { tmpdir } from '../helpers/world.js';

const USAGE: Array<[string, string[]]> = [
  ['chat-cli', ['--port', '99999']],
  ['chat-cli', ['--port', '0']],
  ['chat-cli', ['--port', 'abc']],
  ['chat-cli', ['--send', '']],
  ['chat-cli', ['--send', '   ']],
  ['chat-cli', ['--idle-timeout', '-1']],
  ['chat-cli', ['--bogus']],
  ['chatd', ['--bogus']],
  ['chatd', ['--port', '99999', '--dev']],
  ['chatd', ['--tls-min-version', 'TLSv1.1']],
  ['chatd', ['--client-cert', 'maybe']],
  ['chatd', ['--cert', 'a.crt']],
  ['chatd', ['--log-level', 'loud']],
  ['chat-admin', []],
  ['chat-admin', ['user']],
  ['chat-admin', ['user', 'add']],
  ['chat-admin', ['--bogus']],
  ['chat-migrate', []],
  ['chat-migrate', ['bogus']],
  ['chat-migrate', ['latest', '--bogus']],
  ['chat-certs', []],
  ['chat-certs', ['client']],
  ['chat-certs', ['--bogus']],
  ['chat-certs', ['init', '--hosts', '', '--dir', 'certs']],
];

describe('cli: bad usage exits 2 in every binary', function () {
  this.timeout(120000);
  let cwd: string;
  before(() => { cwd = tmpdir('usage'); });
  after(() => fs.rmSync(cwd, { recursive: true, force: true }));

  for (const [bin, args] of USAGE) {
    it(`${bin} ${args.map((a) => (a === '' || /\s/.test(a) ? JSON.stringify(a) : a)).join(' ')} → 2, one line`, async () => {
      const r = await runBin(bin, args, { cwd });
      expect(r.code, r.err).to.equal(2);
      expect(r.err.trim().split('\n'), r.err).to.have.length(1);
      expect(r.err).to.match(new RegExp(`^${bin}: `));
      expect(fs.readdirSync(cwd), 'a usage error leaves nothing behind').to.deep.equal([]);
    });
  }
});
