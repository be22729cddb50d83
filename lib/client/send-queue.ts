// The ordered send queue of chat-cli: lines go out one at a time, each after the previous one's
// answer, while the session is up. A line whose answer was lost with the connection stays first and
// is sent again after the reconnect with the same id: chatd runs it once and answers the resend with
// the first answer (DESIGN.md "Conversations").
import type { ClientFrame } from '../protocol/frames.js';
import type { Link } from './link.js';
import { Disconnected } from './link-errors.js';
import type { Answer, Requests } from './requests.js';

type Job = {
  frame: ClientFrame; resolve(f: Answer): void; reject(e: Error): void;
  /** The frame's id, the same on every attempt. */
  id?: string;
  /** Written to a connection at least once (its answer may have been lost with it). */
  wentOut?: boolean;
  /** Its answer, known without the server's: the proof that a passwd took effect (see settleFirst). */
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
        let a: Answer;
        job.wentOut = true;
        job.id ??= this.requests.nextId('c');
        try {
          a = await this.requests.send(link, job.frame, false, undefined, true, job.id);
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
}
