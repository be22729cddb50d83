// Issue 13: what `npm start` prints to invite a second user works as printed: the development chatd
// signs with certs/ca.key, `chat-admin invite add` makes the code, `chat-cli enroll` joins with it and
// plain `chat-cli` connects.
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { exited, runBin, startBin } from '../helpers/bin.js';
import { enrollRaw } from '../helpers/enroll.js';
import { makeWorld, tmpdir, type World } from '../helpers/world.js';

describe('e2e: npm start prints an invite recipe that works', function () {
  this.timeout(60000);
  it('chat-admin invite add (as printed), chat-cli enroll <code>, then chat-cli', async () => {
    const dir = tmpdir('dev-enroll');
    try {
      const child = await startBin('chatd', ['--dev', '--port', '0'], { cwd: dir, ready: /and then simply: npx chat-cli\n/ });
      const out = child.output();
      const printed = /npx chat-admin (invite add bob .*)\n/.exec(out)![1]!;
      const invite = await runBin('chat-admin', printed.split(' '), { cwd: dir });
      expect(invite.code, invite.err).to.equal(0);
      expect(invite.err).to.match(/invite for bob \(role user\), works once until/);
      const env = { XDG_CONFIG_HOME: path.join(dir, 'home-of-bob'), CHATD_PASSWORD: 'bob chose this one' };
      const enrolled = await runBin('chat-cli', ['enroll', invite.out.trim()], { env });
      expect(enrolled.code, enrolled.err).to.equal(0);
      const sent = await runBin('chat-cli', ['--send', '//whoami'], { env });
      expect(sent.code, sent.err).to.equal(0);
      expect(sent.out).to.match(/bob/);
      const certs = await runBin('chat-admin', ['cert', 'list', 'bob'], { cwd: dir });
      expect(certs.out).to.match(/bob\s+\S+\s+enroll\s/);
      child.kill('SIGTERM');
      expect(await exited(child)).to.equal(0);
    } finally { fs.rmSync(dir, { recursive: true, force: true }); }
  });
});

describe('e2e: chatd --ca-key and CHATD_CA_KEY', function () {
  this.timeout(60000);
  let world: World;
  before(async () => { world = await makeWorld(); });
  after(async () => { await world?.drop(); });

  const base = () => ['--cert', `${world.certs}/server.crt`, '--key', `${world.certs}/server.key`, '--ca', `${world.certs}/ca.crt`, '--db', world.db, '--port', '0'];
  const portOf = (out: string) => Number(/listening on [\d.]+:(\d+)/.exec(out)![1]);

  it('--ca-key enables enrollment; without it chatd answers ENROLL_DISABLED; CHATD_CA_KEY works as the flag', async () => {
    for (const [args, env, expected] of [
      [['--ca-key', `${world.certs}/ca.key`], {}, 'enroll_hello'],
      [[], { CHATD_CA_KEY: `${world.certs}/ca.key` }, 'enroll_hello'],
      [[], {}, 'error'],
    ] as const) {
      const child = await startBin('chatd', [...base(), ...args], { env });
      try {
        const r = await enrollRaw(portOf(child.output()), world.certs, null);
        expect(r.frames[0]?.type, JSON.stringify(args) + JSON.stringify(env)).to.equal(expected);
      } finally {
        child.kill('SIGTERM');
        await exited(child);
      }
    }
  });

  it('an unreadable --ca-key: exit 1 with one line', async () => {
    const r = await runBin('chatd', [...base(), '--ca-key', '/nonexistent/ca.key']);
    expect(r.code).to.equal(1);
    expect(r.err.trim().split('\n')).to.have.length(1);
    expect(r.err).to.match(/cannot read --ca-key file \/nonexistent\/ca\.key/);
  });
});
