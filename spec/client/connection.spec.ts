// ChatConnection in-process against a real chatd: rooms restored exactly after a restart (lobby parted
// included), history de-duplicated, frames in order, a clean close.
import { expect } from 'chai';
import fs from 'node:fs';
import type { Chatd } from '../../lib/app.js';
import { ChatConnection } from '../../lib/client/connection.js';
import type { ServerFrame } from '../../lib/protocol/frames.js';
import { makeWorld, startServer, USERS, type World } from '../helpers/world.js';

function once(conn: ChatConnection, event: 'ready' | 'down' | 'closed', ms = 8000): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no ${event} within ${ms} ms`)), ms);
    conn.once(event as 'closed', () => { clearTimeout(t); resolve(); });
  });
}

describe('client/connection', function () {
  this.timeout(20000);
  let world: World;
  let chatd: Chatd;

  before(async () => {
    world = await makeWorld();
    chatd = await startServer(world);
  });
  after(async () => {
    await chatd?.stop();
    await world?.drop();
  });

  it('after a restart: logs in again, rejoins what the user joined, parts lobby if the user had, no message twice', async () => {
    const c = world.certs;
    const conn = new ChatConnection({
      host: '127.0.0.1', port: chatd.address.port, user: 'carol', password: USERS.carol!.password,
      ca: fs.readFileSync(`${c}/ca.crt`), cert: fs.readFileSync(`${c}/clients/carol.crt`), key: fs.readFileSync(`${c}/clients/carol.key`),
      backoff: { initialMs: 50, maxMs: 200 },
    });
    const frames: ServerFrame[] = [];
    conn.on('frame', (f, meta) => { if (!meta.internal) frames.push(f); });
    const ok = await conn.start();
    expect(ok.user.name).to.equal('carol');
    expect(conn.rooms).to.deep.equal(['lobby']);

    for (const line of ['//join dev', 'in dev', '//join ops', 'in ops', '//part lobby', '//join dev']) {
      const a = await conn.say(line);
      expect(a.type, JSON.stringify(a)).to.not.equal('error');
    }
    expect(conn.rooms).to.deep.equal(['ops', 'dev']);
    expect(conn.current).to.equal('dev');

    const port = chatd.address.port;
    const down = once(conn, 'down');
    await chatd.stop();
    await down;
    expect(conn.state).to.not.equal('ready');
    const ready = once(conn, 'ready');
    chatd = await startServer(world, { port });
    await ready;

    const session = [...chatd.node.sessions].find((s) => s.user?.name === 'carol')!;
    expect([...session.rooms].sort()).to.deep.equal(['dev', 'ops']);
    expect(session.current).to.equal('dev');
    expect(conn.rooms).to.deep.equal(['ops', 'dev']);
    const a = await conn.say('after');
    expect(a).to.include({ type: 'message', room: 'dev', text: 'after' });
    // A line chatd would answer with FRAME_TOO_LARGE and a close is refused before it is sent.
    await conn.say('x'.repeat(17_000)).then(() => expect.fail('sent'), (e: Error) => expect(e.message).to.match(/^line too long to send \(\d+ bytes/));
    expect(conn.state).to.equal('ready');

    // Every message id reached the front end once, whether live or in a history frame.
    const ids = frames.flatMap((f) => (f.type === 'message' ? [f.id] : f.type === 'history' ? f.messages.map((m) => m.id) : []));
    expect(ids.length).to.equal(new Set(ids).size);
    expect(ids.length).to.be.at.least(3);

    const closed = once(conn, 'closed');
    await conn.close();
    await closed;
    expect(conn.state).to.equal('closed');
    await conn.say('too late').then(() => expect.fail('sent after close'), (e: Error) => expect(e.message).to.match(/closed/));
  });
});
