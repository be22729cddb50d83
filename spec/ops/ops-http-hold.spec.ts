// The operator's HTTP port gives no peer a long hold on a socket (SECURITY.md: "requests and headers
// time out after 5 s"): a connection that sends nothing, or trickles its headers, is closed within
// seconds, as a probe or a scraper never needs longer.
import { expect } from 'chai';
import net from 'node:net';
import { OPS_MAX_CONNECTIONS } from '../../lib/ops-http.js';
import { withChatd } from '../helpers/chatd.js';
import { expireAfter } from '../../lib/timeout.js';
import { until } from '../helpers/wait.js';

/** Opens a plain TCP connection to the ops port; resolves how long it stayed open (ms), or null if still open after `maxMs`. */
function heldFor(port: number, maxMs: number, trickle: boolean): Promise<number | null> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const s = net.connect(port, '127.0.0.1');
    s.on('error', () => {});
    let timer: NodeJS.Timeout | undefined;
    if (trickle) {
      s.write('GET /metrics HTTP/1.1\r\nHost: x\r\n');
      let n = 0;
      timer = setInterval(() => s.write(`X-${n++}: y\r\n`), 500);
    }
    // Given up with expireAfter, as chatd gives up on answers: after a stall of this process past
    // maxMs, the server's close (due first) and this give-up would run in one timer phase, and the
    // FIN it sent is read only after it. 'end' is that FIN, read before the give-up runs.
    const give = expireAfter(maxMs, () => { clearInterval(timer); s.destroy(); resolve(null); });
    const closed = () => { clearInterval(timer); clearTimeout(give); resolve(Date.now() - t0); };
    s.on('end', closed);
    s.on('close', closed);
  });
}

describe('ops: the --metrics port holds no idle or slow connection', function () {
  this.timeout(30000);
  const t = withChatd({ config: { metrics: '127.0.0.1:0' } });

  it('closes a connection that sends nothing within seconds', async () => {
    const ms = await heldFor(t.chatd.ops!.port, 15000, false);
    expect(ms, 'an idle connection was still open after 15 s').to.not.equal(null);
    expect(ms!).to.be.below(8000);
  });

  it('closes a connection that trickles its headers within seconds', async () => {
    const ms = await heldFor(t.chatd.ops!.port, 15000, true);
    expect(ms, 'a slow-header connection was still open after 15 s').to.not.equal(null);
    expect(ms!).to.be.below(8000);
  });

  it('holds at most OPS_MAX_CONNECTIONS at once: a flood of idle connections cannot take the descriptors logins need', async () => {
    const port = t.chatd.ops!.port;
    const idle: net.Socket[] = [];
    try {
      for (let i = 0; i < OPS_MAX_CONNECTIONS; i++) {
        const s = net.connect(port, '127.0.0.1');
        s.on('error', () => {});
        idle.push(s);
      }
      await Promise.all(idle.map((s) => new Promise((r) => s.once('connect', r))));
      // Accepted by the kernel, then closed at once by the server, without an answer.
      const over = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status, () => 'refused');
      expect(over).to.equal('refused');
      // The chat port is untouched, and once the idle ones are gone a probe answers again.
      await t.login('alice');
      for (const s of idle) s.destroy();
      await until(async () => (await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status, () => 0)) === 200, 5000, 'the probe answered again', 50);
    } finally {
      for (const s of idle) s.destroy();
    }
  });
});
