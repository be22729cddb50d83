// Login limits that hold under concurrency, across restarts and for every command that checks a
// password: the per-IP throttle and the per-name lockout reserve before hashing (#20.3), `passwd`
// counts as a login and the hash pool's queue is bounded (#12.5), locks are kept per name whether
// the account exists or not (#12.6), sessions per user are reserved atomically (#12.8), a
// certificate CN is a user name or nothing (#20.8), and failed logins are logged for fail2ban (#19.2).
import { expect } from 'chai';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import forge from 'node-forge';
import type { ConfigInput } from '../../lib/config.js';
import { Logger } from '../../lib/log.js';
import { TestClient, type Frame } from '../helpers/client.js';
import { until } from '../helpers/wait.js';
import { withChatd } from '../helpers/chatd.js';
import { tmpdir, USERS } from '../helpers/world.js';
import { countingHashes } from '../helpers/hashes.js';
import { hashPassword } from '../../lib/auth/password.js';

/** Slow enough that logins sent together are really in flight together (~tens of ms per hash). */
const SLOW_HASH = { m: 8192, t: 2, p: 1 };

/** Opens n connections (certificate of `certOf`) and waits for every welcome. */
async function connectMany(port: number, certs: string, certOf: string, n: number): Promise<TestClient[]> {
  const cs = await Promise.all(Array.from({ length: n }, () => TestClient.connect(port, certs, certOf)));
  await Promise.all(cs.map((c) => c.waitFor((f) => f.type === 'welcome')));
  return cs;
}

const answer = (c: TestClient, id: string): Promise<Frame> => c.waitFor((f) => f.id === id && (f.type === 'login_ok' || f.type === 'error'), 15000, `answer ${id}`);

describe('e2e: login limits under concurrency, restarts and passwd', function () {
  this.timeout(60_000);
  // Every test starts its own chatd (t.start, stopped after it) on one t.world.
  const t = withChatd({ server: false, users: { ...USERS, kate: { password: 'Kate-pass-1234', role: 'user' }, erin: { password: 'Erin-pass-1234', role: 'user' } }, params: SLOW_HASH });
  const open: TestClient[] = [];
  const track = <T extends TestClient | TestClient[]>(c: T): T => { open.push(...([] as TestClient[]).concat(c)); return c; };
  const start = (extra: ConfigInput, log?: Logger) => t.start(extra, log);
  afterEach(() => { for (const c of open.splice(0)) c.close(); });

  it('hashes at most the burst of 60 concurrent logins for one name, and the right password among them stays out', async () => {
    const chatd = await start({ limits: { loginIpBurst: 10, loginIpRate: 0.01, loginFailLimit: 5, maxConnPerIp: 200, passwordQueueMax: 1000 } });
    const cs = track(await connectMany(chatd.address.port, t.world.certs, 'bob', 60));
    const { result: answers, hashes } = await countingHashes(async () => {
      const wrong = cs.slice(0, 59);
      wrong.forEach((c, i) => c.send({ type: 'login', user: 'bob', password: `wrong-${i}-password`, id: 'L' }));
      const pending = wrong.map((c) => answer(c, 'L'));
      // Once ten of them are answered, ten were reserved: the lock is reached, whatever was hashed.
      let answered = 0;
      await new Promise<void>((resolve) => pending.forEach((p) => p.then(() => { if (++answered === 10) resolve(); }, () => {})));
      cs[59]!.send({ type: 'login', user: 'bob', password: USERS.bob!.password, id: 'L' });
      return Promise.all([...pending, answer(cs[59]!, 'L')]);
    });
    const codes = answers.map((f) => f.code ?? f.type);
    expect(codes.filter((c) => c === 'login_ok'), 'the right password got in').to.have.length(0);
    expect(codes.filter((c) => c === 'AUTH_FAILED').length, codes.join(' ')).to.be.at.most(5);
    expect(hashes, 'hashes computed').to.be.at.most(5); // at most min(IP burst, fail limit)
    for (const c of codes) expect(['AUTH_FAILED', 'RATE_LIMITED', 'AUTH_LOCKED']).to.include(c);
  });

  it('refuses concurrent logins of one user beyond maxSessionsPerUser (single node)', async () => {
    // loginFailLimit high: with the default 5, logins beyond 5 in flight for one name are RATE_LIMITED first.
    const chatd = await start({ limits: { maxSessionsPerUser: 3, loginIpBurst: 1000, loginFailLimit: 1000, passwordQueueMax: 1000 } });
    const cs = track(await connectMany(chatd.address.port, t.world.certs, 'carol', 8));
    cs.forEach((c) => c.send({ type: 'login', user: 'carol', password: USERS.carol!.password, id: 'L' }));
    const codes = (await Promise.all(cs.map((c) => answer(c, 'L')))).map((f) => f.code ?? f.type);
    expect(codes.filter((c) => c === 'login_ok'), codes.join(' ')).to.have.length(3);
    expect(codes.filter((c) => c === 'FORBIDDEN')).to.have.length(5);
    // Slots come back when sessions end.
    cs.filter((_, i) => codes[i] === 'login_ok').forEach((c) => c.close());
    await until(async () => ![...chatd.node.sessions].some((s) => s.user?.name === 'carol'), 5000, 'carol\'s sessions to end');
    const again = track(await TestClient.connect(chatd.address.port, t.world.certs, 'carol'));
    expect((await again.login('carol')).type).to.equal('login_ok');
  });

  it('counts a wrong old password of //passwd as a failed login: the name locks, for logins too', async () => {
    const chatd = await start({ limits: { loginFailLimit: 3, loginIpBurst: 1000, passwordQueueMax: 1000 } });
    const alice = track(await TestClient.loggedIn(chatd.address.port, t.world.certs, 'alice'));
    const codes: string[] = [];
    for (let i = 0; i < 4; i++) codes.push((await alice.command(`//passwd not-the-password-${i} new-password-1234`)).code);
    expect(codes).to.deep.equal(['AUTH_FAILED', 'AUTH_FAILED', 'AUTH_FAILED', 'AUTH_LOCKED']);
    const other = track(await TestClient.connect(chatd.address.port, t.world.certs, 'alice'));
    expect(await other.login('alice')).to.include({ type: 'error', code: 'AUTH_LOCKED' });
  });

  it('counts //passwd against the per-IP login throttle', async () => {
    const chatd = await start({ limits: { loginFailLimit: 1000, loginIpBurst: 2, loginIpRate: 0.01, passwordQueueMax: 1000 } });
    const dave = track(await TestClient.loggedIn(chatd.address.port, t.world.certs, 'dave'));
    const codes: string[] = [];
    for (let i = 0; i < 3; i++) codes.push((await dave.command(`//passwd not-the-password-${i} new-password-1234`)).code);
    expect(codes).to.deep.equal(['AUTH_FAILED', 'AUTH_FAILED', 'RATE_LIMITED']);
  });

  it('refuses hashing beyond limits.passwordQueueMax at once: SERVICE_UNAVAILABLE for logins, RATE_LIMITED for passwd', async () => {
    const chatd = await start({ limits: { passwordQueueMax: 1, loginIpBurst: 1000, loginFailLimit: 1000, maxConnPerIp: 200 } });
    const mod = track(await TestClient.loggedIn(chatd.address.port, t.world.certs, 'mod'));
    // boss's hash made slow for this test (~0.5 s a verify here), so that the hashes that got in hold
    // the workers and the queue long after the first refusal comes back: with SLOW_HASH (tens of
    // ms) they could be done by the time the passwd below arrived, on a busy machine.
    const boss = (await t.world.store.getUser('boss'))!;
    await t.world.store.setPasswordHash(boss.id, await hashPassword(USERS.boss!.password, { m: 65536, t: 3, p: 1 }));
    try {
      const cs = track(await connectMany(chatd.address.port, t.world.certs, 'boss', 30));
      cs.forEach((c) => c.send({ type: 'login', user: 'boss', password: 'wrong-password-x', id: 'L' }));
      const pending = cs.map((c) => answer(c, 'L'));
      // The first refusal proves the queue is full; passwd sent right then finds it full too.
      const refused = await Promise.any(pending.map((p) => p.then((f) => (f.code === 'SERVICE_UNAVAILABLE' ? f : Promise.reject(new Error(f.code))))));
      expect(refused.code).to.equal('SERVICE_UNAVAILABLE');
      const passwd = await mod.command(`//passwd ${USERS.mod!.password} new-password-1234`);
      const codes = (await Promise.all(pending)).map((f) => f.code);
      expect(codes.filter((c) => c === 'SERVICE_UNAVAILABLE').length).to.be.at.least(20);
      expect(passwd).to.include({ type: 'error', code: 'RATE_LIMITED' });
    } finally {
      await t.world.store.setPasswordHash(boss.id, boss.passwordHash);
    }
  });

  it('keeps a lock across a restart for known and unknown names alike', async () => {
    const limits = { loginFailLimit: 3, loginIpBurst: 1000, passwordQueueMax: 1000 };
    let chatd = await start({ limits });
    for (const name of ['erin', 'ghost']) { // erin exists (password below), ghost does not
      const c = track(await TestClient.connect(chatd.address.port, t.world.certs, name));
      await c.waitFor((f) => f.type === 'welcome');
      for (let i = 0; i < 3; i++) {
        c.send({ type: 'login', user: name, password: `bad-password-${i}`, id: i });
        expect(await c.waitFor((f) => f.id === i)).to.include({ code: 'AUTH_FAILED' });
      }
    }
    await chatd.stop();
    chatd = await start({ limits });
    const seen: Frame[] = [];
    for (const name of ['erin', 'ghost']) {
      const c = track(await TestClient.connect(chatd.address.port, t.world.certs, name));
      seen.push(await c.login(name, 'Erin-pass-1234'));
    }
    const shape = (f: Frame) => ({ ...f, message: String(f.message).replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/, 'T') });
    expect(seen[0]).to.include({ type: 'error', code: 'AUTH_LOCKED' });
    expect(shape(seen[0]!)).to.deep.equal(shape(seen[1]!));
  });

  it('refuses a CA-signed certificate whose CN only folds to a user name (Kelvin sign K)', async () => {
    const dir = kelvinCertDir(t.world.certs);
    const chatd = await start({ limits: { loginIpBurst: 1000 } });
    const c = track(await TestClient.connect(chatd.address.port, t.world.certs, 'kate', { certDir: dir }));
    const w = await c.waitFor((f) => f.type === 'welcome');
    expect(w.cert_user).to.equal(null);
    c.send({ type: 'login', user: 'kate', password: 'Kate-pass-1234', id: 'L' });
    expect(await answer(c, 'L')).to.include({ type: 'error', code: 'CERT_MISMATCH' });
    const control = track(await TestClient.connect(chatd.address.port, t.world.certs, 'owner'));
    expect((await control.login('owner')).type).to.equal('login_ok');
  });

  it('logs every failed login in one fail2ban line, without the password', async () => {
    const lines: string[] = [];
    const chatd = await start({ logLevel: 'info', limits: { loginIpBurst: 1000 } }, new Logger('info', (l) => lines.push(l)));
    const c = track(await TestClient.connect(chatd.address.port, t.world.certs, 'ali'));
    expect(await c.login('ali', 'secret-wrong-pw-1')).to.include({ code: 'AUTH_FAILED' });
    const mismatch = track(await TestClient.connect(chatd.address.port, t.world.certs, 'ali'));
    expect(await mismatch.login('carol', 'secret-wrong-pw-2')).to.include({ code: 'CERT_MISMATCH' });
    const failed = lines.filter((l) => l.includes('login failed'));
    expect(failed).to.have.length(2);
    const re = /^\{"t":"[^"]+","level":"warn","msg":"login failed","remote":"([^"]+)","code":"([A-Z_]+)","user":"([^"]*)"\}\n$/;
    expect(re.exec(failed[0]!)?.slice(1)).to.deep.equal(['127.0.0.1', 'AUTH_FAILED', 'ali']);
    expect(re.exec(failed[1]!)?.slice(1)).to.deep.equal(['127.0.0.1', 'CERT_MISMATCH', 'carol']);
    expect(lines.join('')).not.to.include('secret-wrong-pw');
  });
});

/** A certificate directory whose `clients/kate` is CA-signed with CN "\u212Aate" (KELVIN SIGN + "ate"). */
function kelvinCertDir(certs: string): string {
  const dir = tmpdir('kelvin');
  fs.mkdirSync(path.join(dir, 'clients'));
  const ca = forge.pki.certificateFromPem(fs.readFileSync(`${certs}/ca.crt`, 'utf8'));
  const caKey = forge.pki.privateKeyFromPem(fs.readFileSync(`${certs}/ca.key`, 'utf8'));
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }) as string);
  cert.serialNumber = '01' + crypto.randomBytes(8).toString('hex');
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 86_400_000);
  cert.setSubject([{ shortName: 'CN', value: '\u212Aate', valueTagClass: forge.asn1.Type.UTF8 } as unknown as forge.pki.CertificateField]);
  cert.setIssuer(ca.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, critical: true },
    { name: 'extKeyUsage', clientAuth: true },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  fs.writeFileSync(path.join(dir, 'clients', 'kate.crt'), forge.pki.certificateToPem(cert));
  fs.writeFileSync(path.join(dir, 'clients', 'kate.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
  return dir;
}
