// A TCP relay a spec can break on purpose, with the real server behind it:
// cut() is an outage (connections reset, new ones refused), restore() brings it back on the same
// port, freeze() makes the open connections go silent in both directions while their sockets stay
// open (a dead network path; connections made afterwards work), deafen() lets the open connections
// go on talking to the server but drops everything it answers (a reply lost on the way back);
// deafenOn(text) does that to the one connection that next sends `text`, from that request on.
import net from 'node:net';

type Pair = { client: net.Socket; up: net.Socket; frozen: boolean; deaf: boolean };

export class TcpProxy {
  private server: net.Server | null = null;
  private readonly pairs = new Set<Pair>();
  private dropWaiters: Array<() => void> = [];
  private deafenMatch: string | null = null;
  port = 0;
  /** With inFrontOf: the URL it was given, pointed at this proxy. */
  url = '';

  constructor(private readonly targetHost: string, private readonly targetPort: number) {}

  /** A started proxy in front of the server `url` names (mysql://…, redis://…; `defaultPort` when it names none). */
  static async inFrontOf(url: string, defaultPort: number): Promise<TcpProxy> {
    const u = new URL(url);
    const proxy = new TcpProxy(u.hostname, Number(u.port || defaultPort));
    u.port = String(await proxy.start());
    proxy.url = u.toString();
    return proxy;
  }

  async start(port = 0): Promise<number> {
    this.server = net.createServer((client) => {
      const pair: Pair = { client, up: net.connect(this.targetPort, this.targetHost), frozen: false, deaf: false };
      const { up } = pair;
      this.pairs.add(pair);
      for (const s of [client, up]) s.on('error', () => {});
      client.on('data', (d) => {
        if (this.deafenMatch !== null && d.includes(this.deafenMatch)) { pair.deaf = true; this.deafenMatch = null; }
        if (!pair.frozen) up.write(d);
        else for (const w of this.dropWaiters.splice(0)) w();
      });
      up.on('data', (d) => { if (!pair.frozen && !pair.deaf) client.write(d); });
      client.on('close', () => { up.destroy(); this.pairs.delete(pair); });
      up.on('close', () => { if (!pair.frozen) client.destroy(); });
    });
    await new Promise<void>((r) => this.server!.listen(port, '127.0.0.1', () => r()));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this.port;
  }

  freeze(): void { for (const p of this.pairs) p.frozen = true; }

  deafen(): void { for (const p of this.pairs) p.deaf = true; }

  /**
   * The connection that next sends bytes containing `text` goes deaf from that request on: the
   * request reaches the server, its answer and everything after it are dropped (one client of
   * several on the relay loses a reply; the others go on).
   */
  deafenOn(text: string): void { this.deafenMatch = text; }

  /** Resolves when bytes a client sends are next dropped by a frozen connection (sent into the dead path). */
  nextDrop(): Promise<void> { return new Promise((r) => this.dropWaiters.push(r)); }

  /** The outage: every open connection is cut and new ones are refused. */
  async cut(): Promise<void> {
    const s = this.server;
    this.server = null;
    for (const p of this.pairs) { p.client.destroy(); p.up.destroy(); }
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }

  /** Back, on the same port. */
  async restore(): Promise<void> { await this.start(this.port); }

  async stop(): Promise<void> { await this.cut(); }
}

/** A free TCP port on 127.0.0.1 (closed again before use): nothing listens there right after. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}
