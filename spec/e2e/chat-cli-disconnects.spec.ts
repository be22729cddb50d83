// chat-cli on a terminal when the connection ends (issue 19, item 6): one line per event, one status
// line that updates while reconnecting, and no prompt left behind when the program ends. Asserted on
// what the terminal shows (spec/helpers/cli-run.ts, screen()), with the real binary and a real chatd.
import { expect } from 'chai';
import { flags, pw, Run, screen } from '../helpers/cli-run.js';
import { TestClient } from '../helpers/client.js';
import { withChatd } from '../helpers/chatd.js';

describe('e2e: chat-cli disconnects on a terminal', function () {
  this.timeout(30000);
  const t = withChatd();
  const runs: Run[] = [];
  const clients: TestClient[] = [];
  const track = (r: Run): Run => { runs.push(r); return r; };

  afterEach(() => {
    for (const r of runs.splice(0)) r.kill();
    for (const c of clients.splice(0)) c.close();
  });

  const shown = (r: Run) => screen(r.out);
  const count = (lines: string[], re: RegExp) => lines.filter((l) => re.test(l)).length;

  it('kicked: the reason once, exit 1, no prompt left behind', async () => {
    const alice = track(Run.start(flags(t.world.certs, t.port, 'alice'), { pty: true, env: pw('alice') }));
    await alice.waitScreen(/#lobby> $/);
    const mod = await TestClient.loggedIn(t.port, t.world.certs, 'mod');
    clients.push(mod);
    expect((await mod.command('//kick alice spamming the lobby')).type).to.equal('result');
    expect(await alice.exit()).to.equal(1);
    const lines = shown(alice);
    expect(count(lines, /spamming the lobby/), lines.join('\n')).to.equal(1);
    expect(lines[lines.length - 1], lines.join('\n')).to.match(/KICKED: kicked by mod: spamming the lobby$/);
    expect(lines.some((l) => /#lobby> *$/.test(l)), lines.join('\n')).to.equal(false);
  });

  it('server restart: one line for the shutdown, one status line updated through every attempt, replaced by "reconnected"', async () => {
    const bob = track(Run.start(flags(t.world.certs, t.port, 'bob'), { pty: true, env: pw('bob') }));
    await bob.waitScreen(/#lobby> $/);
    await t.stop();
    let during: string[];
    try {
      await bob.until(() => /\(attempt 3/.test(bob.out), 'a third reconnect attempt');
      during = shown(bob);
    } finally {
      await t.restart();
    }
    expect(count(during, /SHUTDOWN|shutting down/), during.join('\n')).to.equal(1);
    expect(count(during, /reconnect/), during.join('\n')).to.equal(1);
    expect(during.join('\n')).to.match(/attempt 3; connection refused/);
    await bob.waitScreen(/reconnected as bob/);
    await bob.until(() => /^#lobby>$/m.test(shown(bob).join('\n')), 'the prompt back');
    const after = shown(bob);
    expect(count(after, /reconnect/), after.join('\n')).to.equal(1);
    expect(after.join('\n')).to.match(/reconnected as bob/);
    expect(count(after, /logged in as|connected to/), after.join('\n')).to.equal(2); // from the first login only
  });

  it('//quit: "goodbye" is the last line, no prompt after it, exit 0', async () => {
    const carol = track(Run.start(flags(t.world.certs, t.port, 'carol'), { pty: true, env: pw('carol') }));
    await carol.waitScreen(/#lobby> $/);
    carol.write('//quit\r');
    expect(await carol.exit()).to.equal(0);
    const lines = shown(carol);
    expect(lines[lines.length - 1], lines.join('\n')).to.equal('goodbye');
  });
});
