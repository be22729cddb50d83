// IRC clients for specs: irc-framework (a client nobody here wrote) over real mutual TLS, and a raw
// line client for what a library would smooth over (exact numerics, hostile bytes, floods).
import fs from 'node:fs';
import tls from 'node:tls';
import { createRequire } from 'node:module';
import { deadline } from './wait.js';
import type { ChatdFixture } from './chatd.js';
import { USERS } from './world.js';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { Client } = require('irc-framework') as { Client: new () => any };

export type IrcOpts = {
  /** The certificate presented (default: the user's own); null for none. */
  certOf?: string | null;
  /** SASL PLAIN with this password (default: the user's); false: PASS with `pass` instead. */
  sasl?: boolean;
  password?: string;
  echo?: boolean;
  nick?: string;
  /** SASL EXTERNAL: the certificate alone. */
  external?: boolean;
};

/** An irc-framework client with every line it received kept, and waits on lines and events. */
export class IrcClient {
  readonly lines: string[] = [];
  readonly events: Array<{ name: string; e: any }> = [];
  closed = false;
  private waiters: Array<() => boolean> = [];

  constructor(readonly client: any) {
    client.on('raw', (r: { line: string; from_server: boolean }) => {
      if (r.from_server) { this.lines.push(r.line.replace(/\r?\n$/, '')); this.poke(); }
    });
    for (const name of ['registered', 'message', 'privmsg', 'notice', 'action', 'join', 'part', 'quit', 'kick', 'topic', 'userlist', 'wholist', 'whois', 'channel list', 'irc error', 'sasl failed', 'close', 'socket close', 'nick in use', 'away', 'back']) {
      client.on(name, (e: any) => { this.events.push({ name, e }); if (name === 'close' || name === 'socket close') this.closed = true; this.poke(); });
    }
  }

  static connect(port: number, certs: string, user: string, opts: IrcOpts = {}): IrcClient {
    const client = new Client();
    const certOf = opts.certOf === undefined ? user : opts.certOf;
    const password = opts.password ?? USERS[user]?.password ?? 'x';
    client.connect({
      host: '127.0.0.1', port, nick: opts.nick ?? user, username: user, gecos: user, tls: true,
      // The spec tests the server's checks (client certificate, password); irc-framework has no CA option.
      rejectUnauthorized: false,
      ...(certOf ? { client_certificate: { certificate: fs.readFileSync(`${certs}/clients/${certOf}.crt`, 'utf8'), private_key: fs.readFileSync(`${certs}/clients/${certOf}.key`, 'utf8') } } : {}),
      ...(opts.external ? { sasl_mechanism: 'EXTERNAL' } : opts.sasl === false ? { password } : { account: { account: user, password } }),
      auto_reconnect: false, ping_interval: 0, enable_echomessage: opts.echo ?? false,
    });
    return new IrcClient(client);
  }

  private poke(): void { this.waiters = this.waiters.filter((w) => !w()); }

  /** Waits for (and consumes) the first line received that matches. */
  line(pred: RegExp | ((l: string) => boolean), ms = 5000): Promise<string> {
    const test = typeof pred === 'function' ? pred : (l: string) => pred.test(l);
    return deadline(ms, () => `no line ${pred} in ${ms} ms; got ${JSON.stringify(this.lines.slice(-15))}`, (resolve, reject) => this.watch(() => {
      const i = this.lines.findIndex(test);
      if (i >= 0) { resolve(this.lines.splice(i, 1)[0]!); return true; }
      if (this.closed) { reject(new Error(`closed while waiting for ${pred}; got ${JSON.stringify(this.lines.slice(-15))}`)); return true; }
      return false;
    }));
  }

  /** Waits for (and consumes) the first irc-framework event of that name that matches. */
  event(name: string, pred: (e: any) => boolean = () => true, ms = 5000): Promise<any> {
    return deadline(ms, () => `no ${name} event in ${ms} ms; got ${this.events.map((x) => x.name).join(',')} / ${JSON.stringify(this.lines.slice(-10))}`, (resolve) => this.watch(() => {
      const i = this.events.findIndex((x) => { try { return x.name === name && pred(x.e); } catch { return false; } });
      if (i >= 0) { resolve(this.events.splice(i, 1)[0]!.e); return true; }
      return false;
    }));
  }

  private watch(test: () => boolean): void { if (!test()) this.waiters.push(test); }

  /** Registered and in #lobby (names received). */
  async ready(): Promise<this> {
    await this.event('registered');
    await this.line(/ 366 \S+ #lobby /);
    return this;
  }

  close(): void { try { this.client.quit('bye'); } catch { /* closed */ } this.client.connection?.end?.(); }
}

/** A bare TLS line client: exact bytes out, every line in. */
export class RawIrc {
  readonly lines: string[] = [];
  closed = false;
  private buf = '';
  private waiters: Array<() => boolean> = [];

  private constructor(readonly sock: tls.TLSSocket) {
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      this.buf += d;
      let i;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        this.lines.push(this.buf.slice(0, i).replace(/\r$/, ''));
        this.buf = this.buf.slice(i + 1);
      }
      this.waiters = this.waiters.filter((w) => !w());
    });
    sock.on('close', () => { this.closed = true; this.waiters = this.waiters.filter((w) => !w()); });
    sock.on('error', () => {});
  }

  static connect(port: number, certs: string, certOf: string | null): Promise<RawIrc> {
    const o: tls.ConnectionOptions = { host: '127.0.0.1', port, servername: 'localhost', ca: fs.readFileSync(`${certs}/ca.crt`) };
    if (certOf) { o.cert = fs.readFileSync(`${certs}/clients/${certOf}.crt`); o.key = fs.readFileSync(`${certs}/clients/${certOf}.key`); }
    return new Promise((resolve, reject) => {
      const s = tls.connect(o, () => resolve(new RawIrc(s)));
      s.once('error', reject);
    });
  }

  /** Registered with PASS/NICK/USER and in #lobby. */
  static async registered(port: number, certs: string, user: string): Promise<RawIrc> {
    const c = await RawIrc.connect(port, certs, user);
    c.send(`PASS :${USERS[user].password}`, `NICK ${user}`, `USER ${user} 0 * :${user}`);
    await c.line(/ 366 \S+ #lobby /);
    return c;
  }

  send(...lines: string[]): void { this.sock.write(lines.map((l) => l + '\r\n').join('')); }

  line(pred: RegExp, ms = 5000): Promise<string> {
    return deadline(ms, () => `no line ${pred} in ${ms} ms; got ${JSON.stringify(this.lines.slice(-15))}`, (resolve, reject) => {
      const test = () => {
        const i = this.lines.findIndex((l) => pred.test(l));
        if (i >= 0) { resolve(this.lines.splice(i, 1)[0]!); return true; }
        if (this.closed) { reject(new Error(`closed while waiting for ${pred}; got ${JSON.stringify(this.lines.slice(-15))}`)); return true; }
        return false;
      };
      if (!test()) this.waiters.push(test);
    });
  }

  /** Resolves once the server has closed the connection. */
  ended(ms = 5000): Promise<void> {
    return deadline(ms, () => `still open after ${ms} ms; got ${JSON.stringify(this.lines.slice(-10))}`, (resolve) => {
      const test = () => { if (this.closed) { resolve(); return true; } return false; };
      if (!test()) this.waiters.push(test);
    });
  }

  close(): void { this.sock.destroy(); }
}

/**
 * For a describe block whose chatd has an IRC port (`withChatd({ config: { ircPort: 0 } })`): a
 * function that registers `user` over IRC into #lobby; every connection it made is closed after each test.
 */
export function ircRegistrar(t: ChatdFixture): (user: string) => Promise<RawIrc> {
  const open: RawIrc[] = [];
  afterEach(() => { for (const c of open.splice(0)) c.close(); });
  return async (user) => {
    const c = await RawIrc.registered(t.chatd.ircAddress!.port, t.world.certs, user);
    open.push(c);
    return c;
  };
}
