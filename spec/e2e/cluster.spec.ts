// Scale-out (#7): several real chatd processes on their own ports share one MariaDB and one Redis.
// Messages, DMs and events cross nodes exactly once and in order; presence spans nodes and forgets
// a killed node within its TTL; moderation and certificate revocation reach every node within a
// second; a Redis outage leaves each node serving its own sessions until Redis returns.
// Runs only when CHATD_TEST_MYSQL and CHATD_TEST_REDIS are both set. Every run has its own
// databases and its own Redis key prefix (`?prefix=` on the bus URL), so runs can share one Redis.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { exited, runBin, startBin } from '../helpers/bin.js';
import { TestClient, type Frame } from '../helpers/client.js';
import { freePort } from '../helpers/proxy.js';
import { busUrl, dropPrefix, withRedis } from '../helpers/redis.js';
import { until } from '../helpers/wait.js';
import { withChatd } from '../helpers/chatd.js';
import { FAST_HASH, sharedCerts, tmpdir, type World } from '../helpers/world.js';
import { SetupError } from '../../lib/errors.js';
import { DEFAULT_PREFIX, parseRedisUrl } from '../../lib/bus/redis.js';

const MYSQL = process.env.CHATD_TEST_MYSQL;
const REDIS = process.env.CHATD_TEST_REDIS;
const TTL = 2000; // limits.presenceTtlMs for every node here
const WITHIN = 1000; // moderation must reach other nodes this fast

type Child = ChildProcess & { output(): string };
type NodeProc = { name: string; port: number; child: Child };

/** With CHATD_SPEC_TIMINGS=1 the measured latencies are printed (the figures in docs/scale-out.md). */
const timing = (what: string, ms: number) => { if (process.env.CHATD_SPEC_TIMINGS) console.log(`      ${what}: ${ms} ms`); };

/** Real chatd processes against one database and one bus; every process and client is tracked for cleanup. */
class Cluster {
  readonly nodes = new Map<string, NodeProc>();
  private readonly children: Child[] = [];
  private clients: TestClient[] = [];
  readonly configFile: string;

  constructor(readonly world: World, readonly bus: string, dir: string) {
    this.configFile = path.join(dir, 'chatd.json');
    fs.writeFileSync(this.configFile, JSON.stringify({
      password: FAST_HASH,
      limits: {
        presenceTtlMs: TTL, databasePollMs: 250, shutdownGraceMs: 1000,
        floodBurst: 1000, floodRate: 1000, floodKickCount: 1000, maxConnPerIp: 1000,
      },
    }));
  }

  /** Starts nodes in parallel; `key` names the node here, `nodeName` (default: the key) is its --node-name. */
  async start(...nodes: Array<string | { key: string; nodeName: string }>): Promise<void> {
    const { certs, db } = this.world;
    const started = await Promise.allSettled(nodes.map((n) => {
      const { key, nodeName } = typeof n === 'string' ? { key: n, nodeName: n } : n;
      return startBin('chatd', [
        '--cert', `${certs}/server.crt`, '--key', `${certs}/server.key`, '--ca', `${certs}/ca.crt`,
        '--db', db, '--bus', this.bus, '--node-name', nodeName, '--port', '0', '--config', this.configFile, '--log-level', 'info',
      ]).then((child) => {
        this.children.push(child);
        const m = /chatd listening on 127\.0\.0\.1:(\d+)/.exec(child.output());
        if (!m) throw new Error(`${key}: no ready line in ${child.output().slice(-300)}`);
        this.nodes.set(key, { name: nodeName, port: Number(m[1]), child });
      });
    }));
    const failed = started.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }

  node(name: string): NodeProc {
    const n = this.nodes.get(name);
    if (!n) throw new Error(`no node ${name}`);
    return n;
  }

  async login(node: string, user: string): Promise<TestClient> {
    const c = await TestClient.loggedIn(this.node(node).port, this.world.certs, user);
    this.clients.push(c);
    return c;
  }

  async connect(node: string, user: string): Promise<TestClient> {
    const c = await TestClient.connect(this.node(node).port, this.world.certs, user);
    this.clients.push(c);
    return c;
  }

  closeClients(): void {
    for (const c of this.clients) c.close();
    this.clients = [];
  }

  kill(name: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<unknown> {
    const n = this.node(name);
    this.nodes.delete(name);
    n.child.kill(signal);
    return exited(n.child);
  }

  /** SIGTERM (so nodes remove their presence), SIGKILL whatever is still running after 3 s. */
  async stop(): Promise<void> {
    this.closeClients();
    await Promise.all(this.children.map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      try { await exited(child, 3000); } catch {
        child.kill('SIGKILL');
        await exited(child, 3000).catch(() => {});
      }
    }));
  }
}

async function connectionsOf(c: TestClient): Promise<{ text: string; data: Array<{ user: string; node: string; role: string }> }> {
  const r = await c.command('//connections');
  if (r.type !== 'result') throw new Error(`connections: ${JSON.stringify(r)}`);
  return { text: r.text, data: r.data };
}

const sessionsOn = (data: Array<{ user: string; node: string }>, user: string, node: string) => data.some((p) => p.user === user && p.node === node);

/** Waits until `viewer` (a moderator) sees `user` on `node` in `connections`. */
const seen = (viewer: TestClient, user: string, node: string) =>
  until(async () => sessionsOn((await connectionsOf(viewer)).data, user, node), 3000, `${user} on ${node} in presence`);

const isEvent = (event: string, fields: Record<string, string> = {}) => (f: Frame) =>
  f.type === 'event' && f.event === event && Object.entries(fields).every(([k, v]) => f[k] === v);

describe('scale-out: three chatd processes, one MariaDB, one Redis', function () {
  this.timeout(30000);
  const t = withChatd({ kind: 'mysql', server: false });
  let world: World;
  let cluster: Cluster;
  let dir: string;
  const prefix = `chatd-test-${process.pid}-${crypto.randomBytes(4).toString('hex')}:`;

  before(async function () {
    if (!MYSQL || !REDIS) this.skip();
    dir = tmpdir('cluster');
    world = t.world;
    cluster = new Cluster(world, busUrl(REDIS, prefix), dir);
    await cluster.start('n1', 'n2', 'n3');
  });

  afterEach(() => cluster?.closeClients());

  t.defer(async () => {
    await cluster?.stop();
    if (REDIS) await dropPrefix(REDIS, prefix);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('200 messages from a sender on n1 reach readers on n2 and n3 exactly once, in order', async () => {
    const [alice, bob, carol] = await Promise.all([cluster.login('n1', 'alice'), cluster.login('n2', 'bob'), cluster.login('n3', 'carol')]);
    for (const c of [alice, bob, carol]) expect((await c.command('//join #order')).type).to.equal('result');
    const N = 200;
    const t0 = Date.now();
    const sent = Array.from({ length: N }, (_, i) => `order ${i}`);
    for (const [i, text] of [...sent, 'order end'].entries()) alice.send({ type: 'say', text, room: 'order', id: `o${i}` });
    const done = (f: Frame) => f.type === 'message' && f.room === 'order' && f.text === 'order end';
    await Promise.all([alice, bob, carol].map((c) => c.waitFor(done, 15000, 'the last message')));
    timing('201 messages n1 -> n2 + n3', Date.now() - t0);
    for (const reader of [bob, carol]) {
      // Everything alice said came before 'order end' on one ordered channel: what is here is all there is.
      const got = reader.frames.filter((f) => f.type === 'message' && f.room === 'order');
      expect(got.map((f) => f.text)).to.deep.equal(sent);
      expect(got.every((f) => f.from.name === 'alice' && f.ack === undefined)).to.equal(true);
      expect(new Set(got.map((f) => f.id)).size).to.equal(N);
    }
    const own = alice.frames.filter((f) => f.type === 'message' && f.room === 'order');
    expect(own.map((f) => f.ack)).to.deep.equal(sent.map((_, i) => `o${i}`));
  });

  it('a DM reaches its user on another node, and nobody else', async () => {
    const [alice, bob, carol] = await Promise.all([cluster.login('n1', 'alice'), cluster.login('n2', 'bob'), cluster.login('n3', 'carol')]);
    await until(async () => (await alice.command('//whois bob')).text.includes('online'), 3000, 'bob online from n1');
    const r = await alice.command('//msg bob psst, from n1');
    expect(r.type, JSON.stringify(r)).to.equal('result');
    const dm = await bob.waitFor((f) => f.type === 'dm', 3000, 'dm on n2');
    expect(dm).to.include({ to: 'bob', text: 'psst, from n1' });
    expect(dm.from.name).to.equal('alice');
    expect((await alice.waitFor((f) => f.type === 'dm', 3000, 'sender copy')).id).to.equal(dm.id);
    // The barrier: published after the DM on the same ordered channel; carol sees it, so the DM had its chance.
    await alice.say('barrier after dm', 'lobby');
    await carol.waitFor((f) => f.type === 'message' && f.text === 'barrier after dm', 3000, 'barrier');
    expect(carol.frames.filter((f) => f.type === 'dm')).to.deep.equal([]);
    // And from n3 to n2.
    await until(async () => (await carol.command('//whois bob')).text.includes('online'), 3000, 'bob online from n3');
    expect((await carol.command('//msg bob hello from n3')).type).to.equal('result');
    expect((await bob.waitFor((f) => f.type === 'dm', 3000, 'dm from n3')).text).to.equal('hello from n3');
  });

  it('a malformed message on the bus is logged and skipped; the nodes keep delivering', async () => {
    const [alice, bob] = await Promise.all([cluster.login('n1', 'alice'), cluster.login('n2', 'bob')]);
    await withRedis(REDIS!, async (r) => {
      for (const bad of ['not json', 'null', '{"t":"room","room":"lobby","frame":null}']) await r.publish(`${prefix}bus`, bad);
    });
    await alice.say('still here after garbage', 'lobby');
    await bob.waitFor((f) => f.type === 'message' && f.text === 'still here after garbage', 3000, 'delivery after garbage');
    // Each node logged the three, the frame that is null too (lib/bus/inbound.ts) (log lines travel on another pipe than the frames: wait for them).
    for (const n of ['n1', 'n2', 'n3']) {
      await until(async () => {
        const out = cluster.node(n).child.output();
        return (out.match(/bad bus message ignored/g) ?? []).length === 3;
      }, 2000, `${n} logging the bad messages`);
    }
  });

  it('join, part, topic, role and announce events reach every node', async () => {
    const [mod, boss, bob, carol] = await Promise.all([
      cluster.login('n1', 'mod'), cluster.login('n1', 'boss'), cluster.login('n2', 'bob'), cluster.login('n3', 'carol'),
    ]);
    for (const c of [bob, carol]) await c.command('//join #ev');
    const readers = [bob, carol];
    await mod.command('//join #ev');
    for (const c of readers) await c.waitFor(isEvent('join', { room: 'ev', user: 'mod' }), 3000, 'join on another node');

    expect((await mod.command('//topic Release on Friday')).type).to.equal('result');
    for (const c of readers) {
      const e = await c.waitFor(isEvent('topic', { room: 'ev', by: 'mod' }), 3000, 'topic event');
      expect(e.topic).to.equal('Release on Friday');
    }
    expect((await bob.command('//topic')).text).to.include('Release on Friday'); // n2 knows the topic itself

    expect((await boss.command('//role carol moderator')).type).to.equal('result');
    for (const c of readers) await c.waitFor(isEvent('role', { user: 'carol', by: 'boss' }), 3000, 'role event');
    expect((await carol.command('//whoami')).data.role).to.equal('moderator');
    await boss.command('//role carol user');

    expect((await boss.command('//announce maintenance at noon')).type).to.equal('result');
    for (const c of readers) expect((await c.waitFor(isEvent('announce', { by: 'boss' }), 3000, 'announce')).text).to.equal('maintenance at noon');

    await mod.command('//part #ev');
    for (const c of readers) await c.waitFor(isEvent('part', { room: 'ev', user: 'mod' }), 3000, 'part event');
  });

  it('users and connections list the sessions of every node with their node name', async () => {
    const [mod, , bob, carol] = await Promise.all([
      cluster.login('n1', 'mod'), cluster.login('n1', 'alice'), cluster.login('n2', 'bob'), cluster.login('n3', 'carol'),
    ]);
    await bob.command('//join #presence');
    const conns = await until(async () => {
      const c = await connectionsOf(mod);
      return sessionsOn(c.data, 'alice', 'n1') && sessionsOn(c.data, 'bob', 'n2') && sessionsOn(c.data, 'carol', 'n3') && c;
    }, 3000, 'every node in connections');
    expect(conns.text).to.match(/\bn2\b/).and.to.match(/\bn3\b/);
    expect(conns.text).to.not.include('(bus:');
    const users = await until(async () => {
      const r = await carol.command('//users');
      const rows = r.data as Array<{ name: string; rooms: string[] }>;
      const everyone = ['mod', 'alice', 'bob', 'carol'].every((n) => rows.some((u) => u.name === n));
      return everyone && rows.find((u) => u.name === 'bob')!.rooms.includes('presence') && r;
    }, 3000, 'every user, and bob in #presence, seen from n3');
    expect(users.text).to.include('#presence');
  });

  it('a SIGKILLed node disappears from presence within its TTL, leaving no ghosts', async () => {
    await cluster.start('n4');
    const [mod] = await Promise.all([cluster.login('n1', 'mod'), cluster.login('n4', 'ali')]);
    await seen(mod, 'ali', 'n4');
    await cluster.kill('n4');
    const t0 = Date.now();
    await until(async () => !(await connectionsOf(mod)).data.some((p) => p.node === 'n4'), TTL + 1000, 'n4 gone from connections');
    const took = Date.now() - t0;
    timing(`SIGKILL -> gone from presence (TTL ${TTL})`, took);
    expect(took, `n4 left presence after ${took} ms`).to.be.at.most(TTL + 500); // + one `connections` round trip on a busy machine
    expect((await mod.command('//users')).data.map((u: { name: string }) => u.name)).to.not.include('ali');
    expect((await mod.command('//whois ali')).text).to.include('offline');
    await withRedis(REDIS!, async (r) => {
      expect(await r.exists(`${prefix}presence:n4`, `${prefix}owner:n4`)).to.equal(0);
      expect(await r.exists(`${prefix}presence:n1`)).to.equal(1);
    });
  });

  it('a node stopped with SIGTERM leaves presence at once, in Redis too', async () => {
    await cluster.start('n5');
    const [mod, ali] = await Promise.all([cluster.login('n1', 'mod'), cluster.login('n5', 'ali')]);
    await ali.command('//join #leaving');
    await seen(mod, 'ali', 'n5');
    expect(await cluster.kill('n5', 'SIGTERM')).to.equal(0); // its sessions quit, which schedules a push: it must not land
    expect((await connectionsOf(mod)).data.filter((p) => p.node === 'n5')).to.deep.equal([]);
    await withRedis(REDIS!, async (r) => {
      expect(await r.exists(`${prefix}presence:n5`, `${prefix}owner:n5`)).to.equal(0);
      expect(await r.zscore(`${prefix}nodes`, 'n5')).to.equal(null);
    });
  });

  it('two live nodes started with the same --node-name both log an error saying so', async () => {
    await cluster.start({ key: 'twin1', nodeName: 'twin' }, { key: 'twin2', nodeName: 'twin' });
    const clash = /another live node uses this node name.*"node":"twin"/;
    for (const key of ['twin1', 'twin2']) await until(async () => clash.test(cluster.node(key).child.output()), 3 * TTL, `${key} reporting the clash`);
    await Promise.all([cluster.kill('twin1'), cluster.kill('twin2')]);
  });

  describe('moderation on n1 takes effect on the other nodes within 1 s', function () {
    it('kick closes every session of the user, on n2 and n3', async () => {
      const [mod, d2, d3] = await Promise.all([cluster.login('n1', 'mod'), cluster.login('n2', 'dave'), cluster.login('n3', 'dave')]);
      await seen(mod, 'dave', 'n2');
      await seen(mod, 'dave', 'n3');
      const t0 = Date.now();
      const r = mod.command('//kick dave calm down');
      const byes = await Promise.all([d2, d3].map((c) => c.waitFor((f) => f.type === 'bye', 3000, 'bye KICKED')));
      const took = Date.now() - t0;
      timing('kick n1 -> bye on n2 and n3', took);
      expect((await r).type).to.equal('result');
      for (const b of byes) expect(b).to.include({ code: 'KICKED' });
      expect(byes[0].reason).to.include('calm down');
      expect(took).to.be.below(WITHIN);
    });

    it('ban closes the user\'s session on n3 and refuses logins on n2; unban lets them in again', async () => {
      const [mod, carol] = await Promise.all([cluster.login('n1', 'mod'), cluster.login('n3', 'carol')]);
      await seen(mod, 'carol', 'n3');
      const t0 = Date.now();
      const r = mod.command('//ban carol 10m spam links');
      const bye = await carol.waitFor((f) => f.type === 'bye', 3000, 'bye BANNED');
      timing('ban n1 -> bye on n3', Date.now() - t0);
      expect(Date.now() - t0).to.be.below(WITHIN);
      expect((await r).type).to.equal('result');
      expect(bye.code).to.equal('BANNED');
      expect(bye.reason).to.include('spam links');
      const again = await cluster.connect('n2', 'carol');
      const refused = await again.login('carol');
      expect(refused).to.include({ type: 'error', code: 'BANNED' });
      expect(refused.message).to.include('spam links');
      expect((await mod.command('//unban carol')).type).to.equal('result');
      await cluster.login('n2', 'carol');
    });

    it('mute silences the user on n2; unmute lets them speak again', async () => {
      const [mod, bob] = await Promise.all([cluster.login('n1', 'mod'), cluster.login('n2', 'bob')]);
      await bob.command('//join #quiet');
      const t0 = Date.now();
      expect((await mod.command('//mute bob 10m')).type).to.equal('result');
      const muted = await until(async () => { const f = await bob.say('can I speak?', 'quiet'); return f.type === 'error' && f; }, WITHIN, 'MUTED on n2');
      timing('mute n1 -> MUTED on n2', Date.now() - t0);
      expect(Date.now() - t0).to.be.below(WITHIN);
      expect(muted.code).to.equal('MUTED');
      expect(muted.message).to.match(/^you are muted for (10m|9m 5\ds), until (\d{4}-\d\d-\d\d )?\d\d:\d\d UTC$/);
      const t1 = Date.now();
      expect((await mod.command('//unmute bob')).type).to.equal('result');
      await until(async () => (await bob.say('free again', 'quiet')).type === 'message', WITHIN, 'bob speaking again');
      expect(Date.now() - t1).to.be.below(WITHIN);
    });

    it('a role change applies to the user\'s live session on n2 and to presence on every node', async () => {
      const [boss, bob, carol] = await Promise.all([cluster.login('n1', 'boss'), cluster.login('n2', 'bob'), cluster.login('n3', 'carol')]);
      expect((await bob.command('//connections')).code).to.equal('FORBIDDEN');
      const t0 = Date.now();
      expect((await boss.command('//role bob moderator')).type).to.equal('result');
      await until(async () => (await bob.command('//connections')).type === 'result', WITHIN, 'bob may run connections');
      timing('role n1 -> level on n2', Date.now() - t0);
      expect(Date.now() - t0).to.be.below(WITHIN);
      expect((await bob.command('//whoami')).data).to.include({ role: 'moderator', level: 50 });
      // Presence on n3 shows the new role of bob's session on n2 (n2 pushes it after the change).
      await until(async () => {
        const r = await carol.command('//users');
        return (r.data as Array<{ name: string; role: string }>).some((u) => u.name === 'bob' && u.role === 'moderator');
      }, WITHIN, 'bob as moderator in users on n3');
      expect((await boss.command('//role bob user')).type).to.equal('result');
      await until(async () => (await bob.command('//connections')).code === 'FORBIDDEN', WITHIN, 'bob back to user');
    });

    it('a certificate revoked with chat-admin ends its sessions on every node and refuses it', async () => {
      const [d1, d2] = await Promise.all([cluster.login('n1', 'dave'), cluster.login('n2', 'dave')]);
      const r = await runBin('chat-admin', ['cert', 'revoke', `${world.certs}/clients/dave.crt`, '--db', world.db]);
      expect(r.code, r.err).to.equal(0);
      const t0 = Date.now(); // chat-admin has written the row: from here the nodes' polls (250 ms) must notice
      const byes = await Promise.all([d1, d2].map((c) => c.waitFor((f) => f.type === 'bye', 3000, 'bye CERT_REVOKED')));
      timing('chat-admin cert revoke exit -> bye on n1 and n2 (poll 250 ms)', Date.now() - t0);
      expect(Date.now() - t0).to.be.below(WITHIN);
      for (const b of byes) expect(b.code).to.equal('CERT_REVOKED');
      // n3 refuses it: at login (error), or, if its poll notices the row while this connection is new, with bye.
      const again = await cluster.connect('n3', 'dave');
      const refused = await again.login('dave');
      expect(refused.code, JSON.stringify(refused)).to.equal('CERT_REVOKED');
      expect(refused.type).to.be.oneOf(['error', 'bye']);
    });
  });
});

/** Our own redis-server (the shared one must not be stopped), in the foreground as a child process. */
function startRedis(port: number, cwd: string): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`redis-server not ready: ${out.slice(-300)}`)); }, 10000);
    child.stdout!.on('data', (d) => { out += d; if (/Ready to accept connections/.test(out)) { clearTimeout(t); resolve(child); } });
    child.stderr!.on('data', (d) => (out += d));
    child.on('error', (e) => { clearTimeout(t); reject(e); });
    child.on('exit', (code) => { clearTimeout(t); reject(new Error(`redis-server exited ${code}: ${out.slice(-300)}`)); });
  });
}

describe('scale-out: a Redis outage', function () {
  this.timeout(30000);
  const t = withChatd({ kind: 'mysql', server: false });
  let world: World;
  let cluster: Cluster;
  let dir: string;
  let port: number;
  const redises: ChildProcess[] = [];
  const prefix = `chatd-outage-${process.pid}-${crypto.randomBytes(4).toString('hex')}:`;

  before(async function () {
    if (!MYSQL || !REDIS) this.skip();
    dir = tmpdir('outage');
    port = await freePort();
    redises.push(await startRedis(port, dir));
    world = t.world;
    cluster = new Cluster(world, busUrl(`redis://127.0.0.1:${port}`, prefix), dir);
    await cluster.start('n1', 'n2');
  });

  t.defer(async () => {
    await cluster?.stop();
    for (const r of redises) {
      if (r.exitCode === null && r.signalCode === null) { r.kill('SIGKILL'); await exited(r).catch(() => {}); }
    }
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('nodes keep serving local sessions, say so in logs and connections, and resynchronize when Redis returns', async () => {
    const [mod, alice, bob] = await Promise.all([cluster.login('n1', 'mod'), cluster.login('n1', 'alice'), cluster.login('n2', 'bob')]);
    await seen(mod, 'bob', 'n2');
    await alice.say('before the outage');
    await bob.waitFor((f) => f.type === 'message' && f.text === 'before the outage', 3000, 'cross-node message');

    const redis = redises[0];
    redis.kill('SIGKILL');
    await exited(redis);
    const tDown = Date.now();

    const down = await until(async () => { const c = await connectionsOf(mod); return /\(bus: redis unavailable since \d{4}-\d\d-\d\dT[\d:.]+Z/.test(c.text) && c; }, 3000, 'degraded connections');
    timing('redis killed -> connections degraded', Date.now() - tDown);
    expect(down.data.map((p) => p.node)).to.deep.equal(['n1', 'n1']); // only what n1 can vouch for
    await until(async () => /redis unavailable; serving local sessions only/.test(cluster.node('n1').child.output()), 3000, 'n1 log line');
    await until(async () => /redis unavailable; serving local sessions only/.test(cluster.node('n2').child.output()), 3000, 'n2 log line');

    // Local chat goes on, on both sides of the partition, acknowledged and delivered once.
    for (let i = 0; i < 50; i++) expect((await alice.say(`during ${i}`)).type).to.equal('message');
    await mod.waitFor((f) => f.type === 'message' && f.text === 'during 49', 3000, 'local fan-out on n1');
    expect(mod.frames.filter((f) => f.type === 'message' && /^during /.test(f.text))).to.have.length(49);
    expect((await bob.say('bob alone on n2')).type).to.equal('message');
    expect((await bob.command('//users')).type).to.equal('result');
    for (const name of ['n1', 'n2']) expect(cluster.node(name).child.exitCode, `${name} still running`).to.equal(null);

    redises.push(await startRedis(port, dir));
    const tUp = Date.now();
    const back = await until(async () => {
      const c = await connectionsOf(mod);
      return !c.text.includes('(bus:') && sessionsOn(c.data, 'bob', 'n2') && c;
    }, 8000, 'presence resynchronized');
    timing('redis ready -> presence resynchronized', Date.now() - tUp);
    expect(back.data.filter((p) => p.node === 'n1')).to.have.length(2);
    for (const name of ['n1', 'n2']) expect(cluster.node(name).child.output()).to.match(/redis back; resynchronizing presence/);

    // Chat crosses nodes again, and nothing said during the outage was queued and replayed.
    await alice.say('after the outage');
    await bob.waitFor((f) => f.type === 'message' && f.text === 'after the outage', 3000, 'cross-node message after the outage');
    expect(bob.frames.filter((f) => f.type === 'message' && /^during /.test(f.text))).to.deep.equal([]);
  });
});

describe('--bus redis URLs: the key prefix, and what chatd says when Redis is unusable', function () {
  it('takes ?prefix= off the URL and leaves everything else to ioredis', () => {
    expect(parseRedisUrl('redis://127.0.0.1:6379')).to.deep.equal({ url: 'redis://127.0.0.1:6379', prefix: DEFAULT_PREFIX });
    expect(DEFAULT_PREFIX).to.equal('chatd:');
    expect(parseRedisUrl('redis://:pw@10.0.0.5:6380/2?prefix=staging:&family=6'))
      .to.deep.equal({ url: 'redis://:pw@10.0.0.5:6380/2?family=6', prefix: 'staging:' });
    expect(parseRedisUrl('rediss://h:6380/0?prefix=chatd-test-1%3A')).to.deep.equal({ url: 'rediss://h:6380/0', prefix: 'chatd-test-1:' });
  });

  it('refuses a bad prefix or scheme as a usage error, without echoing the URL (it may hold a password)', () => {
    for (const url of ['redis://:pw@h:6379?prefix=', 'redis://:pw@h:6379?prefix=a%20b', `redis://:pw@h:6379?prefix=${'x'.repeat(65)}`, 'http://:pw@h:6379', 'redis//nope']) {
      let err: unknown;
      try { parseRedisUrl(url); } catch (e) { err = e; }
      expect(err, url).to.be.instanceOf(SetupError);
      expect((err as SetupError).exitCode, url).to.equal(2);
      expect((err as SetupError).message, url).to.match(/^bad --bus URL: /).and.not.include('pw');
    }
  });

  it('the chatd binary: unreachable Redis exits 1 with one line, a bad prefix exits 2', async () => {
    const certs = await sharedCerts();
    const dir = tmpdir('busurl');
    try {
      const base = ['--cert', `${certs}/server.crt`, '--key', `${certs}/server.key`, '--ca', `${certs}/ca.crt`, '--db', `sqlite:${dir}/x.sqlite`, '--port', '0', '--log-level', 'warn', '--node-name', 'solo'];
      let r = await runBin('chatd', [...base, '--bus', 'redis://127.0.0.1:1']);
      expect(r.code, r.err).to.equal(1);
      expect(r.err.trim().split('\n').filter((l) => !l.startsWith('{'))).to.deep.equal(['chatd: redis unreachable at 127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1']);
      r = await runBin('chatd', [...base, '--bus', 'redis://127.0.0.1:6379/0?prefix=has%20space']);
      expect(r.code, r.err).to.equal(2);
      expect(r.err).to.match(/^chatd: bad --bus URL: prefix= must be/);
    } finally { fs.rmSync(dir, { recursive: true, force: true }); }
  });
});
