// Resume tokens (issue 18, reconnect storm; PROTOCOL.md "Resume tokens"): a login_ok of a JSON
// session carries `resume`, and `{"type":"login","user","resume"}` logs in with it without a
// password hash. Real chatd, real mutual TLS, real database. A refused token is a wrong password in
// every respect, and a valid one meets every other check of a login.
import { expect } from 'chai';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { ResumeTokens } from '../../lib/auth/resume-token.js';
import { TestClient, type Frame } from '../helpers/client.js';
import { withChatd } from '../helpers/chatd.js';
import { USERS } from '../helpers/world.js';
import { countingHashes } from '../helpers/hashes.js';

let ids = 0;
const welcomed = new WeakSet<TestClient>();
/** Sends a resume login and returns its answer (login_ok or error); chatd keeps the connection after a refusal. */
async function resumeLogin(c: TestClient, user: string, resume: string): Promise<Frame> {
  if (!welcomed.has(c)) await c.waitFor((f) => f.type === 'welcome', 5000, 'welcome');
  welcomed.add(c);
  const id = `R${++ids}`;
  c.send({ type: 'login', user, resume, id });
  return c.waitFor((f) => f.id === id && (f.type === 'login_ok' || f.type === 'error'), 10000, 'answer to the resume login');
}

const TOKEN = /^v1\.[1-9]\d*\.[1-9]\d*\.[A-Za-z0-9_-]{43}$/;

describe('e2e: resume tokens', function () {
  this.timeout(30000);
  // A fresh world per test: refused tokens count against names and addresses.
  const t = withChatd({ each: true, logLevel: 'info' });
  beforeEach(() => { t.logs.length = 0; }); // the fixture keeps one log for the whole suite

  /** alice logged in with her password; her token. */
  async function aliceToken(): Promise<string> {
    const c = await t.connect('alice');
    const ok = await c.login('alice');
    expect(ok.type).to.equal('login_ok');
    expect(ok.resume).to.match(TOKEN);
    c.close();
    return ok.resume;
  }

  /** A token made with the key in the database, as a node would make it (for expiry and tampering). */
  async function forge(user: string, cert: string, expires: number): Promise<string> {
    const secret = await t.world.store.serverSecret('resume-token');
    const u = (await t.world.store.getUser(user))!;
    const fingerprint = new crypto.X509Certificate(fs.readFileSync(`${t.world.certs}/clients/${cert}.crt`)).fingerprint256;
    return new ResumeTokens(secret).issue(u, fingerprint, expires);
  }

  const loginLines = () => t.logs.map((l) => JSON.parse(l)).filter((l) => l.msg === 'login');
  const failedLines = () => t.logs.map((l) => JSON.parse(l)).filter((l) => l.msg === 'login failed');

  it('a token logs in without the password and without a hash; the login_ok brings a fresh one', async () => {
    const token = await aliceToken();
    const c = await t.connect('alice');
    const { result: ok, hashes } = await countingHashes(() => resumeLogin(c, 'alice', token));
    expect(ok).to.include({ type: 'login_ok', room: 'lobby' });
    expect(ok.user).to.include({ name: 'alice', role: 'user' });
    expect(hashes).to.equal(0);
    expect(ok.resume).to.match(TOKEN).and.not.equal(token);
    expect(loginLines().map((l) => [l.user, l.method])).to.deep.equal([['alice', 'password'], ['alice', 'resume']]);
    // A session logged in by token is a session like any other.
    expect((await c.say('back, cheaply')).type).to.equal('message');
    // The token is no secret of the log: neither line holds it.
    expect(t.logs.join('')).to.not.include(token.split('.')[3]);
  });

  it('a token made with the key in the database logs in; an expired one is AUTH_FAILED', async () => {
    const good = await forge('alice', 'alice', Date.now() + 60_000);
    expect((await resumeLogin(await t.connect('alice'), 'alice', good)).type).to.equal('login_ok');
    const expired = await forge('alice', 'alice', Date.now() - 1);
    expect(await resumeLogin(await t.connect('alice'), 'alice', expired)).to.include({ type: 'error', code: 'AUTH_FAILED' });
  });

  it('a token valid further ahead than limits.resumeTokenTtlMs allows is refused (a lowered lifetime shortens tokens out)', async () => {
    const token = await forge('alice', 'alice', Date.now() + 10 * 60_000);
    await t.restart({ limits: { resumeTokenTtlMs: 60_000 } });
    expect(await resumeLogin(await t.connect('alice'), 'alice', token)).to.include({ type: 'error', code: 'AUTH_FAILED' });
  });

  it('a tampered token is AUTH_FAILED: another expiry, another user id, a changed MAC, garbage', async () => {
    await t.restart({ limits: { loginFailLimit: 100, loginIpBurst: 100 } }); // eight refusals in a row, each answered on its own
    const token = await aliceToken();
    const [v, id, exp, mac] = token.split('.') as [string, string, string, string];
    const bobId = (await t.world.store.getUser('bob'))!.id;
    const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
    const bad = [
      [v, id, String(Number(exp) + 60_000), mac], [v, String(bobId), exp, mac], [v, id, exp, flip(mac, 0)], [v, id, exp, flip(mac, 42)],
      ['v2', id, exp, mac],
    ].map((p) => p.join('.'));
    bad.push('', 'x'.repeat(5000), token + '.');
    for (const b of bad) {
      expect(await resumeLogin(await t.connect('alice'), 'alice', b), b.slice(0, 80)).to.include({ type: 'error', code: 'AUTH_FAILED' });
    }
    expect((await resumeLogin(await t.connect('alice'), 'alice', token)).type).to.equal('login_ok');
  });

  it("another user's token is AUTH_FAILED; and a token is bound to the certificate even with --cert-binding none", async () => {
    const token = await aliceToken();
    // bob, on his own certificate, with alice's token.
    expect(await resumeLogin(await t.connect('bob'), 'bob', token)).to.include({ type: 'error', code: 'AUTH_FAILED' });
    await t.restart({ certBinding: 'none' });
    // alice's name and token on bob's certificate: the password would do, the token does not.
    expect(await resumeLogin(await t.connect('bob'), 'alice', token)).to.include({ type: 'error', code: 'AUTH_FAILED' });
    const c = await t.connect('alice');
    expect((await resumeLogin(c, 'alice', token)).type).to.equal('login_ok');
    const other = await t.connect('bob');
    expect((await other.login('alice')).type).to.equal('login_ok');
  });

  it('//passwd voids every token of the user', async () => {
    const token = await aliceToken();
    const c = await t.login('alice');
    expect((await c.command(`//passwd ${USERS.alice!.password} Alice-new-pass-5678`)).type).to.equal('result');
    expect(await resumeLogin(await t.connect('alice'), 'alice', token)).to.include({ type: 'error', code: 'AUTH_FAILED' });
  });

  it('a token outlives a restart of chatd on the same database (the key is kept there)', async () => {
    const token = await aliceToken();
    await t.restart();
    const c = await t.connect('alice');
    const { result: ok, hashes } = await countingHashes(() => resumeLogin(c, 'alice', token));
    expect(ok.type).to.equal('login_ok');
    expect(hashes).to.equal(0);
  });

  it('a new key (the row deleted) voids the tokens issued with the old one', async () => {
    const token = await aliceToken();
    await t.stop();
    await t.world.store.knex('server_secrets').where({ name: 'resume-token' }).del();
    await t.restart();
    expect(await resumeLogin(await t.connect('alice'), 'alice', token)).to.include({ type: 'error', code: 'AUTH_FAILED' });
    expect((await resumeLogin(await t.connect('alice'), 'alice', (await aliceToken()))).type).to.equal('login_ok');
  });

  it('limits.resumeTokenTtlMs 0: no token in login_ok, and a token is refused as AUTH_FAILED', async () => {
    const token = await aliceToken();
    await t.restart({ limits: { resumeTokenTtlMs: 0 } });
    const c = await t.connect('alice');
    const ok = await c.login('alice');
    expect(ok.type).to.equal('login_ok');
    expect(ok).to.not.have.property('resume');
    expect(await resumeLogin(await t.connect('alice'), 'alice', token)).to.include({ type: 'error', code: 'AUTH_FAILED' });
  });

  it('a refused token counts like a wrong password: the failed-login line, then the lock (the right password too)', async () => {
    await t.restart({ limits: { loginFailLimit: 2 } });
    const wrong = (await aliceToken()).replace(/\.[^.]+$/, '.' + 'A'.repeat(43));
    expect(await resumeLogin(await t.connect('alice'), 'alice', wrong)).to.include({ type: 'error', code: 'AUTH_FAILED' });
    expect(failedLines().map((l) => [l.user, l.code])).to.deep.equal([['alice', 'AUTH_FAILED']]);
    expect(await resumeLogin(await t.connect('alice'), 'alice', wrong)).to.include({ type: 'error', code: 'AUTH_FAILED' });
    expect(await (await t.connect('alice')).login('alice')).to.include({ type: 'error', code: 'AUTH_LOCKED' });
  });

  it('a refused token costs the address a failed-login token like a wrong password (RATE_LIMITED past the burst)', async () => {
    await t.restart({ certBinding: 'none', limits: { loginIpBurst: 2, loginIpRate: 0.001 } }); // three names on one connection
    const c = await t.connect('alice');
    expect(await resumeLogin(c, 'alice', 'v1.1.1.' + 'A'.repeat(43))).to.include({ code: 'AUTH_FAILED' });
    expect(await resumeLogin(c, 'nobody', 'v1.1.1.' + 'A'.repeat(43))).to.include({ code: 'AUTH_FAILED' });
    expect(await resumeLogin(c, 'bob', 'v1.1.1.' + 'A'.repeat(43))).to.include({ code: 'RATE_LIMITED' });
  });

  it("a banned user's valid token is refused with BANNED; a lock stored for the name with AUTH_LOCKED", async () => {
    const token = await aliceToken();
    const mod = await t.login('mod');
    expect((await mod.command('//ban alice 10m spam')).type).to.equal('result');
    expect(await resumeLogin(await t.connect('alice'), 'alice', token)).to.include({ type: 'error', code: 'BANNED' });
    const bobs = await (await t.connect('bob')).login('bob');
    await t.world.store.setLoginLock('bob', Date.now() + 60_000);
    expect(await resumeLogin(await t.connect('bob'), 'bob', bobs.resume)).to.include({ type: 'error', code: 'AUTH_LOCKED' });
  });

  it('a login frame with both password and resume is BAD_FRAME; an unknown name with a token is AUTH_FAILED', async () => {
    const c = await t.connect('alice');
    await c.waitFor((f) => f.type === 'welcome');
    welcomed.add(c);
    c.send({ type: 'login', user: 'alice', password: USERS.alice!.password, resume: 'v1.1.1.x', id: 'both' });
    expect(await c.waitFor((f) => f.id === 'both')).to.include({ type: 'error', code: 'BAD_FRAME' });
    c.send({ type: 'login', user: 'alice', resume: 42, id: 'num' });
    expect(await c.waitFor((f) => f.id === 'num')).to.include({ type: 'error', code: 'BAD_FRAME' });
    const ghost = await t.connect('ghost');
    expect(await resumeLogin(ghost, 'ghost', await forge('alice', 'ghost', Date.now() + 60_000))).to.include({ type: 'error', code: 'AUTH_FAILED' });
  });

  it('no token without a client certificate to bind it to (--client-cert optional)', async () => {
    await t.restart({ clientCert: 'optional' });
    const c = await t.connect(null, { certOf: null });
    const ok = await c.login('alice');
    expect(ok.type).to.equal('login_ok');
    expect(ok).to.not.have.property('resume');
  });
});

for (const kind of ['sqlite', 'mysql'] as const) {
  describe(`e2e: resume tokens across nodes (${kind})`, function () {
    this.timeout(30000);
    const t = withChatd({ kind });

    it('a token issued by one node logs in on another node of the same database (one key, made once)', async () => {
      const other = await t.start();
      const ok = await (await t.connect('alice')).login('alice');
      const c = await TestClient.connect(other.address.port, t.world.certs, 'alice');
      try {
        const { result, hashes } = await countingHashes(() => resumeLogin(c, 'alice', ok.resume));
        expect(result.type).to.equal('login_ok');
        expect(hashes).to.equal(0);
      } finally {
        c.close();
      }
      expect(await t.world.store.knex('server_secrets').where({ name: 'resume-token' }).count({ n: '*' }).first()).to.deep.include({ n: 1 });
    });
  });
}
