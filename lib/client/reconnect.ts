// Reconnection of chat-cli after an established session was lost: attempts spaced by backoff with
// jitter until one logs in again (or a failure that retrying cannot fix), then the rooms rejoined.
import { SetupError } from '../errors.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import { clean, Disconnected, formatDelay } from './link-errors.js';
import type { Answer } from './requests.js';

/** The wait before one reconnect attempt, and why the one before it failed (null before the first). */
export type RetryInfo = { where: string; attempt: number; delayMs: number; previous: string | null };

export type ReconnectHost = {
  closing(): boolean;
  readonly where: string;
  /** One attempt: connect, log in, rejoin. Rejects with Disconnected (try again) or SetupError (give up). */
  attempt(): Promise<void>;
  /** The attempt failed; the next one follows. */
  down(): void;
  fail(err: SetupError): void;
  /** Before each wait: front ends say it (a terminal on one line that it updates). */
  retry(info: RetryInfo): void;
};

/** The two lines of a log (piped use, stderr) for one reconnect wait. */
export function retryLines(r: RetryInfo): string[] {
  return [
    ...(r.previous !== null ? [`reconnect failed: ${r.previous}`] : []),
    `reconnecting to ${r.where} in ${formatDelay(r.delayMs)} (attempt ${r.attempt})`,
  ];
}

/** The one status line of a terminal for one reconnect wait, replacing the one before. */
export function retryLine(r: RetryInfo): string {
  return `reconnecting to ${r.where} in ${formatDelay(r.delayMs)} (attempt ${r.attempt}${r.previous !== null ? `; ${r.previous}` : ''})`;
}

export class Reconnector {
  private readonly backoff: Backoff;
  private running = false;
  private wake: (() => void) | null = null;

  constructor(opts?: BackoffOptions) {
    this.backoff = new Backoff(opts);
  }

  /** Ends the wait before the next attempt at once (the host is closing). */
  interrupt(): void { this.wake?.(); }

  async run(host: ReconnectHost): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      let previous: string | null = null;
      while (!host.closing()) {
        const delay = this.backoff.next();
        host.retry({ where: host.where, attempt: this.backoff.attempts, delayMs: delay, previous });
        await new Promise<void>((r) => {
          const t = setTimeout(r, delay);
          this.wake = () => { clearTimeout(t); r(); };
        });
        this.wake = null;
        if (host.closing()) return;
        try {
          await host.attempt();
          this.backoff.reset();
          return;
        } catch (e) {
          if (host.closing()) return;
          if (e instanceof SetupError) return host.fail(e);
          host.down();
          previous = e instanceof Disconnected ? e.reason : (e as Error).message;
        }
      }
    } finally {
      this.running = false;
    }
  }
}

/**
 * After a reconnect the server has us in lobby only: every room is joined again (in the order they
 * were joined, lobby included) with a `join` frame naming the last message shown there, so that the
 * server replays exactly what was missed; then lobby is left if we had, and the current room made
 * current again.
 */
export async function resume(
  rooms: readonly string[], current: string | null, join: (room: string) => Promise<Answer>, command: (line: string) => Promise<Answer>,
  status: (text: string) => void,
): Promise<void> {
  const check = (what: string) => (a: Answer) => {
    if (a.type === 'error') status(`could not ${what}: ${clean(a.code)} ${clean(a.message)}`);
  };
  for (const room of rooms) check(`join ${room}`)(await join(room));
  if (!rooms.includes('lobby')) check('part lobby')(await command('part lobby'));
  if (current && current !== rooms[rooms.length - 1]) check(`join ${current}`)(await join(current));
}
