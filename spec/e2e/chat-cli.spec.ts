// chat-cli as people use it: the real binary (node dist/cli/chat-cli.js) as a child process, through
// pipes or a pseudo-terminal (`script` from util-linux), against real chatd servers over mutual TLS.
import { expect } from 'chai';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { flags, noSgr, plain, pw, Run, runCli } from '../helpers/cli-run.js';
import { TestClient } from '../helpers/client.js';
import { freePort, TcpProxy } from '../helpers/proxy.js';
import { withChatd } from '../helpers/chatd.js';
import { tmpdir, USERS } from '../helpers/world.js';

describe('e2e: chat-cli', function () {
  this.timeout(30000);
  const t = withChatd();
  const runs: Run[] = [];
  const clients: TestClient[] = [];
  const track = <T extends Run | TestClient>(x: T): T => { (x instanceof Run ? runs : clients).push(x as never); return x; };

  afterEach(() => {
    for (const r of runs.splice(0)) r.kill();
    for (const c of clients.splice(0)) c.close();
  });

  it('two chat-cli processes talk through chatd: a terminal UI (hidden password prompt, colours, completion, an unclobbered input line) and a pipe', async () => {
    const c = t.world.certs;
    // bob, through a pipe: logs in first, so alice's completion list has him from the start.
    const bob = track(Run.start(flags(c, t.port, 'bob'), { env: pw('bob') }));
    await bob.waitErr(/logged in as bob \(user\)/);

    // alice, on a terminal, with colours and no password in the environment: a hidden prompt.
    const alice = track(Run.start(flags(c, t.port, 'alice'), { pty: true, env: { NO_COLOR: '' } }));
    await alice.waitOut(/password for alice@127\.0\.0\.1: /);
    alice.write(`${USERS.alice!.password}\r`);
    await alice.waitScreen(/logged in as alice \(user\)/);
    await alice.waitScreen(/#lobby> $/);
    expect(alice.out).to.not.include(USERS.alice!.password);

    bob.write('hello alice\n');
    // Rendered by the shared renderer: time, room, the name in its role colour (user: cyan).
    await alice.waitOut(/\d\d:\d\d:\d\d #lobby \x1b\[36mbob\x1b\[39m: hello alice/);

    alice.write('hi bob\r');
    await bob.waitOut(/^\d\d:\d\d:\d\d #lobby alice: hi bob$/m);
    await alice.waitScreen(/#lobby alice: hi bob\r\n#lobby> $/); // its own echo is the acknowledgement
    expect(bob.out).to.not.match(/\x1b/); // a pipe gets MONO

    // A half-typed line survives an incoming message: cleared, message printed, prompt and input redrawn.
    alice.write('draft');
    await alice.waitScreen(/#lobby> draft$/);
    bob.write('interrupting\n');
    // Exactly: go to column 1, clear to the end of the screen, the message, then prompt and draft again.
    const redrawn = /#lobby> (?:\x1b\[9G)?draft\x1b\[1G\x1b\[0J\d\d:\d\d:\d\d #lobby bob: interrupting\r\n\x1b\[1G\x1b\[0J#lobby> draft\x1b\[14G$/;
    await alice.until(() => redrawn.test(noSgr(alice.out)), `${redrawn}`);
    alice.write('\x15'); // Ctrl-U: kill the draft

    // Tab completes commands (from //help) and online user names (from //users).
    alice.write('//he\t');
    await alice.until(() => plain(alice.out).endsWith('#lobby> //help '), 'completion of //he');
    alice.write('\x15//msg bo\t');
    await alice.until(() => plain(alice.out).endsWith('#lobby> //msg bob '), 'completion of bo');
    alice.write('psst\r');
    await bob.waitOut(/\[dm\] alice -> bob: psst/);

    // //quit: a clean exit, 0; bob at EOF: every line acknowledged, exit 0.
    alice.write('//quit\r');
    expect(await alice.exit()).to.equal(0);
    await bob.waitOut(/alice quit/); // within limits.presenceBatchMs
    bob.end();
    expect(await bob.exit()).to.equal(0);
  });

  it('a terminal with NO_COLOR gets no colour; Ctrl-C leaves cleanly with exit 0', async () => {
    const carol = track(Run.start(flags(t.world.certs, t.port, 'carol'), { pty: true, env: { ...pw('carol'), NO_COLOR: '1' } }));
    await carol.waitScreen(/#lobby> $/);
    carol.write('no colours here\r');
    await carol.waitScreen(/#lobby carol: no colours here/);
    expect(carol.out).to.not.match(/\x1b\[[0-9;]*m/);
    carol.write('\x03');
    expect(await carol.exit()).to.equal(0);
  });

  it('--send: a message is acknowledged, seen by others, exit 0; a command prints its result', async () => {
    const carol = track(await TestClient.loggedIn(t.port, t.world.certs, 'carol'));
    const r = await runCli([...flags(t.world.certs, t.port, 'bob'), '--send', 'one shot [red]hello[/red]'], { env: pw('bob') });
    expect(r.code, r.err).to.equal(0);
    expect(r.out).to.equal('');
    const m = await carol.waitFor((f) => f.type === 'message' && f.from.name === 'bob' && f.text.startsWith('one shot'));
    expect(m.text).to.equal('one shot hello');

    const w = await runCli([...flags(t.world.certs, t.port, 'bob'), '--send', '//whoami'], { env: pw('bob') });
    expect(w.code, w.err).to.equal(0);
    expect(w.out).to.match(/^bob \(user, level 1\) session \S+ in #lobby\n$/);

    // The history it asked for is printed (not taken for the history sent on join), then the result.
    const h = await runCli([...flags(t.world.certs, t.port, 'bob'), '--send', '//history 1'], { env: pw('bob') });
    expect(h.code, h.err).to.equal(0);
    expect(h.out).to.match(/bob: one shot hello\n/);
  });

  it('--send: an error answer exits 1 with the error code on stderr', async () => {
    const r = await runCli([...flags(t.world.certs, t.port, 'bob'), '--send', '//nosuchcommand'], { env: pw('bob') });
    expect(r.code).to.equal(1);
    expect(r.err).to.match(/^chat-cli: UNKNOWN_COMMAND: no command|^chat-cli: UNKNOWN_COMMAND: /);
    expect(r.err.trim().split('\n')).to.have.length(1);
  });

  it('--json: stdout carries only raw frames, one per line; status goes to stderr', async () => {
    const r = await runCli([...flags(t.world.certs, t.port, 'carol'), '--json'], { env: pw('carol'), input: 'json says hi\n//whoami\n' });
    expect(r.code, r.err).to.equal(0);
    const frames = r.out.trim().split('\n').map((l) => JSON.parse(l));
    const types = frames.map((f) => f.type);
    expect(types.slice(0, 2)).to.deep.equal(['welcome', 'login_ok']);
    expect(types).to.include('history');
    const ack = frames.find((f) => f.type === 'message' && f.text === 'json says hi');
    expect(ack, r.out).to.have.property('ack');
    expect(frames.find((f) => f.type === 'result' && f.command === 'whoami').data).to.include({ name: 'carol' });
    expect(r.err).to.match(/logged in as carol/);
    expect(r.err).to.not.match(/^\{/m);
  });

  it('finds ./certs by default and takes every setting from CHATD_* variables', async () => {
    const dir = tmpdir('cli-cwd');
    fs.symlinkSync(t.world.certs, path.join(dir, 'certs'));
    const pwFile = path.join(dir, 'pw');
    fs.writeFileSync(pwFile, `${USERS.dave!.password}\n`);
    const r = await runCli(['--send', '//whoami'], { cwd: dir, env: { CHATD_PORT: String(t.port), CHATD_USER: 'dave', CHATD_PASSWORD_FILE: pwFile } });
    expect(r.code, r.err).to.equal(0);
    expect(r.out).to.match(/^dave \(user, level 1\)/);
    // Unrelated CHATD_* variables (chat-admin's CHATD_DB) are no unknown flags.
    const e = await runCli(['--send', '//whoami'], { cwd: dir, env: { CHATD_PORT: String(t.port), CHATD_USER: 'dave', CHATD_DB: 'sqlite:x', ...pw('dave') } });
    expect(e.code, e.err).to.equal(0);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('fails with one clear line: bad cert path, untrusted server, wrong password, certificate mismatch, ban, refused, no password', async () => {
    const c = t.world.certs;
    const owner = track(await TestClient.loggedIn(t.port, c, 'owner'));
    expect((await owner.command('//ban ali 2h posting spam links')).type).to.equal('result');
    const deadPort = await freePort();

    const cases: Array<{ what: string; args: string[]; env: Record<string, string>; input?: string; code: number; err: RegExp }> = [
      { what: 'bad cert path', args: [...flags(c, t.port, 'bob'), '--cert', '/nonexistent/bob.crt'], env: pw('bob'), code: 1, err: /^chat-cli: cannot read --cert file \/nonexistent\/bob\.crt: no such file$/ },
      { what: 'untrusted server', args: [...flags(c, t.port, 'bob'), '--ca', `${c}/clients/carol.crt`], env: pw('bob'), code: 1, err: /^chat-cli: TLS: server certificate not trusted \([A-Z_]+: .*\); check --ca/ },
      { what: 'wrong password', args: flags(c, t.port, 'bob'), env: { CHATD_PASSWORD: 'not-the-password' }, code: 1, err: /^chat-cli: AUTH_FAILED: / },
      { what: 'cert mismatch', args: [...flags(c, t.port, 'alice'), '--user', 'bob'], env: pw('bob'), code: 1, err: /^chat-cli: CERT_MISMATCH: / },
      { what: 'banned', args: flags(c, t.port, 'ali'), env: pw('ali'), code: 1, err: /^chat-cli: BANNED: banned by owner: posting spam links; expires in .+ UTC\)$/ },
      { what: 'refused', args: flags(c, deadPort, 'bob'), env: pw('bob'), code: 1, err: new RegExp(`^chat-cli: cannot connect to 127\\.0\\.0\\.1:${deadPort}: connection refused$`) },
      { what: 'no password, no terminal', args: flags(c, t.port, 'bob'), env: {}, input: 'hi\n', code: 2, err: /^chat-cli: no password: set CHATD_PASSWORD or pass --password-file/ },
    ];
    const results = await Promise.all(cases.map((k) => runCli([...k.args, ...(k.input ? [] : ['--send', 'hello'])], { env: k.env, input: k.input })));
    results.forEach((r, i) => {
      const k = cases[i]!;
      expect(r.code, `${k.what}: ${r.err}`).to.equal(k.code);
      expect(r.err.trimEnd().split('\n'), `${k.what}: one line`).to.have.length(1);
      expect(r.err.trimEnd(), k.what).to.match(k.err);
      expect(r.out, k.what).to.equal('');
    });
  });

  it('piped stdin: every line in order, RATE_LIMITED waited out and resent, exit 0 at EOF', async () => {
    // A tight bucket (3, then 10/s) so that flood control answers within a few lines.
    const tight = await t.start({ limits: { floodBurst: 3, floodRate: 10 } });
    const watcher = track(await TestClient.loggedIn(tight.address.port, t.world.certs, 'carol'));
    const lines = Array.from({ length: 15 }, (_, i) => `line ${i + 1}`);
    const r = await runCli(flags(t.world.certs, tight.address.port, 'bob'), { env: pw('bob'), input: lines.join('\n') + '\n', ms: 20000 });
    expect(r.code, r.err).to.equal(0);
    expect(r.err).to.match(/rate limited by the server; slowing down and resending/);
    const got: string[] = [];
    while (got.length < lines.length) got.push((await watcher.waitFor((f) => f.type === 'message' && f.from.name === 'bob')).text);
    expect(got).to.deep.equal(lines);
    for (const l of lines) expect(r.out.split('\n').filter((o) => o.endsWith(`bob: ${l}`))).to.have.length(1);
  });

  it('prints nothing a hostile server sends raw: every text is sanitized, --json escapes what a terminal would act on', async () => {
    const hostile = await hostileServer(t.world.certs);
    try {
      const args = flags(t.world.certs, hostile.port, 'bob');
      const r = await runCli(args, { env: pw('bob'), input: 'hello\n' });
      const all = r.out + r.err;
      expect(all, JSON.stringify(all)).to.not.match(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]/);
      expect(all).to.include('logged in as evil');
      expect(r.out).to.match(/#lobby evil: red link/);
      expect(r.err).to.match(/disconnected: SHUTDOWN bye/);

      const s = await runCli([...args, '--send', 'fail please'], { env: pw('bob') });
      expect(s.code).to.equal(1);
      expect(s.err).to.not.match(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
      expect(s.err).to.match(/^chat-cli: BANNED: hi there\n$/);

      const j = await runCli([...args, '--json'], { env: pw('bob'), input: 'hello\n' });
      expect(j.out).to.not.match(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]/);
      const frames = j.out.trim().split('\n').map((l) => JSON.parse(l));
      expect(frames.find((f) => f.type === 'message').text).to.equal('\x9b31mred \x1b]8;;http://x\x07link\u202e');
    } finally {
      await hostile.close();
    }
  });

  describe('interrupted connections', function () {
    // A world of its own: these tests ban, restart and cut, which the suite's other tests must not see.
    const u = withChatd();

    it('chatd restarted mid-session: says so, reconnects, logs in again, rejoins its rooms and restores the current one', async () => {
      const carol = track(Run.start(flags(u.world.certs, u.port, 'carol'), { env: pw('carol') }));
      await carol.waitErr(/logged in as carol/);
      carol.write('//join dev\nbefore restart\n//join ops\n//join lobby\n');
      await carol.waitOut(/^now in #lobby/m);

      await u.stop();
      await carol.waitErr(/connection lost \(bye SHUTDOWN: server shutting down\)/);
      await carol.waitErr(/reconnecting to 127\.0\.0\.1:\d+ in \d+ ms \(attempt 1\)/);
      await u.restart();
      await carol.waitErr(/reconnected as carol; in #dev #ops #lobby/);

      const bob = track(await TestClient.loggedIn(u.port, u.world.certs, 'bob'));
      carol.write('after restart\n//whoami\n');
      const m = await bob.waitFor((f) => f.type === 'message' && f.from.name === 'carol');
      expect(m).to.include({ text: 'after restart', room: 'lobby' }); // the current room is lobby again
      await carol.waitOut(/^carol \(user, level 1\) session \S+ in #lobby #dev #ops$/m);
      // The dev history after the rejoin repeats "before restart": printed once all the same.
      expect(carol.out.match(/#dev carol: before restart/g)).to.have.length(1);
      carol.end();
      expect(await carol.exit()).to.equal(0);
    });

    it('network cut: reconnects with backoff and shows the history it missed, without duplicates', async () => {
      const proxy = new TcpProxy('127.0.0.1', u.port);
      const pport = await proxy.start();
      try {
        const dave = track(Run.start(flags(u.world.certs, pport, 'dave'), { env: pw('dave') }));
        await dave.waitErr(/logged in as dave/);
        dave.write('//join dev\nseen before the cut\n');
        await dave.waitOut(/#dev dave: seen before the cut/);

        await proxy.cut();
        await dave.waitErr(/connection lost/);
        await dave.waitErr(/reconnect failed: connection refused/);
        const bob = track(await TestClient.loggedIn(u.port, u.world.certs, 'bob'));
        expect((await bob.command('//join dev')).type).to.equal('result');
        expect((await bob.say('said while dave was away', 'dev')).type).to.equal('message');
        await proxy.restore();
        await dave.waitErr(/reconnected as dave; in #lobby #dev/);
        await dave.waitOut(/#dev bob: said while dave was away/);
        dave.write('back in dev\n');
        await bob.waitFor((f) => f.type === 'message' && f.text === 'back in dev' && f.room === 'dev');
        expect(dave.out.match(/dave: seen before the cut/g)).to.have.length(1);
        expect(dave.out.match(/said while dave was away/g)).to.have.length(1);
        // Attempts back off: the delays grow (250 ms doubling, with jitter).
        const delays = [...dave.err.matchAll(/in (\d+) ms \(attempt/g)].map((x) => Number(x[1]));
        expect(delays.length).to.be.at.least(2);
        expect(delays[1]).to.be.greaterThan(delays[0]! * 0.99);
        dave.end();
        expect(await dave.exit()).to.equal(0);
      } finally {
        await proxy.stop();
      }
    });

    it('answers server pings, and treats a silent server as dead after --idle-timeout', async () => {
      // chatd pings after 100 ms of silence and drops a client after 400 ms without an answer.
      const pinging = await u.start({ limits: { pingIntervalMs: 100, idleTimeoutMs: 400 } });
      const proxy = new TcpProxy('127.0.0.1', pinging.address.port);
      await proxy.start();
      try {
        const erin = track(Run.start([...flags(u.world.certs, proxy.port, 'bob'), '--json', '--idle-timeout', '1'], { env: pw('bob') }));
        await erin.waitErr(/logged in as bob/);
        // Ten pings answered span well over chatd's 400 ms limit: the pongs kept the session alive.
        await erin.until(() => (erin.out.match(/"type":"ping"/g) ?? []).length >= 10, 'ten pings');
        expect(erin.err).to.not.match(/connection lost/);
        expect(erin.out).to.not.match(/"type":"bye"/);

        proxy.freeze(); // the network path goes silent, the sockets stay open
        await erin.waitErr(/connection lost \(no data from the server for 1 s\)/, 5000);
        await erin.waitErr(/reconnected as bob/, 8000);
        erin.end();
        expect(await erin.exit()).to.equal(0);
      } finally {
        await proxy.stop();
      }
    });

    it('banned while away: the login after the reconnect is refused and the client exits 1 with BANNED', async () => {
      const proxy = new TcpProxy('127.0.0.1', u.port);
      const pport = await proxy.start();
      try {
        const alice = track(Run.start(flags(u.world.certs, pport, 'alice'), { env: pw('alice') }));
        await alice.waitErr(/logged in as alice/);
        await proxy.cut();
        await alice.waitErr(/connection lost/);
        const mod = track(await TestClient.loggedIn(u.port, u.world.certs, 'mod'));
        expect((await mod.command('//ban alice 10m flooding the lobby')).type).to.equal('result');
        await proxy.restore();
        expect(await alice.exit()).to.equal(1);
        expect(alice.err.trimEnd().split('\n').pop()).to.match(/^chat-cli: BANNED: banned by mod: flooding the lobby; expires in .+ UTC\)$/);
      } finally {
        await proxy.stop();
      }
    });

    it('a server certificate that fails verification after a reconnect is fatal too: exit 1, never skipped', async () => {
      const sport = u.port; // the port the impostor takes while chatd is stopped
      const frank = track(Run.start(flags(u.world.certs, sport, 'carol'), { env: pw('carol') }));
      await frank.waitErr(/logged in as carol/);
      await u.stop();
      await frank.waitErr(/connection lost/);
      // An impostor on the same port, with a certificate from the right CA that is not a server's for
      // 127.0.0.1 (bob's client certificate).
      const impostor = tls.createServer({ cert: fs.readFileSync(`${u.world.certs}/clients/bob.crt`), key: fs.readFileSync(`${u.world.certs}/clients/bob.key`), ALPNProtocols: ['chatd/1'] }, (s) => s.end());
      impostor.on('tlsClientError', () => {});
      await new Promise<void>((r) => impostor.listen(sport, '127.0.0.1', () => r()));
      try {
        expect(await frank.exit()).to.equal(1);
        expect(frank.err.trimEnd().split('\n').pop()).to.match(/^chat-cli: TLS: server certificate not trusted \([A-Z_]+: /);
      } finally {
        await new Promise<void>((r) => impostor.close(() => r()));
        await u.restart();
      }
    });
  });
});

/**
 * A server that speaks chatd's protocol with hostile strings in every field: escape sequences, C1
 * controls, bidi overrides, OSC hyperlinks and titles. Its certificate is the real test server's.
 */
async function hostileServer(certs: string): Promise<{ port: number; close(): Promise<void> }> {
  const ESC = '\x1b';
  const from = { name: `${ESC}[31mevil`, role: 'user', color: 'cyan' };
  const server = tls.createServer({
    cert: fs.readFileSync(`${certs}/server.crt`), key: fs.readFileSync(`${certs}/server.key`), ca: fs.readFileSync(`${certs}/ca.crt`),
    requestCert: true, rejectUnauthorized: true, ALPNProtocols: ['chatd/1'],
  }, (s) => {
    const send = (f: object) => s.write(JSON.stringify(f) + '\n');
    const ts = new Date().toISOString();
    send({ type: 'welcome', server: `chatd${ESC}]0;pwned${'\x07'}`, version: '9', protocol: 1, prefix: '//', cert_user: 'bob' });
    let buf = '';
    s.on('data', (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const f = JSON.parse(buf.slice(0, i));
        buf = buf.slice(i + 1);
        if (f.type === 'login') {
          send({ type: 'login_ok', id: f.id, user: { ...from, level: 1 }, room: 'lobby', motd: `${ESC}[2Jmotd${'\x9b'}1;1H` });
          send({ type: 'history', room: `lob${ESC}[8mby`, messages: [{ type: 'message', id: 'h1', ts, room: 'lobby', from, text: `old${ESC}P+q${ESC}\\`, kind: 'say' }] });
          send({ type: 'message', id: 'm1', ts, room: 'lobby', from, text: `\x9b31mred ${ESC}]8;;http://x${'\x07'}link\u202e`, kind: 'say' });
          send({ type: 'event', event: 'topic', room: 'lobby', by: `x${ESC}[5m`, topic: `t${'\x07'}${'\x08'}`, ts });
          send({ type: 'error', code: `${ESC}[41mINTERNAL`, message: `${'\x07'}unprompted` });
        } else if (f.type === 'say' && f.text === 'fail please') {
          send({ type: 'error', id: f.id, code: `BANNED${ESC}[0m`, message: `${ESC}]0;x${'\x07'}hi there` });
        } else if (f.type === 'say') {
          send({ type: 'message', id: `a${f.id}`, ack: f.id, ts, room: 'lobby', from, text: `${f.text}${ESC}[1A`, kind: 'say' });
        } else if (f.type === 'quit') {
          send({ type: 'result', id: f.id, command: 'quit', text: `goodbye${ESC}[?1049h` });
          send({ type: 'bye', code: 'SHUTDOWN', reason: `bye${ESC}]52;c;Y2xpcA==${'\x07'}` });
          s.end();
        }
      }
    });
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
