// withTimeout (lib/timeout.ts) gives up on a wait, not on an answer that is already there: after an
// event loop stall longer than the timeout, an answer that arrived meanwhile still wins.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { withTimeout } from '../lib/timeout.js';

const ECHO = "require('net').createServer((s) => s.on('data', (d) => s.write(d))).listen(0, '127.0.0.1', function () { console.log(this.address().port); })";

describe('withTimeout', () => {
  it('rejects with a TimeoutError when nothing answers in time', async () => {
    const never = new Promise<never>(() => {});
    const err = await withTimeout(never, 20).catch((e: Error) => e);
    expect(err).to.have.property('name', 'TimeoutError');
  });

  it('resolves with an answer that arrived while the event loop was stalled past the timeout', async () => {
    // The echo runs in another process: one in this process could not answer during the stall.
    const server = spawn(process.execPath, ['-e', ECHO], { stdio: ['ignore', 'pipe', 'inherit'] });
    const port = Number(await new Promise<string>((r) => server.stdout.once('data', (d) => r(String(d)))));
    const sock = net.connect(port, '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    try {
      const echo = new Promise<string>((resolve) => sock.once('data', (d) => resolve(d.toString())));
      sock.write('ping');
      const answer = withTimeout(echo, 100);
      // The echo comes back within milliseconds; this process is busy for 1 s meanwhile (a loaded
      // machine, a long GC), so the answer and the timer are both due when the loop turns again.
      const until = Date.now() + 1000;
      while (Date.now() < until) { /* stall */ }
      expect(await answer).to.equal('ping');
    } finally {
      sock.destroy();
      server.kill();
    }
  });
});
