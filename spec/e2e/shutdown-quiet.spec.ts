// Issue 18, reconnect storm: nothing is written to a session after its bye. On a stop (SIGTERM, a
// restart) every session gets bye SHUTDOWN and its socket is ended; chatd used to send each closing
// session's quit event to every other session of the room all the same, each one a failed write
// (ERR_STREAM_WRITE_AFTER_END, an Error with its stack): with 1,000 clients in the lobby, seconds of
// every restart (BENCHMARKS.md, reconnect section).
import { expect } from 'chai';
import type tls from 'node:tls';
import type { Session } from '../../lib/session.js';
import { TestClient } from '../helpers/client.js';
import { withChatd } from '../helpers/chatd.js';

/** Counts writes to the session's socket once it has been ended. */
function writesAfterEnd(s: Session): () => number {
  const sock = s.socket as tls.TLSSocket;
  let n = 0;
  const write = sock.write.bind(sock) as (...a: unknown[]) => boolean;
  (sock as unknown as { write: (...a: unknown[]) => boolean }).write = (...a: unknown[]) => {
    if (sock.writableEnded) n++;
    return write(...a);
  };
  return () => n;
}

describe('e2e: nothing is written to a session after its bye', function () {
  this.timeout(30000);
  const t = withChatd({ each: true });

  it('an event for a session that said bye SHUTDOWN (a quit of the room, during a stop) is not written', async () => {
    const alice = await t.login('alice');
    const session = [...t.chatd.node.sessions].find((s) => s.user?.name === 'alice')!;
    const after = writesAfterEnd(session);
    session.bye('SHUTDOWN');
    session.send({ type: 'event', event: 'quit', room: 'lobby', user: 'bob', ts: new Date().toISOString() });
    expect(await alice.waitFor((f) => f.type === 'bye')).to.include({ code: 'SHUTDOWN' });
    await alice.waitClosed();
    expect(after(), 'writes to the ended socket').to.equal(0);
    expect(alice.frames.filter((f) => f.type === 'event' && f.event === 'quit'), 'the quit after the bye').to.deep.equal([]);
  });

  it('a stop with sessions in the lobby: each gets bye SHUTDOWN, and nothing after it', async () => {
    // Not the fixture's clients: its stop() closes those first.
    const clients = await Promise.all(['alice', 'bob', 'carol', 'dave'].map((u) => TestClient.loggedIn(t.port, t.world.certs, u)));
    const counts = [...t.chatd.node.sessions].map(writesAfterEnd);
    const byes = clients.map((c) => c.waitFor((f) => f.type === 'bye', 10000, 'bye'));
    await t.stop();
    for (const b of await Promise.all(byes)) expect(b).to.include({ code: 'SHUTDOWN' });
    expect(counts.map((c) => c())).to.deep.equal([0, 0, 0, 0]);
  });
});
