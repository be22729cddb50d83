// What a session answers, against a real chatd: exactly one error echoing the id whatever a handler
// throws; a bye SENDQ_EXCEEDED that reaches a client that reads; history before the join it precedes.
import { expect } from 'chai';
import { ChatdError } from '../../lib/errors.js';
import { TestClient } from '../helpers/client.js';
import { withChatd, type ChatdFixture } from '../helpers/chatd.js';
import { USERS } from '../helpers/world.js';

/** Every frame the client receives, in arrival order, as "type" or "history room" or "event room user". */
function arrivals(c: TestClient): string[] {
  const order: string[] = [];
  const push = c.frames.push.bind(c.frames);
  c.frames.push = (...frames) => {
    for (const f of frames) order.push(f.type === 'event' ? `${f.event} ${f.room} ${f.user}` : f.type === 'history' ? `history ${f.room}` : f.type);
    return push(...frames);
  };
  return order;
}

/** Logs in through the text-mode prompts (no ALPN, as openssl s_client does). */
async function textLogin(srv: ChatdFixture, user: string): Promise<TestClient> {
  const t = await TestClient.connect(srv.port, srv.world.certs, user, { alpn: false });
  await t.waitText(/login: $/);
  t.send(user);
  await t.waitText(/password: $/);
  t.send(USERS[user].password);
  return t;
}

describe('session answers: a failing handler', function () {
  const srv = withChatd({ logLevel: 'error' });
  const logs = srv.logs;
  before(() => {
    // A handler that fails the way a bug or a dependency would, whatever the command dispatcher maps.
    const node = srv.chatd.node;
    const input = node.input.bind(node);
    node.input = async (s, f) => {
      const text = f.kind === 'say' ? f.text : f.line;
      if (text === 'bug') throw new TypeError('boom in a handler');
      if (text === 'coded') throw new ChatdError('SERVICE_UNAVAILABLE', 'the store is away');
      return input(s, f);
    };
  });

  it('answers an unexpected throw with exactly one INTERNAL echoing the id, logged once with its stack', async () => {
    const c = await TestClient.loggedIn(srv.port, srv.world.certs, 'alice');
    logs.length = 0;
    c.send({ type: 'say', text: 'bug', id: 'b1' });
    c.send({ type: 'ping', id: 'after' });
    const err = await c.waitFor((f) => f.type === 'error');
    expect(err).to.include({ code: 'INTERNAL', message: 'internal error', id: 'b1' });
    await c.waitFor((f) => f.type === 'pong' && f.id === 'after');
    expect(c.frames.filter((f) => f.type === 'error')).to.deep.equal([]);
    const failed = logs.map((l) => JSON.parse(l)).filter((l) => l.msg === 'session handler failed');
    expect(failed).to.have.length(1);
    expect(failed[0].err).to.match(/^TypeError: boom in a handler\n\s+at /);
    c.close();
  });

  it('keeps the code and message of a ChatdError, with the id, and logs nothing', async () => {
    const c = await TestClient.loggedIn(srv.port, srv.world.certs, 'bob');
    logs.length = 0;
    c.send({ type: 'command', line: 'coded', id: 7 });
    c.send({ type: 'ping', id: 'after' });
    const err = await c.waitFor((f) => f.type === 'error');
    expect(err).to.deep.equal({ type: 'error', code: 'SERVICE_UNAVAILABLE', message: 'the store is away', id: 7 });
    await c.waitFor((f) => f.type === 'pong' && f.id === 'after');
    expect(c.frames.filter((f) => f.type === 'error')).to.deep.equal([]);
    expect(logs).to.deep.equal([]);
    c.close();
  });

  it('answers a text-mode line whose handler throws with one error line', async () => {
    const t = await textLogin(srv, 'carol');
    await t.waitText(/logged in as/);
    const from = t.text.length;
    t.send('bug');
    t.send('//whoami');
    await t.waitText(/error INTERNAL: internal error[\s\S]*carol/, 5000, from);
    expect(t.text.slice(from).match(/error /g)).to.have.length(1);
    t.close();
  });
});

describe('session answers: over the send queue', function () {
  // One answer (login_ok with its motd) larger than the whole send queue.
  const srv = withChatd({ config: { motd: `motd ${'m'.repeat(6000)} end`, limits: { sendqBytes: 4096 } } });

  it('a client that reads gets the answer, then bye SENDQ_EXCEEDED, then the close (JSON)', async () => {
    const c = await TestClient.connect(srv.port, srv.world.certs, 'alice');
    await c.waitFor((f) => f.type === 'welcome');
    c.send({ type: 'login', user: 'alice', password: USERS.alice.password, id: 'L' });
    const ok = await c.waitFor((f) => f.type === 'login_ok');
    expect(ok.motd).to.match(/^motd m+ end$/);
    expect(await c.waitFor((f) => f.type === 'bye')).to.deep.equal({ type: 'bye', code: 'SENDQ_EXCEEDED', reason: 'send queue exceeded' });
    await c.waitClosed();
    expect(c.frames).to.deep.equal([]); // nothing queued after the bye
    expect([...srv.chatd.node.sessions].some((s) => s.user?.name === 'alice')).to.equal(false);
    // Ended while logging in: it did not join the lobby after all (no member is a closed session).
    const rooms = (srv.chatd.node as unknown as { rooms: Map<string, Set<{ closed: boolean }>> }).rooms;
    expect([...(rooms.get('lobby') ?? [])].filter((s) => s.closed)).to.deep.equal([]);
  });

  it('a client that reads gets the answer, then bye SENDQ_EXCEEDED, then the close (text mode)', async () => {
    const t = await textLogin(srv, 'bob');
    await t.waitText(/motd m+ end\n[\s\S]*bye SENDQ_EXCEEDED: send queue exceeded\n$/);
    await t.waitClosed();
  });
});

describe('session answers: joining a room', function () {
  const srv = withChatd();

  it('text mode shows the history before the join event it precedes', async () => {
    const alice = await TestClient.loggedIn(srv.port, srv.world.certs, 'alice');
    await alice.say('said before dave came');
    const t = await textLogin(srv, 'dave');
    const text = await t.waitText(/dave joined/);
    const history = text.indexOf('said before dave came');
    expect(history, text).to.be.greaterThan(-1);
    expect(history, text).to.be.lessThan(text.indexOf('dave joined'));
    alice.close(); t.close();
  });

  it('JSON: the history frame comes before the join event, on login and on //join', async () => {
    const alice = await TestClient.loggedIn(srv.port, srv.world.certs, 'alice');
    await alice.command('//join dev');
    await alice.say('dev history', 'dev');
    const bob = await TestClient.connect(srv.port, srv.world.certs, 'bob');
    const order = arrivals(bob);
    expect((await bob.login('bob')).type).to.equal('login_ok');
    await bob.command('//join dev');
    await bob.waitFor((f) => f.type === 'event' && f.event === 'join' && f.user === 'bob' && f.room === 'dev');
    expect(order.filter((o) => o.startsWith('history') || o.endsWith('bob'))).to.deep.equal(['history lobby', 'join lobby bob', 'history dev', 'join dev bob']);
    alice.close(); bob.close();
  });
});
