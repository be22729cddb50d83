// The load generator: one process holding real mutual-TLS client connections to the server under
// test (chatd or the raw ceiling), driven by run.ts over IPC (lib/gen-api.ts). It never runs in
// the server's process.
//
// Latency: every bench message carries a marker `~B<phase>.<gen>.<sender>.<µs>~` in its text, µs
// being CLOCK_MONOTONIC (process.hrtime), which every process on the machine shares. A receiver
// records now − µs for each marker of the current phase, so latency is measured across processes
// without clock skew. Markers are found with Buffer#indexOf on the raw bytes; a line is only
// JSON-parsed while a connection logs in.
import { setTimeout as sleep } from 'node:timers/promises';
import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import type {
  GenRequest, OpenArgs, OpenResult, PhaseResult, ReconnectArgs, ReconnectResult, SendArgs, SendResult, SetupArgs, StormArgs, StormResult,
} from './lib/gen-api.js';
import { monoUs as nowUs } from './lib/proc.js';
import { Histogram } from './lib/stats.js';

const MARK = Buffer.from('~B');
const PING = Buffer.from('{"type":"ping"');
const BYE = Buffer.from('{"type":"bye"');
const ERROR = Buffer.from('{"type":"error"');
const PONG = '{"type":"pong"}\n';
const ALPN = ['chatd/1'];
// IRC (kind irc): the server's keepalive, and the ERROR line that ends a session.
const IRC_PING = Buffer.from('PING ');
const IRC_ERROR = Buffer.from('ERROR :');

let setup: SetupArgs | null = null;
let ctx: tls.SecureContext | null = null;
const held: Conn[] = [];

/** What the current measurement phase has seen. */
const phase = {
  id: -1, windowEnd: 0, delivered: 0, inWindow: 0, bytes: 0, hist: new Histogram(), closed: 0,
  byes: {} as Record<string, number>, errors: {} as Record<string, number>,
};

function bump(map: Record<string, number>, key: string): void {
  map[key] = (map[key] ?? 0) + 1;
}

function connectOpts(session?: Buffer, socket?: net.Socket): tls.ConnectionOptions {
  return {
    host: setup!.host, port: setup!.port, servername: 'localhost', secureContext: ctx!, ...(setup!.kind === 'irc' ? {} : { ALPNProtocols: ALPN }),
    ...(session ? { session } : {}), ...(socket ? { socket } : {}),
  };
}

// ---- one client connection ------------------------------------------------------------------

type Frame = { type?: string; code?: string; message?: string; id?: unknown; resume?: unknown };

class Conn {
  readonly sock: tls.TLSSocket;
  ready = false;
  closed = false;
  sender = -1;
  outstanding = 0;
  /** Called per complete JSON line until the connection is ready (login in progress). */
  onFrame: ((f: Frame) => void) | null = null;
  /** IRC: called per line until registered and in #lobby. */
  onIrcLine: ((line: string) => void) | null = null;
  onClose: (() => void) | null = null;
  /** The latest TLS session ticket the server sent on this connection (offered by a reconnect). */
  ticket: Buffer | null = null;
  /** chatd: who logged in here, and the resume token of its login_ok (a reconnect's login without a hash). */
  user: string | null = null;
  resumeToken: string | null = null;
  private carry: Buffer | null = null;
  private text = '';

  /** `socket`: TLS over this TCP connection, already made, instead of a new one. */
  constructor(session?: Buffer, socket?: net.Socket) {
    this.sock = tls.connect(connectOpts(session, socket));
    this.sock.setNoDelay(true);
    this.sock.on('data', (d: Buffer) => this.onData(d));
    this.sock.on('error', () => {});
    this.sock.on('session', (t: Buffer) => { this.ticket = t; });
    this.sock.on('close', () => {
      this.closed = true;
      if (this.ready && phase.id >= 0) phase.closed++;
      this.onClose?.();
    });
  }

  send(line: string): void { this.sock.write(line); }

  destroy(): void { this.sock.destroy(); }

  private onData(chunk: Buffer): void {
    if (!this.ready) return this.onSetupData(chunk);
    const now = nowUs();
    if (phase.id >= 0) phase.bytes += chunk.length;
    let buf = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
    this.carry = null;
    const last = buf.lastIndexOf(0x0a);
    if (last === -1) {
      this.carry = buf;
      return;
    }
    if (last !== buf.length - 1) {
      this.carry = Buffer.from(buf.subarray(last + 1));
      buf = buf.subarray(0, last + 1);
    }
    scanMarkers(buf, now, this);
    if (setup!.kind === 'irc') {
      if (buf.indexOf(IRC_PING) !== -1) this.sock.write('PONG :chatd\r\n');
      if (phase.id >= 0) for (let b = buf.indexOf(IRC_ERROR); b !== -1; b = buf.indexOf(IRC_ERROR, b + 1)) bump(phase.byes, /ERROR :([A-Z_]+)/.exec(buf.toString('latin1', b, b + 40))?.[1] ?? '?');
    }
    if (setup!.kind === 'chatd') {
      if (buf.indexOf(PING) !== -1) this.sock.write(PONG);
      if (phase.id >= 0) {
        // bye and error frames (SENDQ_EXCEEDED, RATE_LIMITED…) are counted, so a phase that lost
        // sessions or messages says why.
        for (const [mark, into] of [[BYE, phase.byes], [ERROR, phase.errors]] as const) {
          for (let b = buf.indexOf(mark); b !== -1; b = buf.indexOf(mark, b + 1)) {
            bump(into, /"code":"([A-Z_]+)"/.exec(buf.toString('latin1', b, b + 80))?.[1] ?? '?');
          }
        }
      }
    }
  }

  private onSetupData(chunk: Buffer): void {
    this.text += chunk.toString('utf8');
    let i;
    while (!this.ready && (i = this.text.indexOf('\n')) !== -1) {
      const line = this.text.slice(0, i);
      this.text = this.text.slice(i + 1);
      if (setup!.kind === 'irc') { this.onIrcLine?.(line); continue; }
      let f: Frame;
      try { f = JSON.parse(line) as Frame; } catch { continue; }
      this.onFrame?.(f);
    }
    if (this.ready) this.text = ''; // join events, history: not measured
  }
}

/** Finds every marker in `buf` (complete lines only) and records those of the current phase. */
function scanMarkers(buf: Buffer, now: number, conn: Conn): void {
  let i = buf.indexOf(MARK);
  while (i !== -1) {
    let p = i + 2;
    const n = [0, 0, 0, 0];
    let k = 0;
    for (; p < buf.length && k < 4; p++) {
      const c = buf[p]!;
      if (c >= 0x30 && c <= 0x39) n[k] = n[k]! * 10 + (c - 0x30);
      else if (c === 0x2e) k++; // '.'
      else { if (c === 0x7e) k++; break; } // '~' ends the marker
    }
    if (k === 4 && n[0] === phase.id) {
      phase.delivered++;
      if (now <= phase.windowEnd) phase.inWindow++;
      phase.hist.record(now - n[3]!);
      if (n[1] === setup!.gen && n[2] === conn.sender) senders.ack(conn);
    }
    i = buf.indexOf(MARK, p);
  }
}

/** Resolves when the connection is usable: TLS up (ceiling), or logged in (chatd, + part lobby). */
function establish(conn: Conn, login: { user: string; password: string; token?: string } | null, part: boolean, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail('timeout'), timeoutMs);
    const fail = (why: string) => {
      clearTimeout(timer);
      conn.onFrame = null;
      conn.onClose = null;
      conn.destroy();
      reject(new Error(why));
    };
    const done = () => {
      clearTimeout(timer);
      conn.ready = true;
      conn.onFrame = null;
      conn.onClose = null;
      resolve();
    };
    conn.onClose = () => fail('closed');
    conn.sock.once('error', (e: NodeJS.ErrnoException) => fail(e.code ?? e.message));
    if (!login) {
      conn.sock.once('secureConnect', done);
      return;
    }
    if (setup!.kind === 'irc') {
      // echo-message: a sender's own copy is its ack, as with JSON. Registered once #lobby's names end.
      conn.sock.once('secureConnect', () => conn.send(`CAP REQ :echo-message\r\nPASS :${login.password}\r\nNICK ${login.user}\r\nUSER ${login.user} 0 * :bench\r\nCAP END\r\n`));
      conn.onIrcLine = (line) => {
        if (/^\S+ 366 \S+ #lobby /.test(line)) { conn.onIrcLine = null; done(); } else if (line.startsWith('ERROR ')) fail(line.slice(7, 40));
      };
      return;
    }
    conn.onFrame = (f) => {
      if (f.type === 'welcome') {
        const proof = login.token ? { resume: login.token } : { password: login.password };
        conn.send(JSON.stringify({ type: 'login', user: login.user, ...proof, id: 'L' }) + '\n');
      } else if (f.type === 'login_ok') {
        conn.user = login.user;
        conn.resumeToken = typeof f.resume === 'string' ? f.resume : null;
        if (part) conn.send('{"type":"command","line":"part lobby","id":"P"}\n');
        else done();
      } else if (f.type === 'result' && f.id === 'P') done();
      else if (f.type === 'error' && (f.id === 'L' || f.id === 'P')) fail(f.code ?? 'error');
      else if (f.type === 'bye') fail(`bye ${f.code}`);
    };
  });
}

// ---- ops ------------------------------------------------------------------------------------

async function open(a: OpenArgs): Promise<OpenResult> {
  const t0 = Date.now();
  const errors: Record<string, number> = {};
  let next = 0;
  let opened = 0;
  let failed = 0;
  const worker = async () => {
    while (next < a.n) {
      const i = next++;
      const conn = new Conn();
      const login = setup!.kind !== 'ceiling' ? { user: a.users[i % a.users.length]!, password: a.password } : null;
      try {
        await establish(conn, login, a.part && login !== null, a.timeoutMs);
        held.push(conn);
        opened++;
      } catch (e) {
        failed++;
        bump(errors, (e as Error).message);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(a.concurrency, a.n) }, worker));
  return { opened, failed, errors, ms: Date.now() - t0, held: held.filter((c) => !c.closed).length };
}

function measureStart(id: number, windowMs: number): void {
  phase.id = id;
  phase.windowEnd = nowUs() + windowMs * 1000;
  phase.delivered = 0;
  phase.inWindow = 0;
  phase.bytes = 0;
  phase.hist = new Histogram();
  phase.closed = 0;
  phase.byes = {};
  phase.errors = {};
}

function measureStop(): PhaseResult {
  const r = { delivered: phase.delivered, inWindow: phase.inWindow, bytes: phase.bytes, hist: phase.hist.toData(), closed: phase.closed, byes: phase.byes, errors: phase.errors };
  phase.id = -1;
  return r;
}

/** The senders of one send phase: fixed rate (timer-driven) or closed loop (ack-driven). */
const senders = {
  conns: [] as Conn[],
  args: null as SendArgs | null,
  endAt: 0,
  sent: 0,
  seq: 0,
  pad: '',

  line(s: number): string {
    const a = this.args!;
    const text = `~B${a.phase}.${setup!.gen}.${s}.${Math.floor(nowUs())}~ ${this.pad}`;
    const id = ++this.seq;
    if (setup!.kind === 'chatd') return `{"type":"say","id":${id},"text":${JSON.stringify(text)}}\n`;
    if (setup!.kind === 'irc') return `PRIVMSG #lobby :${text}\r\n`;
    // The ceiling relays lines as they are, so send what chatd would deliver: a message frame of the
    // same shape and size, so that both servers move the same bytes per delivery.
    return JSON.stringify({
      type: 'message', id: `bench${id.toString(36).padStart(8, '0')}`, ts: new Date().toISOString(), room: 'lobby',
      from: { name: 'u0000', role: 'user', color: 'cyan' }, text, kind: 'say',
    }) + '\n';
  },

  sendOne(c: Conn): void {
    if (c.closed) return;
    c.outstanding++;
    this.sent++;
    c.send(this.line(c.sender));
  },

  ack(c: Conn): void {
    if (c.outstanding > 0) c.outstanding--;
    const a = this.args;
    if (a?.window && Date.now() < this.endAt) this.sendOne(c);
  },

  async run(a: SendArgs): Promise<SendResult> {
    const live = held.filter((c) => !c.closed);
    if (live.length < a.senders) throw new Error(`only ${live.length} live connections for ${a.senders} senders`);
    // The last connections opened are the last members a server iterates over when it fans out
    // (both keep insertion order), so a sender's own copy, its ack in the closed loop, is written
    // after every other member's copy: the window then bounds what is in flight to every member.
    this.conns = live.slice(-a.senders);
    this.conns.forEach((c, i) => { c.sender = i; c.outstanding = 0; });
    this.args = a;
    this.sent = 0;
    this.pad = 'x'.repeat(Math.max(0, a.textBytes - 24));
    const t0 = Date.now();
    this.endAt = t0 + a.durationMs;
    if (a.window) {
      for (const c of this.conns) for (let k = 0; k < a.window; k++) this.sendOne(c);
      await sleep(a.durationMs);
    } else {
      const rate = a.ratePerSender ?? 1;
      const due = new Array(this.conns.length).fill(0);
      // Poisson arrivals: each sender's next message after an exponential gap of the same mean, so
      // messages sometimes bunch and sometimes pause, as in a room of people typing.
      const gapMs = () => (-Math.log(1 - Math.random()) * 1000) / rate;
      const nextAt = this.conns.map(() => gapMs());
      await new Promise<void>((resolve) => {
        const tick = () => {
          const elapsed = Math.min(Date.now(), this.endAt) - t0;
          this.conns.forEach((c, i) => {
            if (a.poisson) {
              while (nextAt[i]! <= elapsed) { nextAt[i]! += gapMs(); this.sendOne(c); }
              return;
            }
            // Senders are staggered evenly within each period so the load is smooth, not bursty.
            const owed = Math.floor((elapsed / 1000) * rate + i / this.conns.length);
            while (due[i] < owed) { due[i]++; this.sendOne(c); }
          });
          if (Date.now() >= this.endAt) { clearInterval(timer); resolve(); }
        };
        const timer = setInterval(tick, 1);
      });
    }
    const windowMs = Date.now() - t0;
    // Let in-flight messages land (receivers keep counting until measureStop).
    const drainEnd = Date.now() + a.drainMs;
    while (Date.now() < drainEnd && this.conns.some((c) => c.outstanding > 0 && !c.closed)) await sleep(10);
    const outstanding = this.conns.reduce((n, c) => n + c.outstanding, 0);
    this.conns.forEach((c) => { c.sender = -1; });
    this.args = null;
    return { sent: this.sent, windowMs, outstanding };
  },
};

/** New connections in a loop: a handshake storm, or (chatd, login) a login storm. */
async function storm(a: StormArgs): Promise<StormResult> {
  const errors: Record<string, number> = {};
  const hist = new Histogram();
  let completed = 0;
  let resumed = 0;
  let failed = 0;
  let ticket: Buffer | undefined;
  if (a.resume) ticket = await fetchTicket();
  const t0 = Date.now();
  const end = t0 + a.durationMs;
  const counted = t0 + (a.warmupMs ?? 0);
  let n = 0;
  let slots = 0;
  const worker = async () => {
    while (Date.now() < end) {
      if (a.ratePerSec) {
        const at = t0 + (slots++ * 1000) / a.ratePerSec;
        if (at >= end) break;
        if (at > Date.now()) await sleep(at - Date.now());
      }
      const started = nowUs();
      const conn = new Conn(ticket);
      const login = a.login ? { user: a.users[n++ % a.users.length]!, password: a.password } : null;
      try {
        await establish(conn, login, false, 30_000);
        const at = Date.now();
        if (at <= end && at >= counted) {
          completed++;
          hist.record(nowUs() - started);
          if (conn.sock.isSessionReused()) resumed++;
        }
      } catch (e) {
        if (Date.now() <= end && Date.now() >= counted) { failed++; bump(errors, (e as Error).message); }
      }
      conn.destroy();
    }
  };
  await Promise.all(Array.from({ length: a.concurrency }, worker));
  return { completed, resumed, failed, errors, windowMs: Math.min(Date.now(), end) - counted, hist: hist.toData() };
}

/** A TLS 1.3 session ticket from one full handshake (arrives just after it, before any data is read). */
function fetchTicket(): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = tls.connect(connectOpts());
    const timer = setTimeout(() => { sock.destroy(); reject(new Error('no session ticket within 5 s')); }, 5000);
    sock.once('session', (s: Buffer) => { clearTimeout(timer); sock.destroy(); resolve(s); });
    sock.on('error', (e) => { clearTimeout(timer); reject(e); });
    sock.on('data', () => {});
  });
}

// ---- reconnect storm (bench/sections/reconnect.ts) ---------------------------------------------

let reconnecting: { pending: number; result: ReconnectResult; done: Promise<void>; finish: () => void } | null = null;

function reconnectArm(a: ReconnectArgs): { armed: number } {
  const live = held.filter((c) => !c.closed);
  for (const c of live.slice(a.n)) c.destroy();
  held.splice(0, held.length, ...live.slice(0, a.n));
  let finish!: () => void;
  const r: NonNullable<typeof reconnecting> = {
    pending: held.length, done: new Promise<void>((res) => (finish = res)), finish: () => finish(),
    result: { back: 0, failed: 0, offered: 0, resumed: 0, tokens: 0, refused: 0, errors: {}, backUs: [], firstConnectUs: null },
  };
  reconnecting = r;
  if (r.pending === 0) r.finish();
  held.forEach((old, i) => {
    old.onClose = () => {
      old.onClose = null;
      void comeBack(old, i, a, r);
    };
  });
  return { armed: held.length };
}

/** One client whose connection the restart closed: connect again until it is back (or out of time). */
async function comeBack(old: Conn, i: number, a: ReconnectArgs, r: NonNullable<typeof reconnecting>): Promise<void> {
  const deadline = Date.now() + a.deadlineMs;
  const ticket = a.resume ? old.ticket ?? undefined : undefined;
  if (ticket) r.result.offered++;
  // With tokens the client logs in again as itself, with the token of its last login_ok (as chat-cli
  // does); a refused token falls back to the password at the next attempt.
  let token = a.tokens && old.user && old.resumeToken ? old.resumeToken : undefined;
  if (token) r.result.tokens++;
  const user = token ? old.user! : a.users[i % a.users.length]!;
  while (Date.now() < deadline) {
    const login = a.login ? { user, password: a.password, ...(token ? { token } : {}) } : null;
    try {
      // TCP first, TLS only over a connection that was accepted, as a client's connect() then
      // handshake: a refused attempt then costs the generator a socket, not a TLS client.
      const tcp = await tcpConnect();
      const t = nowUs();
      if (r.result.firstConnectUs === null || t < r.result.firstConnectUs) r.result.firstConnectUs = t;
      const conn = new Conn(ticket, tcp);
      await establish(conn, login, false, Math.max(1, deadline - Date.now()));
      r.result.backUs.push(nowUs());
      r.result.back++;
      // A resumed TLS 1.3 handshake brings no new ticket (Node's server does not renew them): the
      // one just used stays the one to offer next time, as chat-cli does.
      if (conn.sock.isSessionReused()) { r.result.resumed++; conn.ticket ??= ticket ?? null; }
      held[i] = conn;
      break;
    } catch (e) {
      const why = (e as Error).message;
      if (why === 'ECONNREFUSED') r.result.refused++;
      else bump(r.result.errors, why);
      if (why === 'AUTH_FAILED') token = undefined;
      // A client whose backoff has run out tries again soon: every ~retryMs, jittered so that the
      // clients do not move in lockstep.
      await sleep(a.retryMs * (0.5 + Math.random()));
    }
  }
  if (held[i] === old) r.result.failed++;
  if (--r.pending === 0) r.finish();
}

function tcpConnect(): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: setup!.host, port: setup!.port });
    const onError = (e: NodeJS.ErrnoException) => { sock.destroy(); reject(new Error(e.code ?? e.message)); };
    sock.once('error', onError);
    sock.once('connect', () => { sock.off('error', onError); sock.on('error', () => {}); resolve(sock); });
  });
}

async function reconnectWait(): Promise<ReconnectResult> {
  const r = reconnecting;
  if (!r) throw new Error('reconnectWait before reconnectArm');
  await r.done;
  reconnecting = null;
  return r.result;
}

async function closeAll(): Promise<{ closed: number }> {
  const all = held.splice(0);
  const waits = all.filter((c) => !c.closed).map((c) => new Promise<void>((r) => { c.sock.once('close', () => r()); c.destroy(); }));
  await Promise.race([Promise.all(waits), sleep(5000)]);
  return { closed: all.length };
}

async function handle(req: GenRequest): Promise<unknown> {
  switch (req.op) {
    case 'setup': {
      setup = req.args;
      const t = req.args.tls;
      ctx = tls.createSecureContext({ ca: fs.readFileSync(t.ca), cert: fs.readFileSync(t.cert), key: fs.readFileSync(t.key), minVersion: 'TLSv1.3' });
      return undefined;
    }
    case 'open': return open(req.args);
    case 'measureStart': measureStart(req.args.phase, req.args.windowMs); return undefined;
    case 'measureStop': return measureStop();
    case 'send': return senders.run(req.args);
    case 'storm': return storm(req.args);
    case 'status': return { held: held.filter((c) => !c.closed).length };
    case 'closeAll': return closeAll();
    case 'reconnectArm': return reconnectArm(req.args);
    case 'reconnectWait': return reconnectWait();
  }
}

if (!process.send) {
  process.stderr.write('loadgen is started by bench/run.ts (npm run bench), not by hand\n');
  process.exit(2);
}
process.on('message', (m: GenRequest & { id: number }) => {
  handle(m).then(
    (result) => process.send!({ id: m.id, result }),
    (e) => process.send!({ id: m.id, error: String((e as Error)?.message ?? e) }),
  );
});
process.on('disconnect', () => process.exit(0)); // the orchestrator is gone: so are we
