import fs from 'node:fs';
import { expect } from 'chai';

// The WebAssembly half of lib/auth/argon2: its bytes are generated from a .wat.

describe('argon2id’s WebAssembly block function (lib/auth/argon2-block.wat)', () => {
  it('is what the committed lib/auth/argon2-block.wasm.ts holds (else: npm run gen:argon2-wasm)', async () => {
    // From dist/spec/auth/ to the repository's scripts/ (the .wat is read from lib/, not dist/).
    const script = new URL('../../../scripts/argon2-wasm.mjs', import.meta.url).href;
    const { assemble, moduleText, TS_PATH } = (await import(script)) as {
      assemble: () => Promise<Uint8Array>; moduleText: (bytes: Uint8Array) => string; TS_PATH: string;
    };
    expect(fs.readFileSync(TS_PATH, 'utf8')).to.equal(moduleText(await assemble()));
  });
});
