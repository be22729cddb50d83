// What reaches a chat-cli user's terminal, probed through the real binary on a pty: names every
// USERNAME_RE allows, and a bell that others can make ring.
import { expect } from 'chai';
import fs from 'node:fs';
import type net from 'node:net';
import tls from 'node:tls';
import { issueClientCert } from '../../lib/auth/certs.js';
import { withChatd } from '../helpers/chatd.js';
import { flags, plain, pw, Run } from '../helpers/cli-run.js';
import { TcpProxy } from '../helpers/proxy.js';
import { FAST_HASH, USERS } from '../helpers/world.js';
import { hashPassword } from '../../lib/auth/password.js';

const DASHED = 'jean-luc';
const DASHED_PW = 'Jean-luc-pass-1234';

describe('e2e: chat-cli on a terminal, probed', function () {
  this.timeout(60_000);
  const t = withChatd({
    users: { ...USERS, [DASHED]: { password: DASHED_PW, role: 'user' } },
    config: { limits: { floodBurst: 2000, floodRate: 2000 } },
  });
  const runs: Run[] = [];
  const track = (r: Run) => { runs.push(r); return r; };
  afterEach(() => { for (const r of runs.splice(0)) r.kill(); });

  async function terminal(user: string, password: string, ...extra: string[]): Promise<Run> {
    const r = track(Run.start([...flags(t.world.certs, t.port, user), ...extra], { env: { CHATD_PASSWORD: password, NO_COLOR: '' }, pty: true }));
    await r.waitScreen(new RegExp(`logged in as ${user}`));
    return r;
  }

  it('a user whose name has a "-" (USERNAME_RE allows it) sees the lines of others, mentions highlighted, and stays up', async () => {
    await issueClientCert(t.world.certs, DASHED, { force: true });
    const jl = await terminal(DASHED, DASHED_PW);
    const bob = await t.login('bob');
    await bob.say('just a line');
    await jl.waitScreen(/bob: just a line/);
    await bob.say(`hello ${DASHED}`);
    await jl.waitScreen(new RegExp(`bob: hello ${DASHED}`));
    await jl.until(() => jl.out.includes('\x07'), 'the bell of the mention');
    expect(jl.out).to.match(/\x1b\[1m[^\n]*hello jean-luc/); // highlighted
    expect(jl.code).to.equal(undefined); // still running
  });

  it('a burst of 30 DMs rings the bell a few times, not 30; a DM after a pause rings again', async () => {
    const dave = await terminal('dave', USERS.dave!.password);
    const bob = await t.login('bob');
    const bells = () => dave.out.split('\x07').length - 1;
    await Promise.all(Array.from({ length: 30 }, (_, i) => bob.command(`//msg dave live ${i}`)));
    await dave.waitScreen(/bob -> dave: live 29/);
    await dave.until(() => bells() >= 1, 'a first bell');
    expect(bells()).to.be.within(1, 3);
    const before = bells();
    await new Promise((r) => setTimeout(r, 2100)); // the pause is the point here: the bell's budget refills with time
    await bob.command('//msg dave after a pause');
    await dave.until(() => bells() === before + 1, 'the bell after a pause');
  });

  it('" //passwd old new" (chatd runs a say with a blank before the prefix as a command) is masked, and a reconnect logs in with the new password', async () => {
    const old = USERS.carol!.password;
    const fresh = 'Carol-new-pass-5678';
    const proxy = new TcpProxy('127.0.0.1', t.port);
    const pport = await proxy.start();
    try {
      const carol = track(Run.start(flags(t.world.certs, pport, 'carol'), { env: { CHATD_PASSWORD: old, NO_COLOR: '' }, pty: true }));
      await carol.waitScreen(/logged in as carol/);
      await carol.waitScreen(/#lobby> $/); // readline has the terminal (no echo by the tty itself)
      carol.write(` //passwd ${old} ${fresh}\r`);
      await carol.waitScreen(/password changed/);
      expect(carol.out).to.not.include(fresh);
      expect(carol.out).to.not.include(old);
      await proxy.cut(); // no bye, so no fresh resume token: the password it knows must log in
      await carol.waitScreen(/connection lost/);
      await proxy.restore();
      await carol.waitScreen(/reconnected as carol/);
      expect(plain(carol.out)).to.not.match(/AUTH_FAILED/);
    } finally {
      await proxy.stop();
      await t.world.store.setPasswordHash((await t.world.store.getUser('carol'))!.id, await hashPassword(old, FAST_HASH));
    }
  });

  it('a hostile server whose login_ok names the user with a number: the terminal UI shows the lines that follow and stays up', async () => {
    const ts = new Date().toISOString();
    const from = { name: 'eve', role: 'user', color: 'cyan' };
    const server = await fakeServer(t.world.certs, (send, f) => {
      if (f.type !== 'login') return;
      send({ type: 'login_ok', id: f.id, user: { name: 5, role: 'user', level: 1, color: 'cyan' }, room: 'lobby', motd: '' });
      send({ type: 'message', id: 'm1', ts, room: 'lobby', from, text: 'line after login', kind: 'say' });
      send({ type: 'dm', id: 'd1', ts, from, to: 5, text: 'a dm after login' });
    });
    try {
      const r = track(Run.start(flags(t.world.certs, server.port, 'bob'), { env: { ...pw('bob'), NO_COLOR: '' }, pty: true }));
      await r.waitScreen(/eve: line after login/);
      await r.waitScreen(/eve -> \?: a dm after login/);
      r.write('//quit\r');
      expect(await r.exit()).to.equal(0);
      expect(r.out).to.not.match(/TypeError|SyntaxError/);
    } finally {
      await server.close();
    }
  });
});

type Sent = Record<string, unknown>;

/**
 * A TLS server speaking chatd/1 with the real test server's certificate: a welcome, then `answer`
 * for every frame the client sends (a quit is answered and ends the connection).
 */
async function fakeServer(certs: string, answer: (send: (f: Sent) => void, f: Record<string, unknown>) => void): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<tls.TLSSocket>();
  const server = tls.createServer({
    cert: fs.readFileSync(`${certs}/server.crt`), key: fs.readFileSync(`${certs}/server.key`), ca: fs.readFileSync(`${certs}/ca.crt`),
    requestCert: true, rejectUnauthorized: true, ALPNProtocols: ['chatd/1'],
  }, (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    const send = (f: Sent) => { if (!s.destroyed) s.write(JSON.stringify(f) + '\n'); };
    send({ type: 'welcome', server: 'fake', version: '9', protocol: 1, prefix: '//', cert_user: 'bob' });
    let buf = '';
    s.on('data', (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const f = JSON.parse(buf.slice(0, i)) as Record<string, unknown>;
        buf = buf.slice(i + 1);
        if (f.type === 'quit' || (f.type === 'say' && f.text === '//quit')) {
          send({ type: 'result', id: f.id, command: 'quit', text: 'goodbye' });
          s.end();
        } else if (f.type === 'command') {
          send({ type: 'result', id: f.id, command: String(f.line).split(' ')[0], text: '', data: [] });
        } else {
          answer(send, f);
        }
      }
    });
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}
