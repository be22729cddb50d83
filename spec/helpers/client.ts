// A test client speaking the JSON Lines protocol (or text mode) over real mutual TLS.
import fs from 'node:fs';
import tls from 'node:tls';
import { deadline } from './wait.js';
import { USERS } from './world.js';

export type Frame = Record<string, any>;

/** `session`: a TLS session (TestClient.ticket of an earlier connection) to resume. */
export type ConnectOpts = { alpn?: boolean; certOf?: string | null; certDir?: string; from?: string; caDir?: string; session?: Buffer };

export class TestClient {
  frames: Frame[] = [];
  text = '';
  closed = false;
  user?: string;
  /** The last TLS session ticket the server sent, for a later connection to resume. */
  ticket?: Buffer;
  private waiters: Array<() => boolean> = [];
  private seq = 0;
  /** Frame ids are unique per user (chatd answers a repeated id with the first answer): one tag per client. */
  private readonly tag = Math.random().toString(36).slice(2, 8);

  constructor(readonly sock: tls.TLSSocket) {
    let buf = '';
    sock.on('session', (t: Buffer) => { this.ticket = t; });
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      this.text += d;
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        let f: Frame;
        try { f = JSON.parse(line); } catch { continue; }
        if (f && f.type === 'ping') this.send({ type: 'pong' });
        this.frames.push(f);
      }
      this.poke();
    });
    sock.on('close', () => { this.closed = true; this.poke(); });
    sock.on('error', () => {});
  }

  static connect(port: number, certs: string, user: string | null, opts: ConnectOpts = {}): Promise<TestClient> {
    const certOf = opts.certOf === undefined ? user : opts.certOf;
    const dir = opts.certDir ?? certs;
    const o: tls.ConnectionOptions = { host: '127.0.0.1', port, servername: 'localhost', ca: fs.readFileSync(`${opts.caDir ?? certs}/ca.crt`) };
    if (certOf) { o.cert = fs.readFileSync(`${dir}/clients/${certOf}.crt`); o.key = fs.readFileSync(`${dir}/clients/${certOf}.key`); }
    if (opts.alpn !== false) o.ALPNProtocols = ['chatd/1'];
    if (opts.from) (o as tls.ConnectionOptions & { localAddress?: string }).localAddress = opts.from;
    if (opts.session) o.session = opts.session;
    return new Promise((resolve, reject) => {
      const s = tls.connect(o, () => resolve(new TestClient(s)));
      s.once('error', reject);
      s.setTimeout(8000, () => { s.destroy(); reject(new Error('connect timeout')); });
      s.once('secureConnect', () => s.setTimeout(0));
    });
  }

  static async loggedIn(port: number, certs: string, user: string, opts: ConnectOpts = {}): Promise<TestClient> {
    const c = await TestClient.connect(port, certs, user, opts);
    const r = await c.login(user);
    if (r.type !== 'login_ok') throw new Error(`${user} login failed: ${JSON.stringify(r)}`);
    return c;
  }

  private poke(): void { this.waiters = this.waiters.filter((w) => !w()); }

  send(obj: unknown): void { this.sock.write((typeof obj === 'string' ? obj : JSON.stringify(obj)) + '\n'); }

  /** Waits for (and consumes) the first frame matching pred. */
  waitFor(pred: (f: Frame) => boolean, ms = 5000, what = 'frame'): Promise<Frame> {
    return deadline(ms, () => `no ${what} in ${ms} ms; got ${JSON.stringify(this.frames).slice(-400)}`, (resolve, reject) => this.watch(() => {
      const i = this.frames.findIndex((f) => { try { return pred(f); } catch { return false; } });
      if (i >= 0) { resolve(this.frames.splice(i, 1)[0]!); return true; }
      if (this.closed) { reject(new Error(`closed while waiting for ${what}; got ${JSON.stringify(this.frames).slice(-400)}`)); return true; }
      return false;
    }));
  }

  /** Runs `test` now and on every arrival until it returns true; returns how to stop. */
  private watch(test: () => boolean): () => void {
    if (!test()) this.waiters.push(test);
    return () => { this.waiters = this.waiters.filter((w) => w !== test); };
  }

  /** Waits until the text received (from offset `from` on) matches `re`. */
  waitText(re: RegExp, ms = 5000, from = 0): Promise<string> {
    return deadline(ms, () => `no ${re} in ${ms} ms; text ${JSON.stringify(this.text.slice(-400))}`, (resolve, reject) => this.watch(() => {
      if (re.test(from ? this.text.slice(from) : this.text)) { resolve(this.text); return true; }
      if (this.closed) { reject(new Error(`closed waiting for ${re}; text ${JSON.stringify(this.text.slice(-400))}`)); return true; }
      return false;
    }));
  }

  waitClosed(ms = 5000): Promise<void> {
    if (this.closed) return Promise.resolve();
    return deadline(ms, () => 'still open', (resolve) => {
      const on = () => resolve();
      this.sock.once('close', on);
      return () => this.sock.off('close', on);
    });
  }

  /** Text mode (no ALPN, as openssl s_client): answers the login and password prompts, until "logged in as". */
  async textLogin(user: string, password = USERS[user]?.password ?? 'x'): Promise<void> {
    await this.waitText(/login: $/);
    this.send(user);
    await this.waitText(/password: $/);
    this.send(password);
    await this.waitText(/logged in as /);
  }

  async login(user: string, password = USERS[user]?.password ?? 'x'): Promise<Frame> {
    await this.waitFor((f) => f.type === 'welcome', 5000, 'welcome');
    this.send({ type: 'login', user, password, id: 'L' });
    const r = await this.waitFor((f) => ['login_ok', 'error', 'bye'].includes(f.type), 10000, 'login answer');
    if (r.type === 'login_ok') this.user = user;
    return r;
  }

  /** Sends a prefixed command as a say and returns its one direct answer. */
  async command(line: string): Promise<Frame> {
    const id = `c${++this.seq}-${this.tag}`;
    this.send({ type: 'say', text: line, id });
    return this.waitFor((f) => (f.type === 'result' || f.type === 'error') && f.id === id, 8000, `answer to ${line}`);
  }

  /** Sends a message and returns its acknowledgement (own message with ack) or error. */
  async say(text: string, room?: string): Promise<Frame> {
    const id = `s${++this.seq}-${this.tag}`;
    this.send({ type: 'say', text, id, ...(room ? { room } : {}) });
    return this.waitFor((f) => (f.type === 'message' && f.ack === id) || (f.type === 'error' && f.id === id), 8000, `ack of ${text.slice(0, 40)}`);
  }

  close(): void { this.sock.destroy(); }
}
