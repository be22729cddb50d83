// A logged-in session's say and command frames: deduplicated by frame id, told apart (a say that
// starts with the prefix is a command), run, and answered. Its own module because it is the one way
// in for everything a user types, and it decides what counts as executed for a retry.
import { ChatdError, ERROR_CODES, type ErrorCode } from './errors.js';
import type { ChatNode } from './node.js';
import type { FrameId, ServerFrame } from './protocol/frames.js';
import { sanitizeText } from './sanitize.js';
import type { Session } from './session.js';

/** Answers after which a frame counts as not executed: resending it must run it. */
const UNDONE = new Set<ErrorCode>(['SERVICE_UNAVAILABLE', 'INTERNAL', 'RATE_LIMITED']);

export class FrameInput {
  constructor(private readonly node: ChatNode) {}

  /**
   * A say or command frame. One with an id runs once per user within limits.dedupeWindowMs: a repeat
   * gets the frames of the first one's answer again (lib/dedupe.ts).
   */
  async input(s: Session, f: { kind: 'say'; text: string; room?: string; id?: FrameId } | { kind: 'command'; line: string; id?: FrameId }): Promise<void> {
    let claim;
    try {
      const content = f.kind === 'say' ? `say\n${f.room ?? ''}\n${f.text}` : `command\n${f.line}`;
      claim = f.id === undefined ? null : await this.node.dedupe.claim(s.user!.name, f.id, content);
    } catch (e) {
      const err = e instanceof ChatdError ? e : new ChatdError('INTERNAL');
      return s.error(err.code, err.message, f.id);
    }
    if (claim && !claim.fresh) {
      for (const a of claim.answer) s.send(a);
      return;
    }
    const answer = await this.execute(s, f);
    const last = answer[answer.length - 1];
    // Nothing happened: a retry must run.
    if (!last || (last.type === 'error' && UNDONE.has(last.code))) claim?.abandon();
    else claim?.done(answer);
  }

  /** Runs a say or command; resolves with the frames of its answer to the sender (sent already). */
  private async execute(s: Session, f: { kind: 'say'; text: string; room?: string; id?: FrameId } | { kind: 'command'; line: string; id?: FrameId }): Promise<ServerFrame[]> {
    try {
      if (f.kind === 'command') return await this.runCommand(s, f.line, f.id);
      const line = this.commandLine(f.text);
      if (line !== null) return await this.commandIn(s, f.room, line, f.id);
      if (s.mode === 'text') this.refuseSlashSlip(f.text);
      const m = this.node.say(s, f.text, 'say', f.room, f.id);
      return [f.id !== undefined ? { ...m, ack: f.id } : m];
    } catch (e) {
      if (!(e instanceof ChatdError)) {
        this.node.log.error('input failed', { session: s.id, err: String((e as Error)?.stack ?? e) });
        s.error('INTERNAL', undefined, f.id);
        return [{ type: 'error', code: 'INTERNAL', message: ERROR_CODES.INTERNAL }];
      }
      s.error(e.code, e.message, f.id);
      return [{ type: 'error', code: e.code, message: e.message, ...(f.id !== undefined ? { id: f.id } : {}) }];
    }
  }

  /**
   * A command in a say frame: one addressed to a room is for that room (//me, //topic, //history), as
   * its message would be, not for the session's current room (not a member of it: NO_SUCH_ROOM, as for
   * a message). The current room is the frame's for the command only, unless the command moved it
   * (//join, //part).
   */
  private async commandIn(s: Session, roomArg: string | undefined, line: string, id?: FrameId): Promise<ServerFrame[]> {
    if (roomArg === undefined) return this.runCommand(s, line, id);
    const before = s.current;
    const room = this.node.memberRoom(s, roomArg);
    s.current = room;
    try {
      return await this.runCommand(s, line, id);
    } finally {
      if (s.current === room && before !== null && s.rooms.has(before)) s.current = before;
    }
  }

  /**
   * The command line in a say, without the prefix, or null for a message. Decided on the sanitized,
   * trimmed text, so that no invisible or blank lead makes a command (a password) a broadcast. The
   * command itself gets the raw text after the prefix: sanitizing would change a password.
   */
  private commandLine(text: string): string | null {
    if (text.startsWith(this.node.prefix)) return text.slice(this.node.prefix.length);
    const clean = sanitizeText(text).trimStart();
    if (!clean.startsWith(this.node.prefix)) return null;
    const at = text.indexOf(this.node.prefix);
    return at >= 0 ? text.slice(at + this.node.prefix.length) : clean.slice(this.node.prefix.length);
  }

  /**
   * Text mode has no client to catch "/passwd <old> <new>" typed with one slash, as in IRC (chat-cli
   * asks first): such a line is refused, not sent, so no password lands in a room and its history
   * (ChatNode.commandBehind, as for a former prefix). The answer names the command, never the line's arguments.
   */
  private refuseSlashSlip(text: string): void {
    const c = this.node.commandBehind(text, ['/']);
    if (c) throw new ChatdError('UNKNOWN_COMMAND', `did you mean ${this.node.prefix}${c.name}? not sent; to send a line that starts with "/${c.name}" as text, begin it with a space`);
  }

  private async runCommand(s: Session, line: string, id?: FrameId): Promise<ServerFrame[]> {
    const stopTimer = this.node.metrics.commandSeconds.startTimer();
    const answer = await this.node.registry.dispatch(line, { host: this.node, session: s, user: s.user!, prefix: this.node.prefix, id });
    // Only registered names become label values; a typo counts as "unknown".
    stopTimer({ command: answer.command ?? 'unknown' });
    for (const f of answer.frames) {
      if (f.type === 'error') this.node.metrics.errors.inc({ code: f.code });
      s.send(f);
    }
    if (answer.close) s.end();
    return answer.frames;
  }
}
