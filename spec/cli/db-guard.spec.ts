// Issue 19 item 3: a mistyped --db must not silently create a new, empty database that chatd never
// reads. Tools other than `chat-migrate latest` (and chatd, which migrates at start) refuse a database
// that does not exist or has no schema, in one line, exit 1, naming `chat-migrate latest`; and
// `chat-migrate rollback`, which deletes everything, needs --yes when there is no terminal to ask on.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import knexFactory from 'knex';
import { runBin } from '../helpers/bin.js';
import { Run } from '../helpers/cli-run.js';
import { freshDb, tmpdir } from '../helpers/world.js';

describe('cli: a --db that does not exist or has no schema', function () {
  this.timeout(60000);
  let dir: string;
  before(() => { dir = tmpdir('db-guard'); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const refused = (r: { code: number | null; err: string }) => {
    expect(r.code, r.err).to.equal(1);
    expect(r.err.trim().split('\n'), r.err).to.have.length(1);
    expect(r.err).to.match(/chat-migrate latest/);
  };

  for (const [tool, args] of [
    ['chat-admin', ['user', 'list']],
    ['chat-admin', ['user', 'add', 'bob', '--password-stdin']],
    ['chat-admin', ['ban', 'list']],
    ['chat-admin', ['cert', 'list']],
    ['chat-migrate', ['status']],
    ['chat-migrate', ['rollback', '--yes']],
  ] as const) {
    it(`${tool} ${args.join(' ')} --db sqlite:<typo>/x.sqlite: one line, exit 1, nothing created`, async () => {
      const typo = path.join(dir, 'typo');
      refused(await runBin(tool, [...args, '--db', `sqlite:${typo}/x.sqlite`], { input: 'Bob-pass-1234\n' }));
      expect(fs.existsSync(typo), 'the folder of the mistyped path').to.equal(false);
    });
  }

  it('chat-admin on the default ./data/chatd.sqlite of a folder where chatd never ran: refused, nothing created', async () => {
    const cwd = tmpdir('db-guard-cwd');
    try {
      refused(await runBin('chat-admin', ['user', 'list'], { cwd }));
      expect(fs.existsSync(path.join(cwd, 'data'))).to.equal(false);
    } finally { fs.rmSync(cwd, { recursive: true, force: true }); }
  });

  it('chat-admin on an existing file without the chatd schema: refused, exit 1', async () => {
    const file = path.join(dir, 'empty.sqlite');
    fs.writeFileSync(file, '');
    refused(await runBin('chat-admin', ['user', 'list', '--db', `sqlite:${file}`]));
  });

  it('chat-admin on a MariaDB database without the chatd schema: refused, exit 1, no table created', async function () {
    if (!process.env.CHATD_TEST_MYSQL) return this.skip();
    const db = await freshDb('mysql');
    try {
      refused(await runBin('chat-admin', ['user', 'list', '--db', db.url]));
      const k = knexFactory({ client: 'mysql2', connection: db.url });
      try {
        const [rows] = await k.raw('SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = DATABASE()');
        expect(Number(rows[0].n)).to.equal(0);
      } finally { await k.destroy(); }
    } finally { await db.drop(); }
  });

  it('after chat-migrate latest the same commands work', async () => {
    const db = `sqlite:${path.join(dir, 'ok', 'chatd.sqlite')}`;
    expect((await runBin('chat-migrate', ['latest', '--db', db])).code).to.equal(0);
    const r = await runBin('chat-admin', ['user', 'add', 'bob', '--password-stdin', '--db', db], { input: 'Bob-pass-1234\n' });
    expect(r.code, r.err).to.equal(0);
    expect((await runBin('chat-admin', ['user', 'list', '--db', db])).out).to.match(/bob/);
    expect((await runBin('chat-migrate', ['status', '--db', db])).out).to.match(/applied\s+001_initial/);
  });
});

describe('cli: chat-migrate rollback asks first', function () {
  this.timeout(60000);
  let dir: string;
  let db: string;
  before(async () => {
    dir = tmpdir('rollback');
    db = `sqlite:${path.join(dir, 'chatd.sqlite')}`;
    expect((await runBin('chat-migrate', ['latest', '--db', db])).code).to.equal(0);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('without a terminal and without --yes: refused as bad usage (exit 2), nothing rolled back', async () => {
    const r = await runBin('chat-migrate', ['rollback', '--db', db]);
    expect(r.code, r.err).to.equal(2);
    expect(r.err.trim().split('\n')).to.have.length(1);
    expect(r.err).to.match(/--yes/);
    expect((await runBin('chat-migrate', ['status', '--db', db])).out).to.match(/applied\s+001_initial/);
  });

  it('on a terminal it asks: anything but "yes" changes nothing (util-linux script(1) provides the terminal)', async function () {
    if (spawnSync('script', ['--version']).status !== 0) return this.skip();
    const no = Run.bin('chat-migrate', ['rollback', '--db', db], { pty: true });
    await no.waitOut(/Roll back every migration of .*Type "yes"/);
    no.write('no\r');
    expect(await no.exit(), no.out).to.equal(1);
    expect(no.out).to.match(/rollback cancelled; nothing changed/);
    expect((await runBin('chat-migrate', ['status', '--db', db])).out).to.match(/applied\s+001_initial/);
  });

  it('with --yes: rolled back', async () => {
    const r = await runBin('chat-migrate', ['rollback', '--yes', '--db', db]);
    expect(r.code, r.err).to.equal(0);
    expect(r.out).to.match(/rolled back: /);
    expect((await runBin('chat-migrate', ['status', '--db', db])).out).to.match(/pending\s+001_initial/);
  });
});
