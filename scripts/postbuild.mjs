// Makes the compiled binaries executable so `npx chat-admin …` and `./dist/cli/chatd.js` work
// straight after `npm install` (tsc keeps the shebang but not the mode bits).
import fs from 'node:fs';
import path from 'node:path';
const dir = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'dist', 'cli');
for (const f of fs.readdirSync(dir)) if (f.endsWith('.js')) fs.chmodSync(path.join(dir, f), 0o755);
// The build passed: what scripts/prepare.mjs compares the sources with.
fs.writeFileSync(path.join(dir, '..', '.built'), `${new Date().toISOString()}\n`);
