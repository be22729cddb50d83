// A fresh resume token in bye SHUTDOWN (issue 18, reconnect storm; PROTOCOL.md "Resume tokens"):
// a chatd that ran longer than limits.resumeTokenTtlMs has only expired login tokens out there, so
// without this every client would come back after a restart with its password (a hash each). Real
// chatd on the same database before and after, real mutual TLS, real clients. Expiry is waited for
// by the clock against the expiry written in the token itself, never by a blind sleep.
import { expect } from 'chai';
import { TestClient, type Frame } from '../helpers/client.js';
import { withChatd, type ChatdFixture } from '../helpers/chatd.js';
import { flags, pw, Run } from '../helpers/cli-run.js';
import { TcpProxy } from '../helpers/proxy.js';
import { until } from '../helpers/wait.js';
import { dbKinds } from '../helpers/world.js';
import { countingHashes, recordIssuedTokens } from '../helpers/hashes.js';

const TOKEN = /^v1\.[1-9]\d*\.[1-9]\d*\.[A-Za-z0-9_-]{43}$/;
/**
 * Short enough that a login's token expires within the test, long enough that a token issued at the
 * shutdown outlives the restart and chat-cli's first reconnect on a busy two-core machine.
 */
const TTL_MS = 4000;

const expiryOf = (token: string): number => Number(token.split('.')[2]);

/** Until the clock is past the token's expiry: then the server refuses it (expires > now is its rule). */
async function expired(token: string): Promise<void> {
  const at = expiryOf(token);
  await until(async () => Date.now() > at, TTL_MS + 5000, `token expiry at ${at}`);
}

let ids = 0;
/** A resume login on a fresh connection; its answer (login_ok or error). */
async function resumeLogin(t: ChatdFixture, user: string, resume: string): Promise<Frame> {
  const c = await t.connect(user);
  await c.waitFor((f) => f.type === 'welcome', 5000, 'welcome');
  const id = `B${++ids}`;
  c.send({ type: 'login', user, resume, id });
  return c.waitFor((f) => f.id === id && (f.type === 'login_ok' || f.type === 'error'), 10000, 'answer to the resume login');
}

/** A client logged in by password, NOT closed by the fixture's stop(): it is to read the bye. Returns its login_ok too. */
async function loggedIn(t: ChatdFixture, user: string, opened: TestClient[]): Promise<{ c: TestClient; ok: Frame }> {
  const c = await TestClient.connect(t.port, t.world.certs, user);
  opened.push(c);
  const ok = await c.login(user);
  expect(ok.type).to.equal('login_ok');
  return { c, ok };
}

for (const kind of dbKinds()) {
  describe(`e2e: a fresh resume token in bye SHUTDOWN (${kind})`, function () {
    this.timeout(40000);
    const t = withChatd({ each: true, kind, logLevel: 'info', config: { limits: { resumeTokenTtlMs: TTL_MS } } });
    const opened: TestClient[] = [];
    beforeEach(() => { t.logs.length = 0; });
    afterEach(() => { for (const c of opened.splice(0)) c.close(); });
    const loginLines = () => t.logs.map((l) => JSON.parse(l)).filter((l) => l.msg === 'login').map((l) => [l.user, l.method]);

    it("after the login's token expired: the bye carries a fresh one, which logs in after the restart without a hash", async () => {
      const { c: alice, ok } = await loggedIn(t, 'alice', opened);
      const { c: bob } = await loggedIn(t, 'bob', opened);
      await expired(ok.resume);
      await t.stop();
      const bye = await alice.waitFor((f) => f.type === 'bye', 5000, 'bye');
      expect(bye).to.include({ code: 'SHUTDOWN' });
      expect(bye.resume).to.match(TOKEN).and.not.equal(ok.resume);
      expect(expiryOf(bye.resume)).to.be.above(Date.now());
      expect(Object.keys(bye).sort()).to.deep.equal(['code', 'reason', 'resume', 'type']);
      const bobBye = await bob.waitFor((f) => f.type === 'bye', 5000, 'bye');
      expect(bobBye.resume).to.match(TOKEN).and.not.equal(bye.resume); // each session its own (another user)

      await t.restart();
      // The login's own token is dead: without the bye's, this client would need its password.
      expect(await resumeLogin(t, 'alice', ok.resume)).to.include({ type: 'error', code: 'AUTH_FAILED' });
      const { result: again, hashes } = await countingHashes(() => resumeLogin(t, 'alice', bye.resume));
      expect(again).to.include({ type: 'login_ok' });
      expect(hashes).to.equal(0);
      expect(loginLines()).to.deep.equal([['alice', 'password'], ['bob', 'password'], ['alice', 'resume']]);
      expect(t.logs.join('')).to.not.include(bye.resume.split('.')[3]); // no token in the log
    });

    it('other byes carry no token: KICKED', async () => {
      const { c: mod } = await loggedIn(t, 'mod', opened);
      const { c: bob } = await loggedIn(t, 'bob', opened);
      expect((await mod.command('//kick bob enough')).type).to.equal('result');
      const bye = await bob.waitFor((f) => f.type === 'bye', 5000, 'bye');
      expect(bye.code).to.equal('KICKED');
      expect(bye).to.not.have.property('resume');
    });

    it('a session without a client certificate, and a disabled account, get a bye without a token', async () => {
      await t.restart({ clientCert: 'optional', limits: { resumeTokenTtlMs: TTL_MS } });
      const anon = await TestClient.connect(t.port, t.world.certs, 'carol', { certOf: null });
      opened.push(anon);
      expect((await anon.login('carol')).type).to.equal('login_ok');
      const { c: dave } = await loggedIn(t, 'dave', opened);
      const daveId = (await t.world.store.getUser('dave'))!.id;
      await t.world.store.setDisabled(daveId, true); // as chat-admin would; the node's poll has not kicked him yet
      await t.stop();
      for (const c of [anon, dave]) {
        const bye = await c.waitFor((f) => f.type === 'bye', 5000, 'bye');
        expect(bye.code).to.equal('SHUTDOWN');
        expect(bye).to.not.have.property('resume');
      }
    });
  });
}

describe('e2e: bye SHUTDOWN with the database gone', function () {
  this.timeout(40000);
  const t = withChatd({ each: true, logLevel: 'info', config: { limits: { resumeTokenTtlMs: TTL_MS, dbTimeoutMs: 500 } } });
  const opened: TestClient[] = [];
  afterEach(() => { for (const c of opened.splice(0)) c.close(); });

  it('a failing database (its pool destroyed): the byes arrive at once, without a token, as before tokens', async () => {
    const { c: alice } = await loggedIn(t, 'alice', opened);
    await t.chatd.node.store.knex.destroy();
    const started = Date.now();
    const stopping = t.stop();
    const bye = await alice.waitFor((f) => f.type === 'bye', 5000, 'bye');
    expect(Date.now() - started).to.be.below(1000);
    expect(bye).to.include({ code: 'SHUTDOWN' });
    expect(bye).to.not.have.property('resume');
    await stopping;
    expect(t.logs.some((l) => l.includes('byes without resume tokens'))).to.equal(true);
  });
});

describe('e2e: bye SHUTDOWN with the database silent (mysql behind a frozen relay)', function () {
  this.timeout(40000);
  const MYSQL = process.env.CHATD_TEST_MYSQL;
  let proxy: TcpProxy | null = null;
  const t = withChatd({
    each: true, kind: 'mysql', logLevel: 'info',
    config: async (world) => {
      proxy = await TcpProxy.inFrontOf(world.db, 3306);
      return { db: proxy.url, limits: { resumeTokenTtlMs: TTL_MS, dbTimeoutMs: 500 } };
    },
  });
  const opened: TestClient[] = [];
  afterEach(async () => {
    for (const c of opened.splice(0)) c.close();
    await proxy?.stop();
    proxy = null;
  });

  it('the query hangs: the byes wait limits.dbTimeoutMs at most, then go without a token', async function () {
    if (!MYSQL) return this.skip();
    const { c: alice } = await loggedIn(t, 'alice', opened);
    proxy!.freeze(); // the database's connections go silent, their sockets stay open
    const started = Date.now();
    const stopping = t.stop();
    try {
      const bye = await alice.waitFor((f) => f.type === 'bye', 5000, 'bye');
      const waited = Date.now() - started;
      expect(waited).to.be.at.least(450).and.below(1500); // it did ask the database, and gave up in time
      expect(bye).to.include({ code: 'SHUTDOWN' });
      expect(bye).to.not.have.property('resume');
    } finally {
      await proxy!.cut(); // the stuck queries fail, so the pool closes and the stop ends
      await stopping;
    }
  });

  it('with a database timeout as long as the grace period: the wait for tokens takes half the grace at most, the bye still arrives', async function () {
    if (!MYSQL) return this.skip();
    await t.restart({ limits: { resumeTokenTtlMs: TTL_MS, dbTimeoutMs: 5000, shutdownGraceMs: 2000 } });
    const { c: alice } = await loggedIn(t, 'alice', opened);
    proxy!.freeze();
    const started = Date.now();
    const stopping = t.stop();
    try {
      // The node gets the grace less 500 ms (lib/server.ts): 1,500 ms, so 750 ms for the tokens.
      const bye = await alice.waitFor((f) => f.type === 'bye', 5000, 'bye');
      expect(Date.now() - started).to.be.at.least(700).and.below(1300);
      expect(bye).to.include({ code: 'SHUTDOWN' });
      expect(bye).to.not.have.property('resume');
    } finally {
      await proxy!.cut();
      await stopping;
    }
  });
});

describe('e2e: chat-cli reconnects with the token of bye SHUTDOWN', function () {
  this.timeout(40000);
  const t = withChatd({ each: true, logLevel: 'info', config: { limits: { resumeTokenTtlMs: TTL_MS } } });
  const runs: Run[] = [];
  /** Every token chatd issued in this test (at login and at shutdown): none may appear in what chat-cli prints. */
  const issued = recordIssuedTokens();
  beforeEach(() => { t.logs.length = 0; });
  afterEach(() => { for (const r of runs.splice(0)) r.kill(); });

  const lines = () => t.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
  const methods = (user: string) => lines().filter((l) => l.msg === 'login' && l.user === user).map((l) => l.method);
  const failed = (user: string) => lines().filter((l) => l.msg === 'login failed' && l.user === user).map((l) => l.code);

  it("after the login's token expired: chat-cli logs in again by the bye's token (method resume, no failure), and prints no token", async () => {
    const bob = Run.start([...flags(t.world.certs, t.port, 'bob'), '--json'], { env: pw('bob') });
    runs.push(bob);
    await bob.waitOut(/"type":"login_ok"/);
    expect(issued).to.have.length(1);
    await expired(issued[0]!);
    const seen = bob.err.length;
    await t.stop();
    await bob.until(() => /"type":"bye"/.test(bob.out), 'the bye printed');
    await t.restart();
    await bob.until(() => (bob.out.match(/"type":"login_ok"/g) ?? []).length === 2, 'the second login_ok');
    expect(bob.err.slice(seen)).to.not.match(/AUTH_FAILED|token/i);
    expect(methods('bob')).to.deep.equal(['password', 'resume']);
    expect(failed('bob')).to.deep.equal([]);
    expect(issued).to.have.length(3); // login, bye, the resumed login's
    const byes = bob.out.split('\n').filter((l) => l.includes('"type":"bye"')).map((l) => JSON.parse(l));
    expect(byes.map((b) => [b.code, Object.keys(b).includes('resume')])).to.deep.equal([['SHUTDOWN', false]]);
    expect(issued.filter((tok) => bob.out.includes(tok.split('.')[3]!) || bob.err.includes(tok.split('.')[3]!))).to.deep.equal([]);
  });
});
