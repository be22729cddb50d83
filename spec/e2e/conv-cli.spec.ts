// DESIGN.md "Conversations" in the real chat-cli binary: gap-free resume and exactly-once lines
// through cuts of the TCP proxy, mention highlighting and the terminal bell on a pty.
import { expect } from 'chai';
import { type Frame } from '../helpers/client.js';
import { withChatd } from '../helpers/chatd.js';
import { flags, pw, Run } from '../helpers/cli-run.js';
import { TcpProxy } from '../helpers/proxy.js';
import { until } from '../helpers/wait.js';

const BEL = '\x07';

describe('e2e: conversations in chat-cli', function () {
  this.timeout(60_000);
  const t = withChatd({ config: { limits: { floodBurst: 2000, floodRate: 2000 } } });
  const runs: Run[] = [];
  const track = (r: Run) => { runs.push(r); return r; };
  afterEach(() => { for (const r of runs.splice(0)) r.kill(); });

  /** The JSON frames chat-cli --json printed so far. */
  const framesOf = (r: Run): Frame[] => r.out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  const textsIn = (frames: Frame[], room: string): string[] => frames.flatMap((f) =>
    f.type === 'message' && f.room === room ? [f.text] : f.type === 'history' && f.room === room ? f.messages.map((m: Frame) => m.text) : []);

  it('a reader cut off while 300 messages are said shows all 300 exactly once, in order, after reconnecting', async () => {
    const proxy = new TcpProxy('127.0.0.1', t.port);
    await proxy.start();
    t.defer(() => proxy.stop());
    const writer = await t.login('bob');
    await writer.command('//join cli300');
    const reader = track(Run.start([...flags(t.world.certs, proxy.port, 'carol'), '--json'], { env: pw('carol') }));
    reader.write('//join cli300\n');
    await reader.until(() => framesOf(reader).some((f) => f.type === 'result' && f.command === 'join'), 'joined');
    const sent: string[] = [];
    for (let i = 0; i < 300; i++) {
      sent.push(`m${i}`);
      writer.send({ type: 'say', text: `m${i}`, room: 'cli300', id: `w${i}` });
      if (i === 100) {
        await reader.until(() => textsIn(framesOf(reader), 'cli300').length >= 50, 'the first 50');
        await proxy.cut();
      }
    }
    await writer.waitFor((f) => f.ack === 'w299', 20_000, 'last ack');
    await proxy.restore();
    await reader.until(() => textsIn(framesOf(reader), 'cli300').includes('m299'), 'm299', 20_000);
    expect(textsIn(framesOf(reader), 'cli300')).to.deep.equal(sent);
  });

  it('a plain line and a //msg whose answers are dropped on the way back run exactly once', async () => {
    const proxy = new TcpProxy('127.0.0.1', t.port);
    await proxy.start();
    t.defer(() => proxy.stop());
    const bob = await t.login('bob');
    const dave = track(Run.start(flags(t.world.certs, proxy.port, 'dave'), { env: pw('dave') }));
    await dave.waitErr(/logged in as dave/);
    let syncs = 0;
    const lost = async (line: string, arrived: (f: Frame) => boolean) => {
      proxy.deafen();
      dave.write(line + '\n');
      await bob.waitFor(arrived, 8000, line);
      await proxy.cut();
      await dave.waitErr(/connection lost/);
      await proxy.restore();
      await dave.waitErr(/reconnected as dave/);
      // Lines go out one at a time, each after the previous answer: a //whoami answered after the
      // reconnect means the resent line was answered.
      dave.write('//whoami\n');
      const n = ++syncs;
      await dave.until(() => (dave.out.match(/^dave \(user, level 1\)/gm) ?? []).length === n, 'whoami answered');
    };
    await lost('said once', (f) => f.type === 'message' && f.text === 'said once');
    await lost('//msg bob dm once', (f) => f.type === 'dm' && f.text === 'dm once');
    dave.write('marker\n');
    dave.end();
    await bob.waitFor((f) => f.type === 'message' && f.text === 'marker');
    expect(await dave.exit()).to.equal(0);
    expect(bob.frames.filter((f) => f.text === 'said once' || f.text === 'dm once')).to.deep.equal([]);
    await t.chatd.node.history.drain(5000);
    expect((await t.world.store.history('lobby', 200)).filter((m) => m.text === 'said once')).to.have.length(1);
    expect(await t.world.store.dmHistory('dave', 'bob', 50)).to.have.length(1);
    // Both answers reached the user: the message and "sent to bob", once each.
    expect(dave.out.match(/dave: said once/g)).to.have.length(1);
    expect(dave.out.match(/sent to bob/g)).to.have.length(1);
  });

  describe('mentions and the bell', () => {
    async function terminal(user: string, ...extra: string[]): Promise<Run> {
      const r = track(Run.start([...flags(t.world.certs, t.port, user), ...extra], { env: { ...pw(user), NO_COLOR: '' }, pty: true }));
      await r.waitScreen(new RegExp(`logged in as ${user}`));
      return r;
    }
    const bells = (r: Run) => r.out.split(BEL).length - 1;

    it('rings on a mention (whole word, any case) and a DM, not on other lines; highlights the mention', async () => {
      const carol = await terminal('carol');
      const bob = await t.login('bob');
      await bob.say('just a line');
      await carol.waitScreen(/bob: just a line/);
      await bob.say('carolina is another name');
      await carol.waitScreen(/bob: carolina is another name/);
      expect(bells(carol)).to.equal(0);
      await bob.say('hey CAROL, look');
      await carol.waitScreen(/bob: hey CAROL, look/);
      await until(async () => bells(carol) === 1, 5000, 'one bell');
      expect(carol.out).to.match(/\x1b\[1m[^\n]*hey CAROL, look/); // the whole line in bold
      await bob.command('//msg carol psst');
      await carol.waitScreen(/psst/);
      await until(async () => bells(carol) === 2, 5000, 'a second bell');
      // Own lines never ring.
      carol.write('carol says hi\n');
      await bob.waitFor((f) => f.type === 'message' && f.text === 'carol says hi');
      await bob.say('after');
      await carol.waitScreen(/bob: after/);
      expect(bells(carol)).to.equal(2);
    });

    it('--bell off never rings; --bell all rings on every line of others', async () => {
      const quiet = await terminal('carol', '--bell', 'off');
      const loud = await terminal('dave', '--bell', 'all');
      const bob = await t.login('bob');
      await bob.say('carol and dave, hello');
      await bob.say('plain');
      await quiet.waitScreen(/bob: plain/);
      await loud.waitScreen(/bob: plain/);
      expect(bells(quiet)).to.equal(0);
      await until(async () => bells(loud) === 2, 5000, 'two bells');
    });
  });
});

