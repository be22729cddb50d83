// SIGHUP re-reads --config: motd, prefix, command levels and limits reach live sessions; a file that
// fails validation changes nothing; flags still win over the file.
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { exited, startBin } from '../helpers/bin.js';
import { TestClient } from '../helpers/client.js';
import { until } from '../helpers/wait.js';
import { makeWorld, tmpdir, type World } from '../helpers/world.js';

describe('ops: SIGHUP reloads the config file', function () {
  this.timeout(60000);
  let world: World;
  let dir: string;
  let child: Awaited<ReturnType<typeof startBin>>;
  let port: number;
  const write = (cfg: object) => fs.writeFileSync(path.join(dir, 'chatd.json'), JSON.stringify(cfg));
  const base = { password: { m: 256, t: 1, p: 1 } };

  before(async () => {
    world = await makeWorld();
    dir = tmpdir('reload');
    write({ ...base, motd: 'first motd', limits: { floodBurst: 20 } });
    child = await startBin('chatd', ['--cert', `${world.certs}/server.crt`, '--key', `${world.certs}/server.key`, '--ca', `${world.certs}/ca.crt`,
      '--db', world.db, '--port', '0', '--config', path.join(dir, 'chatd.json'), '--log-format', 'json']);
    port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(child.output())![1]);
  });
  after(async () => {
    child?.kill('SIGTERM');
    if (child) await exited(child);
    await world?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Sends SIGHUP and waits for the n-th line matching `re` in chatd's log. */
  async function hup(re: RegExp): Promise<void> {
    const count = () => child.output().split('\n').filter((l) => re.test(l)).length;
    const before = count();
    child.kill('SIGHUP');
    await until(async () => count() > before, 10000, `log line ${re}`);
  }

  it('applies motd, prefix, command levels and a lower flood burst to a live session', async () => {
    const alice = await TestClient.loggedIn(port, world.certs, 'alice');
    expect((await alice.command('//motd')).text).to.contain('first motd');
    expect((await alice.command('//users')).type).to.equal('result');

    write({ ...base, motd: 'second motd', prefix: '!', commandLevels: { Users: 50 }, limits: { floodBurst: 3, floodRate: 0.5 } });
    await hup(/"msg":"config reloaded"/);

    expect((await alice.command('!motd')).text).to.contain('second motd');
    expect(await alice.command('!users')).to.include({ type: 'error', code: 'FORBIDDEN' });
    // `//motd` is no command any more, but neither is it said to the room: see the last test.
    expect(await alice.say('//motd')).to.include({ type: 'error', code: 'UNKNOWN_COMMAND' });
    // The burst is 3 now: of 6 pings at once, some are refused.
    for (let i = 0; i < 6; i++) alice.send({ type: 'ping', id: `p${i}` });
    await alice.waitFor((f) => f.type === 'error' && f.code === 'RATE_LIMITED');
    const late = await TestClient.connect(port, world.certs, 'bob');
    expect((await late.waitFor((f) => f.type === 'welcome')).prefix).to.equal('!');
    alice.close(); late.close();
  });

  it('keeps the running configuration when the new file is invalid, and says why', async () => {
    write({ ...base, motd: 'third motd', limits: { floodBurst: -1 }, tyop: true });
    await hup(/config reload refused; keeping the running configuration/);
    expect(child.output()).to.match(/tyop/);
    const bob = await TestClient.loggedIn(port, world.certs, 'bob');
    expect((await bob.command('!motd')).text).to.contain('second motd');
    bob.close();
  });

  // Each of these passed validation once and a reload applied it: a null motd made //motd and every
  // login answer INTERNAL, a 0 line limit cut every live session at its next line, a loginTimeoutMs
  // past a Node timer's range fired at once, hash parameters the hasher refuses broke //passwd.
  it('refuses a file with a wrong type or an out-of-range value, one line naming it, and live sessions go on as before', async () => {
    const alice = await TestClient.loggedIn(port, world.certs, 'alice');
    const bad: Array<[object, RegExp]> = [
      [{ motd: null }, /motd must be a string/],
      [{ serverName: 42 }, /serverName must be a string/],
      [{ serverName: 'chat\r\nPRIVMSG #lobby :hi' }, /serverName must be 1-64 printable/],
      [{ prefix: '\u202e!' }, /prefix must be 1-4 printable/],
      [{ logLevel: 'verbose' }, /logLevel must be/],
      [{ limits: null }, /limits must be an object/],
      [{ limits: { maxLineBytes: 0 } }, /limits\.maxLineBytes must be a whole number >= 1/],
      [{ limits: { sendqBytes: 0 } }, /limits\.sendqBytes must be a whole number >= 1/],
      [{ limits: { floodBurst: 0.5 } }, /limits\.floodBurst must be a whole number >= 1/],
      [{ limits: { floodRate: 0 } }, /limits\.floodRate must be more than 0/],
      [{ limits: { loginTimeoutMs: 3e9 } }, /limits\.loginTimeoutMs must be at most 2147483647/],
      [{ password: { m: 1 } }, /password: m must be/],
      [{ password: { mm: 4096 } }, /password\.mm is not a known setting/],
      [JSON.parse('{"__proto__": {"motd": "sneaky"}}'), /__proto__ is not a known setting/],
    ];
    for (const [cfg, why] of bad) {
      write({ ...base, motd: 'second motd', prefix: '!', commandLevels: { Users: 50 }, ...cfg });
      const from = child.output().length;
      await hup(/config reload refused; keeping the running configuration/);
      const said = child.output().slice(from);
      expect(said, JSON.stringify(cfg)).to.match(why);
      expect(said, JSON.stringify(cfg)).not.to.match(/"msg":"config reloaded"/);
    }
    expect((await alice.command('!motd')).text).to.contain('second motd');
    expect(await alice.say('still here')).to.include({ type: 'message', text: 'still here' });
    const carol = await TestClient.loggedIn(port, world.certs, 'carol');
    expect((await carol.command('!whoami')).type).to.equal('result');
    alice.close(); carol.close();
  });

  // A live client learnt the prefix from its welcome and is not told of a new one: after a reload
  // from // to !, its user's `//passwd <old> <new>` was an ordinary message, said to the room and
  // stored in its history, password and all.
  it('refuses a line that starts with the former prefix and a command name instead of saying it to the room', async () => {
    const alice = await TestClient.loggedIn(port, world.certs, 'alice');
    const bob = await TestClient.loggedIn(port, world.certs, 'bob');
    const r = await alice.say('//passwd Alice-pass-1234 Brand-new-pass-99');
    expect(r).to.include({ type: 'error', code: 'UNKNOWN_COMMAND' });
    expect(r.message).to.contain('!passwd').and.not.to.contain('Brand-new-pass-99');
    expect(await alice.say('after')).to.include({ type: 'message', text: 'after' });
    const seen = await bob.waitFor((f) => f.type === 'message' && f.text === 'after', 5000, 'the line after');
    expect(seen).to.be.ok;
    expect(JSON.stringify(bob.frames)).not.to.contain('Brand-new-pass-99');
    // (Every session here has a burst of 3 lines, its login included.) A leading blank sends it as text.
    expect(await bob.say(' //motd')).to.include({ type: 'message', text: '//motd' });
    alice.close(); bob.close();
  });
});
