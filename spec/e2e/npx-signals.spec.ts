// The README's way of running nodes in a script, exactly: `npx chatd … &` then `kill $(jobs -p)`.
// npm does not pass the signal on, so this used to leave chatd serving with its port taken.
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { cleanEnv } from '../helpers/bin.js';
import { freshDb, ROOT, sharedCerts, tmpdir } from '../helpers/world.js';

const refused = (port: number) => new Promise<boolean>((resolve) => {
  const s = net.connect(port, '127.0.0.1');
  s.once('connect', () => { s.destroy(); resolve(false); });
  s.once('error', () => resolve(true));
});

describe('npx chatd in a script, as the README runs it', function () {
  this.timeout(90000);

  it('stops when the script kills its jobs, and frees the port', async () => {
    const certs = await sharedCerts();
    const db = await freshDb('sqlite');
    const dir = tmpdir('npx');
    try {
      // Steps 4 and 7 of the README's two-node example, with port 0 and this checkout's package.
      const script = [
        `TLS="--cert ${certs}/server.crt --key ${certs}/server.key --ca ${certs}/ca.crt"`,
        `cd ${JSON.stringify(ROOT)}`,
        `npx chatd $TLS --db "${db.url}" --port 0 >${dir}/a.out 2>${dir}/a.log &`,
        `until grep -q listening ${dir}/a.out; do sleep 0.2; done`,
        'kill $(jobs -p)',
        'wait',
      ].join('\n');
      const sh = spawn('bash', ['-c', script], { env: cleanEnv(), stdio: 'ignore' });
      expect(await new Promise((r) => sh.on('close', r))).to.be.oneOf([0, 143]);
      const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(fs.readFileSync(path.join(dir, 'a.out'), 'utf8'))![1]);
      const deadline = Date.now() + 15000;
      while (!(await refused(port))) {
        if (Date.now() > deadline) throw new Error(`chatd still listens on ${port} after its script ended`);
        await sleep(100); // polling the port: there is no event for "nobody listens"
      }
      expect(fs.readFileSync(path.join(dir, 'a.log'), 'utf8')).to.match(/shutting down/);
    } finally {
      await db.drop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
