// Assembles lib/auth/argon2-block.wat (the readable source) into lib/auth/argon2-block.wasm.ts (its
// bytes, base64, which the build compiles like any module): `npm run gen:argon2-wasm` after editing
// the .wat. spec/auth/argon2-wasm.spec.ts calls assemble() to check the committed file is current.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import wabt from 'wabt';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
export const WAT_PATH = path.join(root, 'lib/auth/argon2-block.wat');
export const TS_PATH = path.join(root, 'lib/auth/argon2-block.wasm.ts');

/** The .wat assembled (no names section: the bytes depend on the code alone). */
export async function assemble() {
  const module = (await wabt()).parseWat('argon2-block.wat', fs.readFileSync(WAT_PATH, 'utf8'));
  try {
    module.validate();
    return Uint8Array.from(module.toBinary({ write_debug_names: false, canonicalize_lebs: true }).buffer);
  } finally {
    module.destroy();
  }
}

/** The generated module's text for `bytes`. */
export function moduleText(bytes) {
  const base64 = Buffer.from(bytes).toString('base64').match(/.{1,96}/g).map((line) => `  '${line}',`).join('\n');
  return `// Generated from ./argon2-block.wat by \`npm run gen:argon2-wasm\` (scripts/argon2-wasm.mjs): do not edit.
// ${bytes.length} bytes of WebAssembly, base64.
export const ARGON2_BLOCK_WASM_BASE64 = [
${base64}
].join('');
`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const bytes = await assemble();
  fs.writeFileSync(TS_PATH, moduleText(bytes));
  console.log(`${path.relative(root, TS_PATH)}: ${bytes.length} bytes`);
}
