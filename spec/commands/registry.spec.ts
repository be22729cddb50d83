// The registry against a fake CommandHost: no TLS, no database. It resolves and checks targets,
// normalises names, and answers every command exactly once with its id, whatever the handler does.
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { buildConfig } from '../../lib/config.js';
import { ALL_COMMANDS } from '../../lib/commands/index.js';
import type { CommandHost } from '../../lib/commands/host.js';
import { command, Registry, type Answer } from '../../lib/commands/registry.js';
import { Logger } from '../../lib/log.js';
import type { Session, SessionUser } from '../../lib/session.js';
import { guardStore } from '../../lib/store/guard.js';
import type { Store, UserRecord } from '../../lib/store/index.js';
import { ROOT } from '../helpers/world.js';

const user = (username: string, level: number): UserRecord => ({
  id: level, username, passwordHash: '', role: 'r', level, color: 'cyan', disabled: false, createdAt: 0, lastLogin: null,
});
const USERS: Record<string, UserRecord> = { bob: user('bob', 1), mod: user('mod', 50), ali: user('ali', 50) };

function fakeHost(opts: { store?: Partial<Store>; levels?: Record<string, number>; commands?: typeof ALL_COMMANDS; dbTimeoutMs?: number } = {}) {
  const logs: string[] = [];
  const config = buildConfig({ logLevel: 'silent', limits: { dbTimeoutMs: opts.dbTimeoutMs ?? 200 } });
  // Methods on the prototype, as on a real Store: the guard wraps methods, not own fields.
  const store = Object.create({ getUser: async (n: string) => USERS[n] ?? null, ...opts.store }) as Store;
  const host = {
    config, log: new Logger('debug', (l) => logs.push(l)), db: guardStore(store, () => config.limits.dbTimeoutMs),
    registry: new Registry(opts.commands ?? ALL_COMMANDS, opts.levels), motd: '',
    recentHistory: async () => [{ type: 'message', id: 'm1', ts: '', room: 'lobby', from: { name: 'bob', role: 'user', color: 'cyan' }, text: 'hi', kind: 'say' }],
    topicOf: () => '',
  } as unknown as CommandHost;
  // A session that cannot send: a handler writing to it behind the registry's back would fail.
  const session = { id: 's1', rooms: new Set(['lobby']), current: 'lobby' } as unknown as Session;
  const run = (line: string, caller: SessionUser = { id: 50, name: 'mod', role: 'moderator', level: 50, color: 'yellow' }): Promise<Answer> =>
    host.registry.dispatch(line, { host, session, user: caller, prefix: '//', id: 'q1' });
  return { host, logs, run };
}

describe('command registry against a fake host', () => {
  it('commands depend on CommandHost, never on the node', () => {
    const dir = path.join(ROOT, 'lib', 'commands');
    for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.ts'))) {
      expect(fs.readFileSync(path.join(dir, f), 'utf8'), f).to.not.match(/from '\.\.\/node\.js'/);
    }
  });

  it('resolves the declared target: NO_SUCH_USER, and FORBIDDEN unless the caller outranks it, before the handler runs', async () => {
    let ran = 0;
    const poke = command({ name: 'poke', level: 1, usage: '<user>', description: 'a test command', examples: ['bob'], minArgs: 1, maxArgs: 1,
      target: { arg: 0, outrank: true }, run: (ctx) => { ran++; return { text: `poked ${ctx.target!.username}` }; } });
    const { run } = fakeHost({ commands: [poke] });
    expect((await run('poke nobody')).frames).to.deep.equal([{ type: 'error', code: 'NO_SUCH_USER', message: 'no such user: nobody', id: 'q1' }]);
    expect((await run('poke ali')).frames[0]).to.include({ type: 'error', code: 'FORBIDDEN', id: 'q1' });
    expect((await run('poke Not/A/Name')).frames[0]).to.include({ type: 'error', code: 'BAD_ARGS', id: 'q1' });
    expect(ran).to.equal(0);
    expect((await run('poke bob')).frames).to.deep.equal([{ type: 'result', command: 'poke', text: 'poked bob', id: 'q1' }]);
  });

  it('normalises command names in one place: typed and in commandLevels', async () => {
    const { run } = fakeHost({ levels: { Ban: 100 } });
    const r = await run('BAN bob 10m');
    expect(r.frames[0]).to.include({ type: 'error', code: 'FORBIDDEN', message: '//ban needs level 100', id: 'q1' });
  });

  it('a store call that fails is SERVICE_UNAVAILABLE with the id', async () => {
    const { run, logs } = fakeHost({ store: { getUser: async () => { throw new Error('pool is destroyed'); } } });
    expect((await run('ban bob')).frames).to.deep.equal([{ type: 'error', code: 'SERVICE_UNAVAILABLE', message: 'service temporarily unavailable; try again shortly', id: 'q1' }]);
    expect(logs.filter((l) => /database call failed/.test(l))).to.have.length(1);
  });

  it('a store call that hangs is SERVICE_UNAVAILABLE within limits.dbTimeoutMs', async () => {
    const { run } = fakeHost({ dbTimeoutMs: 100, store: { getUser: () => new Promise(() => {}) } });
    const t0 = Date.now();
    expect((await run('whois bob')).frames[0]).to.include({ type: 'error', code: 'SERVICE_UNAVAILABLE', id: 'q1' });
    expect(Date.now() - t0).to.be.below(1000);
  });

  it('anything unexpected is INTERNAL with the id, logged once with its stack', async () => {
    const boom = command({ name: 'boom', level: 1, usage: '', description: 'a test command', examples: [''], minArgs: 0, maxArgs: 0,
      run: () => { throw new TypeError('x is undefined'); } });
    const { run, logs } = fakeHost({ commands: [boom] });
    expect((await run('boom')).frames).to.deep.equal([{ type: 'error', code: 'INTERNAL', message: 'internal error', id: 'q1' }]);
    expect(logs).to.have.length(1);
    expect(logs[0]).to.match(/command failed/).and.match(/TypeError: x is undefined\\n\s+at /);
  });

  it('history answers with its frame and the result, and writes nothing itself', async () => {
    const { run } = fakeHost();
    const r = await run('history 5');
    expect(r.frames.map((f) => f.type)).to.deep.equal(['history', 'result']);
    expect(r.frames[1]).to.include({ command: 'history', id: 'q1' });
  });
});
