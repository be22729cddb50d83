import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { argon2id as nobleArgon2id } from '@noble/hashes/argon2.js';
import { argon2id, type Argon2idParams } from '../../lib/auth/argon2.js';

// The WebAssembly half of lib/auth/argon2: its bytes are generated from a .wat, and a thread keeps
// one memory for small hashes (≤ 1024 blocks) while larger ones get their own.

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const noble = (password: string, salt: Uint8Array, params: Argon2idParams): Uint8Array =>
  nobleArgon2id(password, salt, { ...params, version: 0x13 });

describe('argon2id’s WebAssembly block function (lib/auth/argon2-block.wat)', () => {
  it('is what the committed lib/auth/argon2-block.wasm.ts holds (else: npm run gen:argon2-wasm)', async () => {
    // From dist/spec/auth/ to the repository's scripts/ (the .wat is read from lib/, not dist/).
    const script = new URL('../../../scripts/argon2-wasm.mjs', import.meta.url).href;
    const { assemble, moduleText, TS_PATH } = (await import(script)) as {
      assemble: () => Promise<Uint8Array>; moduleText: (bytes: Uint8Array) => string; TS_PATH: string;
    };
    expect(fs.readFileSync(TS_PATH, 'utf8')).to.equal(moduleText(await assemble()));
  });

  it('gives noble’s outputs with small hashes (shared memory) and large ones (own memory) interleaved', () => {
    const salt = Buffer.from('interleavedsalt!');
    const cases: Argon2idParams[] = [
      { m: 64, t: 1, p: 1, dkLen: 32 },
      { m: 2048, t: 2, p: 1, dkLen: 32 }, // 2048 blocks: a memory of its own
      { m: 1024, t: 1, p: 1, dkLen: 32 }, // exactly the shared memory's 1024 blocks
      { m: 1028, t: 1, p: 1, dkLen: 32 }, // one row of 4 blocks more
      { m: 8, t: 3, p: 1, dkLen: 64 },
      { m: 1100, t: 1, p: 4, dkLen: 32 },
      { m: 300, t: 2, p: 3, dkLen: 48 },
      { m: 64, t: 1, p: 1, dkLen: 32 }, // the first case again, after all the others
    ];
    for (const [i, params] of cases.entries()) {
      expect(hex(argon2id(`pw${i % 7}`, salt, params)), JSON.stringify(params)).to.equal(hex(noble(`pw${i % 7}`, salt, params)));
    }
  });

  it('falls back to noble’s argon2id where WebAssembly is missing (node --jitless)', () => {
    const module = fileURLToPath(new URL('../../lib/auth/argon2.js', import.meta.url));
    const code = `import { argon2id } from ${JSON.stringify(module)};
      if (typeof WebAssembly !== 'undefined') throw new Error('WebAssembly is there');
      process.stdout.write(Buffer.from(argon2id('pw', Buffer.from('saltsaltsalt'), { m: 64, t: 2, p: 2, dkLen: 32 })).toString('hex'));`;
    const out = execFileSync(process.execPath, ['--jitless', '--input-type=module', '-e', code], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    expect(out).to.equal(hex(noble('pw', Buffer.from('saltsaltsalt'), { m: 64, t: 2, p: 2, dkLen: 32 })));
  });

  it('falls back to noble’s argon2id where no WebAssembly memory can be had (an address-space limit)', function () {
    if (process.platform !== 'linux') this.skip();
    const module = fileURLToPath(new URL('../../lib/auth/argon2.js', import.meta.url));
    // Under ulimit -v 3 GB, V8 cannot reserve a WebAssembly memory's guard regions: the control
    // line proves that, then the hash must still come out (and right).
    const code = `import { argon2id } from ${JSON.stringify(module)};
      let refused = false;
      try { new WebAssembly.Memory({ initial: 1 }); } catch { refused = true; }
      if (!refused) throw new Error('WebAssembly memory was allocated: the limit did not bite');
      process.stdout.write(Buffer.from(argon2id('pw', Buffer.from('saltsaltsalt'), { m: 64, t: 2, p: 2, dkLen: 32 })).toString('hex'));`;
    const out = execFileSync('/bin/sh', ['-c', 'ulimit -v 3000000 && exec "$0" --input-type=module -e "$1"', process.execPath, code],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(out).to.equal(hex(noble('pw', Buffer.from('saltsaltsalt'), { m: 64, t: 2, p: 2, dkLen: 32 })));
  });
});
