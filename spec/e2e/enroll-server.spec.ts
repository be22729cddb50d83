// Issue 13, server side: chat-admin invite, the chatd-enroll/1 exchange and its security properties,
// certificates chatd signs, --existing, renewal and the expiry notice. Real chatd, real TLS.
import { expect } from 'chai';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Chatd } from '../../lib/app.js';
import { initCertDir, issueClientCert } from '../../lib/auth/certs.js';
import { csrFor, newKeyAndCsr } from '../../lib/client/keys.js';
import { Logger } from '../../lib/log.js';
import { runBin } from '../helpers/bin.js';
import { TestClient, type Frame } from '../helpers/client.js';
import { agedCert, enrollRaw, inviteCode } from '../helpers/enroll.js';
import { probe } from '../helpers/tls-probe.js';
import { auditLog, makeWorld, startServer, tmpdir, USERS, type World } from '../helpers/world.js';

const PASSWORD = 'correct horse battery';

/** Every cell of every table, as text: nothing secret may be in it. */
async function everyTable(world: World): Promise<string> {
  const tables: Array<{ name: string }> = await world.store.knex.raw("select name from sqlite_master where type = 'table'");
  let all = '';
  for (const { name } of tables) all += JSON.stringify(await world.store.knex(name).select('*'));
  return all;
}

/** Writes an enrolled certificate and its key where TestClient looks for them. */
function keep(dir: string, user: string, certPem: string, keyPem: string): void {
  fs.mkdirSync(path.join(dir, 'clients'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'clients', `${user}.crt`), certPem);
  fs.writeFileSync(path.join(dir, 'clients', `${user}.key`), keyPem, { mode: 0o600 });
}

describe('e2e: enrollment (chatd-enroll/1, chat-admin invite)', function () {
  this.timeout(60000);
  let world: World;
  let chatd: Chatd;
  let mine: string;
  const logLines: string[] = [];
  const secrets: string[] = [];
  const port = () => chatd.address.port;

  before(async () => {
    world = await makeWorld();
    mine = tmpdir('enrolled');
    // Every attempt here comes from 127.0.0.1: the per-IP limit has a spec of its own below.
    chatd = await startServer(world, { caKey: `${world.certs}/ca.key`, enroll: { attemptsPerIp: 1000 } }, new Logger('debug', (l) => logLines.push(l)));
  });
  after(async () => {
    await chatd?.stop();
    await world?.drop();
    fs.rmSync(mine, { recursive: true, force: true });
  });

  async function enroll(user: string, token: string, opts: { password?: string; csrUser?: string; bits?: number; csr?: string; port?: number } = {}) {
    const { keyPem, csrPem } = await newKeyAndCsr(opts.csrUser ?? user, opts.bits);
    const password = opts.password ?? PASSWORD;
    secrets.push(token, password);
    const r = await enrollRaw(opts.port ?? port(), world.certs, { type: 'enroll', id: 'e1', user, token, csr: opts.csr ?? csrPem, password });
    return { ...r, keyPem };
  }

  it('invite add prints one code: user, server, a 128-bit token and the CA fingerprint; only the token\'s SHA-256 is stored', async () => {
    const { code, invite } = await inviteCode(world.db, world.certs, 'newbie', '--server', '127.0.0.1:7443', '--ttl', '2h');
    secrets.push(invite.t);
    expect(code).to.match(/^chatd-invite:[A-Za-z0-9_-]+$/);
    expect(invite).to.include({ v: 1, u: 'newbie', s: '127.0.0.1:7443' });
    expect(Buffer.from(invite.t, 'base64url')).to.have.length(16);
    expect(invite.fp).to.equal(crypto.createHash('sha256').update(new crypto.X509Certificate(fs.readFileSync(`${world.certs}/ca.crt`)).raw).digest('hex'));
    const [row] = await world.store.knex('invites').where({ user: 'newbie' });
    expect(row).to.include({ role: 'user', token_hash: crypto.createHash('sha256').update(invite.t).digest('hex'), created_by: 'chat-admin' });
    expect(Number(row.expires_at) - Number(row.created_at)).to.equal(2 * 3600_000);
    const list = await runBin('chat-admin', ['invite', 'list', '--db', world.db]);
    expect(list.out).to.match(/newbie\s+user\s+\S+Z\s+open/);
    expect(list.out + list.err).not.to.contain(invite.t);
  });

  it('a name already taken cannot be invited without --existing; an unknown one cannot be re-enrolled', async () => {
    const taken = await runBin('chat-admin', ['invite', 'add', 'bob', '--ca', `${world.certs}/ca.crt`, '--db', world.db]);
    expect(taken.code).to.equal(1);
    expect(taken.err).to.match(/already exists.*--existing/);
    const ghost = await runBin('chat-admin', ['invite', 'add', 'nobody', '--existing', '--ca', `${world.certs}/ca.crt`, '--db', world.db]);
    expect(ghost.code).to.equal(1);
  });

  it('enrolls: enroll_hello carries the CA, enrolled a certificate (CN, 128-bit serial, clientAuth only, 90 days) that logs in with the chosen password', async () => {
    const { invite } = await inviteCode(world.db, world.certs, 'newbie');
    const r = await enroll('newbie', invite.t);
    expect(r.hello).to.deep.equal({ type: 'enroll_hello', ca: fs.readFileSync(`${world.certs}/ca.crt`, 'utf8') });
    expect(r.answer).to.include({ type: 'enrolled', id: 'e1' });
    const x = new crypto.X509Certificate(r.answer!.cert);
    expect(x.subject).to.equal('CN=newbie');
    expect(x.checkIssued(new crypto.X509Certificate(fs.readFileSync(`${world.certs}/ca.crt`)))).to.equal(true);
    expect(x.serialNumber).to.have.length(32);
    expect(x.keyUsage).to.deep.equal(['1.3.6.1.5.5.7.3.2']); // extended key usage: TLS client auth only
    expect(r.answer!.not_after).to.equal(new Date(x.validTo).toISOString());
    expect(Date.parse(x.validTo) - Date.now()).to.be.within(89.9 * 86_400_000, 90.1 * 86_400_000);
    expect(x.checkPrivateKey(crypto.createPrivateKey(r.keyPem))).to.equal(true); // the key that made the CSR, never sent
    const [row] = await world.store.knex('certificates').where({ user: 'newbie' });
    expect(row).to.include({ fingerprint: x.fingerprint256, serial: x.serialNumber.toLowerCase(), source: 'enroll', revoked_at: null });
    keep(mine, 'newbie', r.answer!.cert, r.keyPem);
    const c = await TestClient.connect(port(), world.certs, 'newbie', { certDir: mine });
    expect(await c.login('newbie', PASSWORD)).to.include({ type: 'login_ok' });
    c.close();
    const list = await runBin('chat-admin', ['cert', 'list', 'newbie', '--db', world.db]);
    expect(list.out).to.match(new RegExp(`newbie\\s+${x.fingerprint256}\\s+enroll\\s+\\S+\\s+\\S+\\s+valid`));
  });

  it('a token works once; used, expired, revoked, unknown and wrong-user tokens all get the same ENROLL_INVALID', async () => {
    const used = await inviteCode(world.db, world.certs, 'usedone');
    expect((await enroll('usedone', used.invite.t)).answer).to.include({ type: 'enrolled' });
    const expired = await inviteCode(world.db, world.certs, 'lateone');
    await world.store.knex('invites').where({ user: 'lateone' }).update({ expires_at: Date.now() - 1 });
    const revoked = await inviteCode(world.db, world.certs, 'revoked1');
    expect((await runBin('chat-admin', ['invite', 'revoke', 'revoked1', '--db', world.db])).code).to.equal(0);
    const other = await inviteCode(world.db, world.certs, 'other1');
    const answers: Frame[] = [];
    const times: number[] = [];
    for (const [user, token] of [['usedone', used.invite.t], ['lateone', expired.invite.t], ['revoked1', revoked.invite.t],
      ['nobody1', crypto.randomBytes(16).toString('base64url')], ['someone', other.invite.t]] as const) {
      const r = await enroll(user, token);
      answers.push(r.answer!);
      times.push(r.ms);
    }
    for (const a of answers) expect(a).to.deep.equal({ type: 'error', code: 'ENROLL_INVALID', message: 'this invite is not valid; ask for a new one', id: 'e1' });
    // One lookup each and no password hashing: all well under a second.
    for (const t of times) expect(t).to.be.below(1000);
    expect(await world.store.getUser('someone')).to.equal(null);
    expect((await world.store.knex('invites').where({ user: 'other1' }).first()).used_at).to.equal(null);
  });

  it('two enrollments racing with one token: exactly one certificate, one account', async () => {
    const { invite } = await inviteCode(world.db, world.certs, 'racer');
    const [a, b] = await Promise.all([enroll('racer', invite.t), enroll('racer', invite.t)]);
    const types = [a.answer!.type, b.answer!.type].sort();
    expect(types).to.deep.equal(['enrolled', 'error']);
    expect([a, b].find((r) => r.answer!.type === 'error')!.answer).to.include({ code: 'ENROLL_INVALID' });
    expect(await world.store.knex('certificates').where({ user: 'racer' })).to.have.length(1);
    expect(await world.store.knex('users').where({ username: 'racer' })).to.have.length(1);
  });

  it('a CSR for another name, a 1024-bit key, a tampered CSR: BAD_CSR, and nothing stored (the token still works)', async () => {
    const { invite } = await inviteCode(world.db, world.certs, 'csrtest');
    const good = await newKeyAndCsr('csrtest');
    const der = Buffer.from(good.csrPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    der[der.length - 5] ^= 0xff; // inside the signature
    const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE REQUEST-----\n`;
    for (const opts of [{ csrUser: 'mallory' }, { bits: 1024 }, { csr: tampered }, { csr: 'not a csr' }]) {
      const r = await enroll('csrtest', invite.t, opts);
      expect(r.answer, JSON.stringify(opts)).to.include({ type: 'error', code: 'BAD_CSR' });
    }
    expect(await world.store.getUser('csrtest')).to.equal(null);
    expect(await world.store.knex('certificates').where({ user: 'csrtest' })).to.have.length(0);
    expect((await world.store.knex('invites').where({ user: 'csrtest' }).first()).used_at).to.equal(null);
    expect((await enroll('csrtest', invite.t)).answer).to.include({ type: 'enrolled' });
  });

  it('WEAK_PASSWORD: under 10 characters, or the user name (digits and punctuation aside)', async () => {
    const { invite } = await inviteCode(world.db, world.certs, 'weakling');
    expect((await enroll('weakling', invite.t, { password: 'short1234' })).answer).to.include({ code: 'WEAK_PASSWORD' });
    expect((await enroll('weakling', invite.t, { password: 'Weakling-2026' })).answer).to.include({ code: 'WEAK_PASSWORD' });
    expect(await world.store.getUser('weakling')).to.equal(null);
  });

  it('every attempt is audited, and no token or password is in the log, audit_log or any table', async () => {
    const audit = (await auditLog(world.store, 500)).filter((a) => a.action === 'enroll');
    expect(audit.length).to.be.at.least(15);
    expect(audit.map((a) => a.detail)).to.include.members(['ok from 127.0.0.1', 'ENROLL_INVALID from 127.0.0.1', 'BAD_CSR from 127.0.0.1', 'WEAK_PASSWORD from 127.0.0.1']);
    const tables = await everyTable(world);
    const log = logLines.join('\n');
    expect(log).to.contain('enrollment attempt');
    for (const s of new Set(secrets)) {
      expect(tables, 'a table').not.to.contain(s);
      expect(log, 'the log').not.to.contain(s);
    }
  });

  it('without a certificate, chatd/1, text mode and any other ALPN are closed with nothing sent; chatd-enroll/1 is answered', async () => {
    expect(await probe(port(), world.certs, { certOf: null })).to.include({ accepted: false });
    expect(await probe(port(), world.certs, { certOf: null, alpn: false })).to.include({ accepted: false });
    const other = await new Promise<string>((resolve) => {
      const s = (tlsConnect)(port(), world.certs, ['h2']);
      let got = '';
      s.on('data', (d: Buffer) => (got += d));
      s.on('error', () => {});
      s.on('close', () => resolve(got));
    });
    expect(other).to.equal('');
    expect((await enrollRaw(port(), world.certs, null)).hello).to.include({ type: 'enroll_hello' });
    expect(await probe(port(), world.certs)).to.include({ accepted: true }); // control: a certificate still gets in
  });

  it('a certificate from another CA is still refused before any frame, and its log line now names it (chatd checks, not the handshake)', async () => {
    const foreign = tmpdir('foreign');
    await initCertDir(foreign, ['localhost'], {});
    await issueClientCert(foreign, 'alice', {});
    const from = logLines.length;
    expect(await probe(port(), world.certs, { certDir: foreign })).to.include({ accepted: false });
    await waitFor(async () => logLines.slice(from).some((l) => l.includes('tls handshake refused')));
    const line = JSON.parse(logLines.slice(from).find((l) => l.includes('tls handshake refused'))!);
    expect(line).to.include({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', subject: 'CN=alice' });
    fs.rmSync(foreign, { recursive: true, force: true });
  });

  it('--existing re-enrolls a lost key: the earlier certificates are revoked (live sessions closed), the new one and the new password log in', async () => {
    const old = await TestClient.connect(port(), world.certs, 'alice');
    expect(await old.login('alice')).to.include({ type: 'login_ok' }); // chatd records alice's chat-certs certificate
    const oldFp = fingerprint(`${world.certs}/clients/alice.crt`);
    await waitFor(async () => !!(await world.store.certificate(oldFp)));
    expect((await world.store.certificate(oldFp))!.source).to.equal('chat-certs');
    const { invite } = await inviteCode(world.db, world.certs, 'alice', '--existing');
    const r = await enroll('alice', invite.t, { password: 'a whole new passphrase' });
    expect(r.answer).to.include({ type: 'enrolled' });
    expect(await old.waitFor((f) => f.type === 'bye', 5000)).to.include({ code: 'CERT_REVOKED' });
    expect((await world.store.certificate(oldFp))!.revokedAt).to.be.a('number');
    const again = await TestClient.connect(port(), world.certs, 'alice');
    expect(await again.login('alice', 'a whole new passphrase')).to.include({ type: 'error', code: 'CERT_REVOKED' });
    again.close();
    const dir = tmpdir('alice-new');
    keep(dir, 'alice', r.answer!.cert, r.keyPem);
    const fresh = await TestClient.connect(port(), world.certs, 'alice', { certDir: dir });
    expect(await fresh.login('alice', 'a whole new passphrase')).to.include({ type: 'login_ok' });
    fresh.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('--existing also refuses the earlier certificates chatd never saw (made with chat-certs, never used to log in)', async () => {
    const spare = tmpdir('carol-spare');
    const fresh = tmpdir('carol-new');
    try {
      // The lost key's twin, made a day ago and in no table.
      fs.mkdirSync(`${spare}/clients`);
      const keyPem = fs.readFileSync(`${world.certs}/clients/carol.key`, 'utf8');
      fs.writeFileSync(`${spare}/clients/carol.crt`, agedCert(world.certs, 'carol', keyPem, 1, 30));
      fs.writeFileSync(`${spare}/clients/carol.key`, keyPem);
      expect(await world.store.certificate(fingerprint(`${spare}/clients/carol.crt`))).to.equal(null);
      const { invite } = await inviteCode(world.db, world.certs, 'carol', '--existing');
      const r = await enroll('carol', invite.t, { password: 'carols new passphrase' });
      expect(r.answer).to.include({ type: 'enrolled' });
      const old = await TestClient.connect(port(), world.certs, 'carol', { certDir: spare });
      expect(await old.login('carol', 'carols new passphrase')).to.include({ type: 'error', code: 'CERT_REVOKED' });
      old.close();
      keep(fresh, 'carol', r.answer!.cert, r.keyPem);
      const ok = await TestClient.connect(port(), world.certs, 'carol', { certDir: fresh });
      expect(await ok.login('carol', 'carols new passphrase')).to.include({ type: 'login_ok' });
      ok.close();
    } finally {
      fs.rmSync(spare, { recursive: true, force: true });
      fs.rmSync(fresh, { recursive: true, force: true });
    }
  });

  it('--existing re-enrollment ends a lock of the name (failed logins): the new password logs in at once', async () => {
    // A server of its own: the lock lives in its memory (or Redis) as well as in login_locks.
    const s = await startServer(world, { caKey: `${world.certs}/ca.key`, enroll: { attemptsPerIp: 1000 }, limits: { loginFailLimit: 2, loginIpBurst: 1000 } });
    const dir = tmpdir('dave-new');
    try {
      const attempt = async (password: string, certDir?: string) => {
        const c = await TestClient.connect(s.address.port, world.certs, 'dave', certDir ? { certDir } : {});
        try { return await c.login('dave', password); } finally { c.close(); }
      };
      for (let i = 0; i < 2; i++) expect(await attempt('not-daves-password')).to.include({ type: 'error', code: 'AUTH_FAILED' });
      expect(await attempt(USERS.dave.password)).to.include({ type: 'error', code: 'AUTH_LOCKED' });
      expect(await world.store.loginLock('dave')).to.be.above(Date.now());
      const { invite } = await inviteCode(world.db, world.certs, 'dave', '--existing');
      const r = await enroll('dave', invite.t, { password: 'daves new passphrase', port: s.address.port });
      expect(r.answer).to.include({ type: 'enrolled' });
      keep(dir, 'dave', r.answer!.cert, r.keyPem);
      expect(await attempt('daves new passphrase', dir)).to.include({ type: 'login_ok' });
      expect(await world.store.loginLock('dave')).to.equal(0);
    } finally {
      await s.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('renew over a logged-in session: renewed with a certificate for the new key; a CSR for someone else is BAD_CSR; before login NOT_LOGGED_IN', async () => {
    const c = await TestClient.connect(port(), world.certs, 'newbie', { certDir: mine });
    const early = newKeyAndCsr('newbie');
    c.send({ type: 'renew', id: 'r0', csr: (await early).csrPem });
    expect(await c.waitFor((f) => f.id === 'r0')).to.include({ type: 'error', code: 'NOT_LOGGED_IN' });
    expect(await c.login('newbie', PASSWORD)).to.include({ type: 'login_ok' });
    const next = await newKeyAndCsr('newbie');
    c.send({ type: 'renew', id: 'r1', csr: next.csrPem });
    const renewed = await c.waitFor((f) => f.id === 'r1');
    expect(renewed).to.include({ type: 'renewed' });
    const x = new crypto.X509Certificate(renewed.cert);
    expect(x.subject).to.equal('CN=newbie');
    expect(x.checkPrivateKey(crypto.createPrivateKey(next.keyPem))).to.equal(true);
    expect((await world.store.certificate(x.fingerprint256))!.source).to.equal('renew');
    c.send({ type: 'renew', id: 'r2', csr: (await newKeyAndCsr('bob')).csrPem });
    expect(await c.waitFor((f) => f.id === 'r2')).to.include({ type: 'error', code: 'BAD_CSR' });
    // DESIGN: a new key each time. The key of the certificate this session logged in with was renewed.
    c.send({ type: 'renew', id: 'r3', csr: csrFor(fs.readFileSync(path.join(mine, 'clients', 'newbie.key'), 'utf8'), 'newbie') });
    expect(await c.waitFor((f) => f.id === 'r3')).to.include({ type: 'error', code: 'BAD_CSR' }).and.to.have.property('message').that.matches(/new key/);
    c.close();
  });
});

describe('e2e: enrollment limits and a server without a CA key', function () {
  this.timeout(60000);
  let world: World;
  let limited: Chatd;
  let plain: Chatd;
  let short: string;
  before(async () => {
    world = await makeWorld();
    limited = await startServer(world, { caKey: `${world.certs}/ca.key` });
    plain = await startServer(world, {});
    short = tmpdir('short-cert');
    for (const f of ['ca.crt', 'ca.key']) fs.copyFileSync(`${world.certs}/${f}`, `${short}/${f}`);
    await issueClientCert(short, 'carol', { days: 5 });
  });
  after(async () => {
    await limited?.stop();
    await plain?.stop();
    await world?.drop();
    fs.rmSync(short, { recursive: true, force: true });
  });

  it('more than 10 enrollment attempts per IP within 10 minutes: RATE_LIMITED', async () => {
    const csr = (await newKeyAndCsr('guess')).csrPem;
    const codes: string[] = [];
    for (let i = 0; i < 12; i++) {
      const r = await enrollRaw(limited.address.port, world.certs, { type: 'enroll', user: 'guess', token: crypto.randomBytes(16).toString('base64url'), csr, password: PASSWORD });
      codes.push(r.answer!.code);
    }
    expect(codes).to.deep.equal([...Array(10).fill('ENROLL_INVALID'), 'RATE_LIMITED', 'RATE_LIMITED']);
    // The flood is audited once per window, not once per attempt.
    expect((await auditLog(world.store, 100)).filter((a) => a.action === 'enroll' && /^RATE_LIMITED/.test(a.detail ?? ''))).to.have.length(1);
  });

  it('without --ca-key: enrollment answers ENROLL_DISABLED at once, renew too', async () => {
    const r = await enrollRaw(plain.address.port, world.certs, null);
    expect(r.hello).to.equal(null);
    expect(r.answer).to.include({ type: 'error', code: 'ENROLL_DISABLED' });
    const c = await TestClient.loggedIn(plain.address.port, world.certs, 'bob');
    c.send({ type: 'renew', id: 'r', csr: (await newKeyAndCsr('bob')).csrPem });
    expect(await c.waitFor((f) => f.id === 'r')).to.include({ type: 'error', code: 'ENROLL_DISABLED' });
    c.close();
  });

  it('without --ca-key, login_ok warns when the certificate expires within 14 days; not otherwise', async () => {
    const c = await TestClient.connect(plain.address.port, world.certs, 'carol', { certDir: short });
    const ok = await c.login('carol');
    expect(ok.notice).to.match(/your certificate expires \d{4}-\d\d-\d\dT.* cannot renew it.*chat-admin invite add carol --existing/);
    c.close();
    const b = await TestClient.connect(plain.address.port, world.certs, 'bob');
    expect(await b.login('bob')).not.to.have.property('notice');
    b.close();
    const d = await TestClient.connect(limited.address.port, world.certs, 'carol', { certDir: short });
    expect(await d.login('carol')).not.to.have.property('notice'); // a server with a CA key renews instead
    d.close();
  });
});

function fingerprint(file: string): string {
  return new crypto.X509Certificate(fs.readFileSync(file)).fingerprint256;
}

async function waitFor(test: () => Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await test())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setImmediate(r));
  }
}

import tls from 'node:tls';
function tlsConnect(port: number, certs: string, alpn: string[]): tls.TLSSocket {
  return tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: fs.readFileSync(`${certs}/ca.crt`), ALPNProtocols: alpn });
}
