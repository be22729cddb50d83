// One fixture for the setup most specs share: a fresh world (certificates, migrated database, USERS)
// and a real chatd on it, with mocha hooks that close clients, stop servers and drop the database.
// Call it inside a describe(); its fields are set once `before` has run.
import type { Chatd } from '../../lib/app.js';
import type { ConfigInput } from '../../lib/config.js';
import { Logger } from '../../lib/log.js';
import type { PasswordParams } from '../../lib/auth/password.js';
import { TestClient, type ConnectOpts } from './client.js';
import { FAST_HASH, makeWorld, startServer, USERS, type World } from './world.js';

export type ChatdOptions = {
  /** The chatd configuration on top of testConfig(); a function runs after the world exists (e.g. a proxied db URL). */
  config?: ConfigInput | ((world: World) => ConfigInput | Promise<ConfigInput>);
  /** 'mysql' skips the suite unless CHATD_TEST_MYSQL is set. */
  kind?: 'sqlite' | 'mysql';
  users?: typeof USERS;
  params?: PasswordParams;
  /** Log lines at this level and above are kept in `logs` (JSON lines); silent otherwise. */
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** A logger of the suite's own (lines it can await) for every chatd of the fixture, instead of `logs`. */
  logger?: Logger;
  /** false: only the world; start servers with `start()`. */
  server?: boolean;
  /** A fresh world (and chatd) for every test, for tests that break or fill them; one per suite otherwise. */
  each?: boolean;
};

export type ChatdFixture = {
  readonly world: World;
  /** The suite's chatd (throws when started with `server: false`). */
  readonly chatd: Chatd;
  readonly port: number;
  readonly logs: string[];
  /** Another chatd on the same world (config on top of the suite's), stopped after the current test. */
  start(extra?: ConfigInput, log?: Logger): Promise<Chatd>;
  /** Stops the suite's chatd and closes the clients; `restart()` starts it again on the same port. */
  stop(): Promise<void>;
  /** Stops the suite's chatd (if it runs), closes the clients, and starts it again on the same port. */
  restart(extra?: ConfigInput): Promise<Chatd>;
  /** A client logged in to the suite's chatd, closed after the current test. */
  login(user: string, opts?: ConnectOpts): Promise<TestClient>;
  /** A connected client (welcome not awaited), closed after the current test. */
  connect(user: string | null, opts?: ConnectOpts): Promise<TestClient>;
  /** Cleanup of the suite's own (other processes on the world…), run after its tests, last first, before the world goes. */
  defer(cleanup: () => unknown): void;
};

export function withChatd(opts: ChatdOptions = {}): ChatdFixture {
  let world: World | undefined;
  let chatd: Chatd | undefined;
  let lastPort = 0; // the suite's chatd's port, for restart() after stop()
  let base: ConfigInput = {};
  const logs: string[] = [];
  const extraServers: Chatd[] = [];
  const clients: TestClient[] = [];
  const deferred: Array<() => unknown> = [];
  const logger = () => opts.logger ?? (opts.logLevel ? new Logger(opts.logLevel, (l) => logs.push(l)) : undefined);
  const merge = (extra: ConfigInput = {}): ConfigInput => ({ ...base, ...extra, limits: { ...base.limits, ...extra.limits } });
  const closeClients = () => { for (const c of clients.splice(0)) c.close(); };
  const track = (c: TestClient) => { clients.push(c); return c; };

  const t: ChatdFixture = {
    get world() { if (!world) throw new Error('withChatd: no world yet (use it inside it() or hooks)'); return world; },
    get chatd() { if (!chatd) throw new Error('withChatd: no server (server: false, or before() has not run)'); return chatd; },
    get port() { return t.chatd.address.port; },
    logs,
    async start(extra, log) {
      const s = await startServer(t.world, merge(extra), log ?? logger());
      extraServers.push(s);
      return s;
    },
    async stop() {
      closeClients();
      if (chatd) lastPort = chatd.address.port;
      await chatd?.stop();
      chatd = undefined;
    },
    async restart(extra) {
      await t.stop();
      chatd = await startServer(t.world, merge({ ...extra, port: lastPort }), logger());
      return chatd;
    },
    login: async (user, o) => track(await TestClient.loggedIn(t.port, t.world.certs, user, o)),
    connect: async (user, o) => track(await TestClient.connect(t.port, t.world.certs, user, o)),
    defer: (cleanup) => { deferred.push(cleanup); },
  };

  (opts.each ? beforeEach : before)(async function () {
    this.timeout(Math.max(this.timeout(), 30000));
    if (opts.kind === 'mysql' && !process.env.CHATD_TEST_MYSQL) return this.skip();
    world = await makeWorld(opts.kind ?? 'sqlite', opts.users ?? USERS, opts.params ?? FAST_HASH);
    base = typeof opts.config === 'function' ? await opts.config(world) : (opts.config ?? {});
    if (opts.server !== false) chatd = await startServer(world, base, logger());
  });
  const tearDown = async () => {
    for (const cleanup of deferred.splice(0).reverse()) await cleanup();
    closeClients();
    await chatd?.stop();
    chatd = undefined;
    await world?.drop();
    world = undefined;
  };
  afterEach(async () => {
    closeClients();
    for (const s of extraServers.splice(0)) await s.stop();
    if (opts.each) await tearDown();
  });
  after(async () => { if (!opts.each) await tearDown(); });
  return t;
}
