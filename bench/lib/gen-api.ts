// The IPC contract between the bench orchestrator (run.ts) and its load-generator processes
// (loadgen.ts), and the orchestrator's handle on one generator.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Child } from './proc.js';
import type { HistogramData } from './stats.js';

/** `irc`: chatd again, its readers and senders on the IRC port (fan-out only). */
export type TargetKind = 'chatd' | 'ceiling' | 'irc';

export type TlsClientFiles = { ca: string; cert: string; key: string };

export type SetupArgs = { gen: number; host: string; port: number; kind: TargetKind; tls: TlsClientFiles };

/** Opens connections and keeps them. chatd ones log in first (and `part` the lobby if asked). */
export type OpenArgs = { n: number; users: string[]; password: string; concurrency: number; part: boolean; timeoutMs: number };
export type OpenResult = { opened: number; failed: number; errors: Record<string, number>; ms: number; held: number };

/** Senders are this generator's last `senders` held connections (the last members a server fans out to). */
export type SendArgs = {
  phase: number; senders: number; durationMs: number; textBytes: number;
  /** Fixed rate: messages per second per sender. */
  ratePerSender?: number;
  /** Fixed rate: each sender's gaps drawn at random (Poisson arrivals, bursty) instead of the senders staggered evenly. */
  poisson?: boolean;
  /** Closed loop instead: every sender keeps this many messages in flight (its own copy is the ack). */
  window?: number;
  /** After the send window, wait at most this long for in-flight messages. */
  drainMs: number;
};
export type SendResult = { sent: number; windowMs: number; outstanding: number };

export type PhaseResult = { delivered: number; inWindow: number; bytes: number; hist: HistogramData; closed: number; byes: Record<string, number>; errors: Record<string, number> };

/** New connections in a loop for `durationMs`: handshake only, or handshake + login (chatd). */
export type StormArgs = {
  durationMs: number; concurrency: number; resume: boolean; login: boolean; users: string[]; password: string;
  /** Paces new connections to at most this many per second (default: as fast as `concurrency` allows). */
  ratePerSec?: number;
  /** Completions in the first `warmupMs` are not counted (the pipeline is still filling). */
  warmupMs?: number;
};
export type StormResult = {
  completed: number; resumed: number; failed: number; errors: Record<string, number>; windowMs: number; hist: HistogramData;
};

/**
 * A reconnect storm: the first `n` held connections (the rest are closed) connect again as soon as
 * their server closes them, retrying refused or failed connects every ~`retryMs` until `deadlineMs`
 * after they lost the old one; chatd ones log in again as `users[i % users.length]`. With `resume`
 * each offers the TLS session ticket of the connection it lost.
 * `tokens`: a chatd client logs in again as itself with the resume token of its last login_ok.
 */
export type ReconnectArgs = { n: number; resume: boolean; tokens: boolean; login: boolean; users: string[]; password: string; retryMs: number; deadlineMs: number };
export type ReconnectResult = {
  /** Connections back (TLS up, and logged in for chatd), and those still out at the deadline. */
  back: number; failed: number;
  /** Offered a ticket; of those back, the handshakes that resumed; logins tried with a resume token. */
  offered: number; resumed: number; tokens: number;
  /** Connects refused while no server listened (expected, not errors), and every other failed attempt by kind. */
  refused: number; errors: Record<string, number>;
  /** CLOCK_MONOTONIC µs at which each connection was back, and of the first TCP connect that got through. */
  backUs: number[]; firstConnectUs: number | null;
};

export type GenRequest =
  | { op: 'setup'; args: SetupArgs }
  | { op: 'open'; args: OpenArgs }
  /** Counts markers of `phase`; `windowMs` from now bounds the deliveries that count toward throughput. */
  | { op: 'measureStart'; args: { phase: number; windowMs: number } }
  | { op: 'measureStop'; args: Record<string, never> }
  | { op: 'send'; args: SendArgs }
  | { op: 'storm'; args: StormArgs }
  | { op: 'status'; args: Record<string, never> }
  | { op: 'closeAll'; args: Record<string, never> }
  /** Arms the reconnect storm (returns at once); `reconnectWait` resolves when every armed connection is back or out of time. */
  | { op: 'reconnectArm'; args: ReconnectArgs }
  | { op: 'reconnectWait'; args: Record<string, never> };

export type GenReply = { id: number; result?: unknown; error?: string };

type ResultOf = {
  setup: void; open: OpenResult; measureStart: void; measureStop: PhaseResult; send: SendResult; storm: StormResult; status: { held: number }; closeAll: { closed: number };
  reconnectArm: { armed: number }; reconnectWait: ReconnectResult;
};

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** One load-generator process and a promise-returning call per request. */
export class Generator {
  readonly child: Child;
  private seq = 0;
  private readonly pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();

  constructor(readonly index: number, echo = false) {
    this.child = new Child(`loadgen${index}`, ['--max-old-space-size=4096', path.join(HERE, '..', 'loadgen.js')], { ipc: true, echo });
    this.child.proc.on('message', (m: GenReply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      clearTimeout(p.timer);
      if (m.error !== undefined) p.reject(new Error(`loadgen${index}: ${m.error}`));
      else p.resolve(m.result);
    });
    this.child.exited.then((code) => {
      for (const [, p] of this.pending) { clearTimeout(p.timer); p.reject(new Error(`loadgen${index} exited (code ${code})\n${this.child.stderr()}`)); }
      this.pending.clear();
    });
  }

  get pid(): number { return this.child.pid; }

  call<O extends GenRequest['op']>(op: O, args: Extract<GenRequest, { op: O }>['args'], timeoutMs = 120_000): Promise<ResultOf[O]> {
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`loadgen${this.index}: ${op} did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.child.proc.send({ id, op, args });
    });
  }

  stop(): Promise<void> { return this.child.stop(1000); }
}
