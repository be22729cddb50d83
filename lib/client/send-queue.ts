// The ordered send queue of chat-cli: lines go out one at a time, each after the previous one's
// answer, while the session is up. A line whose answer was lost with the connection stays first and
// is sent again after the reconnect, unless the history sent on rejoining shows that it arrived.
import type { ClientFrame, MessageFrame } from '../protocol/frames.js';
import { normalizeRoom, sanitizeText } from '../sanitize.js';
import type { Link } from './link.js';
import { Disconnected } from './link-errors.js';
import type { Answer, Requests } from './requests.js';

// How much earlier than our send a message may be stamped by the server's clock and still be ours.
const CLOCK_SKEW_MS = 60_000;

type Job = {
  frame: ClientFrame; resolve(f: Answer): void; reject(e: Error): void;
  /** A plain line (no command) as the server would store it, set while it waits for its answer. */
  sent?: { at: number; room: string | null; text: string };
  /** Written to a connection at least once (its answer may have been lost with it). */
  wentOut?: boolean;
  /**
   * Its answer, known without the server's: its message, found in the history sent after a reconnect
   * (it arrived, only the answer was lost), or the proof that a passwd took effect (see settleFirst).
   */
  landed?: Answer;
};

export type QueueHost = {
  prefix(): string;
  /** The current room (a say without a room goes there). */
  current(): string | null;
  user(): { name: string } | null;
  /** The link to send on while the session is up and not closing, else null (the queue waits). */
  live(): Link | null;
  /** A frame of the queue got its answer (before the caller sees it). */
  answered(frame: ClientFrame, answer: Answer): void;
};

export class SendQueue {
  private readonly jobs: Job[] = [];
  private pumping = false;

  constructor(private readonly host: QueueHost, private readonly requests: Requests) {}

  push(frame: ClientFrame): Promise<Answer> {
    return new Promise<Answer>((resolve, reject) => {
      this.jobs.push({ frame, resolve, reject });
      void this.pump();
    });
  }

  rejectAll(err: Error): void {
    for (const j of this.jobs.splice(0)) j.reject(err);
  }

  /** A plain line went out and its answer has not come back. */
  get awaitsAnswer(): boolean { return !!this.jobs[0]?.sent; }

  /** The first frame, if it went out and its answer has not come back. */
  get inFlight(): ClientFrame | null {
    const job = this.jobs[0];
    return job?.wentOut && !job.landed ? job.frame : null;
  }

  /** The first frame's effect is known without its answer: it resolves with `a` instead of being sent again. */
  settleFirst(a: Answer): void {
    const job = this.jobs[0];
    if (job) job.landed = a;
  }

  /** Sends queued frames one at a time, each after the previous answer, while the session is up. */
  async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      let link: Link | null;
      while (this.jobs.length && (link = this.host.live())) {
        const job = this.jobs[0]!;
        if (job.landed) {
          this.jobs.shift();
          job.resolve(job.landed);
          continue;
        }
        const f = job.frame;
        job.sent = f.type === 'say' && typeof f.text === 'string' && !f.text.startsWith(this.host.prefix())
          ? { at: Date.now(), room: f.room !== undefined ? normalizeRoom(f.room) : this.host.current(), text: sanitizeText(f.text) }
          : undefined;
        let a: Answer;
        job.wentOut = true;
        try {
          a = await this.requests.send(link, job.frame, false);
        } catch (e) {
          if (e instanceof Disconnected) continue; // stays first; sent again once logged in again
          this.jobs.shift();
          job.reject(e as Error);
          continue;
        }
        this.jobs.shift();
        this.host.answered(job.frame, a);
        job.resolve(a);
      }
    } finally {
      this.pumping = false;
    }
  }

  /**
   * Exactly once for plain lines: a message of ours we never saw, in the room we sent to, with the
   * text as the server stores it, stamped after we sent it, is the line whose answer was lost.
   * (Any other message of ours was seen: each answer is our own message. Another session of the same
   * user saying the same words in the same room during the outage would be mistaken for it.)
   */
  claimLanded(m: MessageFrame): void {
    const job = this.jobs[0];
    const me = this.host.user();
    if (!job?.sent || job.landed || !me || !m || typeof m.ts !== 'string') return;
    if (m.kind === 'say' && m.from?.name === me.name && m.room === job.sent.room && m.text === job.sent.text
      && Date.parse(m.ts) >= job.sent.at - CLOCK_SKEW_MS) {
      job.landed = m;
    }
  }
}
