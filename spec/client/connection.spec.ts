// ChatConnection in-process against a real chatd: rooms restored exactly after a restart (lobby parted
// included), history de-duplicated, frames in order, a clean close.
import { expect } from 'chai';
import fs from 'node:fs';
import { ChatConnection } from '../../lib/client/connection.js';
import type { ServerFrame } from '../../lib/protocol/frames.js';
import { TcpProxy } from '../helpers/proxy.js';
import { withChatd } from '../helpers/chatd.js';
import { deadline } from '../helpers/wait.js';
import { USERS } from '../helpers/world.js';

function once(conn: ChatConnection, event: 'ready' | 'down' | 'closed', ms = 8000): Promise<void> {
  return deadline(ms, () => `no ${event} within ${ms} ms`, (resolve) => {
    const on = () => resolve();
    conn.once(event as 'closed', on);
    return () => conn.off(event as 'closed', on);
  });
}

describe('client/connection', function () {
  this.timeout(20000);
  const t = withChatd();

  function connect(user: string, port: number): ChatConnection {
    const c = t.world.certs;
    return new ChatConnection({
      host: '127.0.0.1', port, user, password: USERS[user]!.password,
      ca: fs.readFileSync(`${c}/ca.crt`), cert: fs.readFileSync(`${c}/clients/${user}.crt`), key: fs.readFileSync(`${c}/clients/${user}.key`),
      backoff: { initialMs: 50, maxMs: 200 },
    });
  }

  /** The next frame `conn` passes to its front end that matches. */
  function frameOf(conn: ChatConnection, what: string, match: (f: ServerFrame) => boolean, ms = 8000): Promise<ServerFrame> {
    return deadline(ms, () => `${what}: not within ${ms} ms`, (resolve) => {
      const on = (f: ServerFrame) => { if (match(f)) resolve(f); };
      conn.on('frame', on);
      return () => conn.off('frame', on);
    });
  }
  const heard = (conn: ChatConnection, text: string) => frameOf(conn, `"${text}"`, (f) => f.type === 'message' && f.text === text);

  /**
   * An outage on `proxy` while `conn` is connected through it: down, `meanwhile`, back, logged in
   * again, and the lobby's join history received (whatever the client makes of it has happened).
   */
  async function bounce(proxy: TcpProxy, conn: ChatConnection, meanwhile?: () => Promise<void>): Promise<void> {
    const down = once(conn, 'down');
    await proxy.cut();
    await down;
    await meanwhile?.();
    const ready = once(conn, 'ready');
    const history = frameOf(conn, 'lobby history after the reconnect', (f) => f.type === 'history' && f.room === 'lobby');
    await proxy.restore();
    await Promise.all([ready, history]);
  }

  it('a line that arrived but whose answer was lost is not sent again; one that never arrived is', async () => {
    const proxy = new TcpProxy('127.0.0.1', t.port);
    await proxy.start();
    const dave = connect('dave', proxy.port);
    const bob = connect('bob', t.port);
    try {
      await dave.start();
      await bob.start();
      const daveFrames: ServerFrame[] = [];
      dave.on('frame', (f) => daveFrames.push(f));

      // 1. The say reaches chatd (bob hears it), the answer is lost, then the connection dies.
      proxy.deafen();
      const bobHeard = heard(bob, 'arrived once');
      const first = dave.say('arrived [b]once[/b]'); // chatd stores it sanitized; matched as stored
      await bobHeard;
      await bounce(proxy, dave);
      expect(await first).to.include({ type: 'message', text: 'arrived once', room: 'lobby' });

      // 2. The say never leaves the client's side of a dead path: sent again after the reconnect.
      const dropped = proxy.nextDrop();
      proxy.freeze();
      const second = dave.say('never arrived');
      await dropped; // the say went into the dead path
      await bounce(proxy, dave);
      const again = await second;
      expect(again).to.include({ type: 'message', text: 'never arrived' });
      expect(again).to.have.property('ack').that.is.a('string'); // answered live, after the resend

      await t.chatd.node.history.drain(5000);
      const texts = (await t.world.store.history('lobby', 200)).map((m) => m.text);
      expect(texts.filter((t) => t === 'arrived once'), 'stored once').to.have.length(1);
      expect(texts.filter((t) => t === 'never arrived'), 'stored once').to.have.length(1);
      const shown = daveFrames.flatMap((f) => (f.type === 'message' ? [f] : f.type === 'history' ? f.messages : []));
      expect(shown.filter((m) => m.text === 'arrived once'), 'shown once (from the history)').to.have.length(1);
    } finally {
      await dave.close();
      await bob.close();
      await proxy.stop();
    }
  });

  it('resumes after an outage with every line said meanwhile, once and in order; says so only when the server cut the replay', async () => {
    const small = await t.start({ limits: { resumeMax: 30 } });
    const proxy = new TcpProxy('127.0.0.1', small.address.port);
    await proxy.start();
    const dave = connect('dave', proxy.port);
    const bob = connect('bob', small.address.port);
    const status: string[] = [];
    const shown: string[] = [];
    dave.on('status', (t) => status.push(t));
    dave.on('frame', (f) => {
      if (f.type === 'message' && f.room === 'lobby') shown.push(f.text);
      if (f.type === 'history' && f.room === 'lobby') shown.push(...f.messages.map((m) => m.text));
    });
    const said: string[] = [];
    const outage = (lines: number) => bounce(proxy, dave, async () => {
      for (let i = 0; i < lines; i++) said.push((await bob.say(`while away ${lines}.${i}`) as { text: string }).text);
    });
    try {
      await dave.start();
      await bob.start();
      const seen = heard(dave, 'before');
      said.push('before');
      await bob.say('before');
      await seen;
      await outage(3);
      await outage(25); // more than the 20 messages sent on a plain join: all of them all the same
      await dave.say('marker');
      expect(shown.slice(shown.indexOf('before'))).to.deep.equal([...said, 'marker']); // earlier tests' lobby before it
      expect(status.filter((t) => /history 200/.test(t))).to.deep.equal([]);
      await outage(40); // more than limits.resumeMax
      expect(status.filter((t) => /history 200/.test(t))).to.deep.equal(['#lobby: more was said while you were away than replayed here; //history 200 shows more']);
    } finally {
      await dave.close();
      await bob.close();
      await proxy.stop();
    }
  });

  it('after a restart: logs in again, rejoins what the user joined, parts lobby if the user had, no message twice', async () => {
    const conn = connect('carol', t.port);
    try {
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

      const down = once(conn, 'down');
      await t.stop();
      await down;
      expect(conn.state).to.not.equal('ready');
      const ready = once(conn, 'ready');
      await t.restart();
      await ready;

      const session = [...t.chatd.node.sessions].find((s) => s.user?.name === 'carol')!;
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
    } finally {
      await conn.close(); // a failed assertion must not leave it reconnecting for the rest of the run
    }
  });
});

describe('client/connection: rooms a server says were joined', () => {
  it('keeps only room names, and no more than MAX_ROOMS (40,000 unasked join results blocked the client)', async () => {
    const { MAX_ROOMS } = await import('../../lib/client/shown-messages.js');
    const conn = new ChatConnection({ host: '127.0.0.1', port: 1, user: 'dave', password: 'x', ca: Buffer.alloc(0), cert: Buffer.alloc(0), key: Buffer.alloc(0) });
    const track = (room: unknown) => (conn as unknown as { trackRooms(f: unknown): void }).trackRooms({ type: 'result', command: 'join', text: '', data: { room } });
    for (let i = 0; i < MAX_ROOMS + 500; i++) track(`r${i}`);
    track('not a room!');
    track({ toString: () => 'lobby' });
    expect(conn.rooms).to.have.length(MAX_ROOMS);
    expect(conn.rooms.every((r) => /^r\d+$/.test(r))).to.equal(true);
  });
});
