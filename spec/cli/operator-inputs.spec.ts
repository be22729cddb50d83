// What a probe of the operator tools found: values the tools took and should have refused with one
// line and exit 2 (a certificate valid past the year 9999, a role level no column holds), a --db
// password with a bare % that failed as "URI malformed", a reserved audit actor free as a user name,
// certificate folders left world-writable under umask 000, and a restore failure over two lines.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import forge from 'node-forge';
import { binPath, runBin } from '../helpers/bin.js';
import { tmpdir } from '../helpers/world.js';

describe('operator tools: inputs refused in one line', function () {
  this.timeout(60000);
  let dir: string;
  let db: string;
  before(async () => {
    dir = tmpdir('operator');
    db = `sqlite:${path.join(dir, 'chatd.sqlite')}`;
    const r = await runBin('chat-migrate', ['latest', '--db', db]);
    expect(r.code, r.err).to.equal(0);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const oneLine = (err: string) => expect(err.trim().split('\n'), err).to.have.length(1);

  it('chat-certs --days past what a certificate can hold: exit 2, nothing written', async () => {
    const certs = path.join(dir, 'certs-days');
    const r = await runBin('chat-certs', ['init', '--dir', certs, '--days', '2950000']);
    expect(r.code, r.err).to.equal(2);
    oneLine(r.err);
    expect(fs.existsSync(path.join(certs, 'ca.crt'))).to.equal(false);
  });

  it('a role level no column holds: exit 2, nothing changed', async () => {
    for (const args of [['role', 'set', 'user', '--level', '1e308'], ['role', 'add', 'big', '--level', '3000000000']]) {
      const r = await runBin('chat-admin', [...args, '--db', db]);
      expect(r.code, `${args.join(' ')}: ${r.err}`).to.equal(2);
      oneLine(r.err);
    }
    const roles = await runBin('chat-admin', ['role', 'list', '--db', db]);
    expect(roles.out).to.not.match(/e\+308|\bbig\b/);
  });

  it('npm start\'s audit actor is no user name', async () => {
    const r = await runBin('chat-admin', ['user', 'add', 'npm-start', '--password-stdin', '--db', db], { input: 'Some-pass-1234\n' });
    expect(r.code).to.not.equal(0);
    expect(r.err).to.match(/reserved/);
  });

  it('a --db password with a bare %: one line that says so, not "URI malformed"', async () => {
    const r = await runBin('chat-migrate', ['status', '--db', 'mysql://root:50%off@127.0.0.1:3306/x']);
    expect(r.code).to.not.equal(0);
    oneLine(r.err);
    expect(r.err).to.match(/%25/).and.not.match(/50%off|URI malformed/);
  });

  it('an argument holding terminal escapes is echoed spelled out, never sent to the terminal', async () => {
    const r = await runBin('chat-admin', ['role', 'set', '\x1b[2J\x1b[Hfake', '--level', '5', '--db', db]);
    expect(r.code).to.not.equal(0);
    oneLine(r.err);
    expect(r.err).to.not.include('\x1b');
    expect(r.err).to.include('\\x1b[2J');
  });

  it('the .p12 password can come from CHATD_P12_PASSWORD, out of the process list', async () => {
    const certs = path.join(dir, 'certs-p12');
    expect((await runBin('chat-certs', ['init', '--dir', certs])).code).to.equal(0);
    const r = await runBin('chat-certs', ['client', 'alice', '--p12', '--dir', certs], { env: { CHATD_P12_PASSWORD: 'p12 secret here' } });
    expect(r.code, r.err).to.equal(0);
    const open = (password: string) => forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(fs.readFileSync(path.join(certs, 'clients', 'alice.p12')).toString('binary')), password);
    expect(() => open('wrong')).to.throw();
    expect(() => open('p12 secret here')).to.not.throw();
  });

  it('certificate folders are not writable by others under umask 000', () => {
    const certs = path.join(dir, 'certs-umask');
    for (const args of [['init', '--dir', certs], ['client', 'alice', '--dir', certs]]) {
      const r = spawnSync('sh', ['-c', `umask 000 && exec "${process.execPath}" "${binPath('chat-certs')}" "$@"`, 'sh', ...args], { encoding: 'utf8' });
      expect(r.status, r.stderr).to.equal(0);
    }
    for (const d of [certs, path.join(certs, 'clients')]) expect(fs.statSync(d).mode & 0o022, d).to.equal(0);
  });
});
