// chat-cli with piped stdin (`tail -f app.log | chat-cli`, a bot fed by a pipe) runs for as long as
// the pipe does. It read every line at once into its send queue, however far ahead of the server's
// answers it was, and kept a promise per line sent until EOF: memory grew with everything ever piped
// in. Now it stops reading while a bounded number of lines wait for their answers, and keeps nothing
// of a line once it is answered.
import { expect } from 'chai';
import fs from 'node:fs';
import { PassThrough } from 'node:stream';
import { ChatConnection } from '../../lib/client/connection.js';
import { runScript, SCRIPT_LINES_AHEAD } from '../../lib/client/script.js';
import { MONO } from '../../lib/render.js';
import { withChatd } from '../helpers/chatd.js';
import { USERS } from '../helpers/world.js';

describe('client/script: piped stdin is read as fast as it is answered', function () {
  this.timeout(60000);
  const t = withChatd({ config: { limits: { floodBurst: 10_000, floodRate: 10_000, floodKickCount: 10_000 } } });

  it('3,000 lines written at once: at most SCRIPT_LINES_AHEAD (+1) wait in the send queue, and every one is sent', async () => {
    const c = t.world.certs;
    const conn = new ChatConnection({
      host: '127.0.0.1', port: t.port, user: 'alice', password: USERS.alice!.password,
      ca: fs.readFileSync(`${c}/ca.crt`), cert: fs.readFileSync(`${c}/clients/alice.crt`), key: fs.readFileSync(`${c}/clients/alice.key`),
    });
    const queue = (conn as unknown as { queue: { jobs: unknown[] } }).queue;
    let most = 0;
    const origPush = queue.jobs.push.bind(queue.jobs);
    queue.jobs.push = (...items: unknown[]) => { const n = origPush(...items); most = Math.max(most, n); return n; };
    const input = new PassThrough();
    const sink = { write: () => true };
    const done = runScript(conn, input, { json: false, stdout: sink, stderr: sink, outTheme: MONO, errTheme: MONO });
    const N = 3000;
    for (let i = 0; i < N; i++) input.write(`piped ${i}\n`);
    input.end();
    expect(await done).to.equal(0);
    expect(most, 'lines waiting in the send queue at once').to.be.at.most(SCRIPT_LINES_AHEAD + 1);
    expect(await t.chatd.node.history.drain(10_000)).to.equal(true);
    const last = await t.world.store.history('lobby', 2);
    expect(last.map((m) => m.text)).to.deep.equal([`piped ${N - 2}`, `piped ${N - 1}`]);
  });
});
