// `prepare` (npm ci, npm install, and the first `npx chatd` in a checkout, which installs the checkout
// into npx's cache): builds dist/ unless it is newer than every source. A spec run starts `npx chatd`
// (the README's way), and a full rebuild there rewrote all of dist/ under the specs still running.
// `npm run build` always builds.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.join(path.dirname(new URL(import.meta.url).pathname), '..');
const stamp = path.join(root, 'dist', '.built'); // written by postbuild.mjs after a build that passed
const SOURCES = ['lib', 'cli', 'migrations', 'spec', 'bench', 'scripts', 'tsconfig.json', 'package.json', 'package-lock.json'];

/** The newest modification time under `p` (a file or a folder), 0 when it does not exist. */
function newest(p) {
  let st;
  try { st = fs.statSync(p); } catch { return 0; }
  if (!st.isDirectory()) return st.mtimeMs;
  let t = 0;
  for (const e of fs.readdirSync(p)) t = Math.max(t, newest(path.join(p, e)));
  return t;
}

const built = newest(stamp);
if (built > 0 && SOURCES.every((s) => newest(path.join(root, s)) <= built)) {
  process.stdout.write('dist/ is newer than every source: not rebuilt (npm run build rebuilds)\n');
} else {
  const r = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  process.exit(r.status ?? 1);
}
