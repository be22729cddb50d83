// Streaming line decoder (any chunking; the size cap is checked before anything is decoded or parsed)
// and the JSON Lines codec of DESIGN.md.
import { ChatdError } from '../errors.js';
import { CLIENT_FRAME_TYPES, type ClientFrame, type FrameId, type ServerFrame } from './frames.js';

const NL = 0x0a;
/** Pieces of an unfinished line held before they are joined into one buffer. */
const MAX_PARTS = 64;

/**
 * Splits a byte stream into lines of at most `maxBytes` (excluding the '\n' and a '\r' before it, which is dropped).
 * `onLine` gets each complete line and its length in bytes; `onOverflow` fires once when a line grows past the cap, after
 * which the decoder stops (the caller closes the connection, as DESIGN.md says for FRAME_TOO_LARGE).
 */
export class LineDecoder {
  private parts: Buffer[] = [];
  private pending = 0;
  private dead = false;

  constructor(
    /** Settable: a config reload changes it for the lines still to come. */
    public maxBytes: number,
    private readonly onLine: (line: string, bytes: number) => void,
    private readonly onOverflow: () => void,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    while (!this.dead && start < chunk.length) {
      const nl = chunk.indexOf(NL, start);
      const end = nl === -1 ? chunk.length : nl;
      const held = this.pending + (end - start);
      // The CR of a CRLF ends the line rather than belongs to it, so a cap-sized line passes from
      // telnet as it does from a JSON client: one byte over the cap is held while that byte is a CR.
      // (end === start: nothing new, the bytes held were checked when they came.)
      if (end > start && held > this.maxBytes && !(held === this.maxBytes + 1 && chunk[end - 1] === 0x0d)) return this.overflow();
      if (nl === -1) {
        this.parts.push(chunk.subarray(start));
        this.pending += chunk.length - start;
        // A peer can send a line one byte per TLS record: each is a Buffer of its own (~200 bytes of
        // heap), so 16 KiB held that way was ~7 MB. Joined every MAX_PARTS pieces, the line costs its
        // bytes and at most MAX_PARTS buffers, for at most a few copies of the line per line.
        if (this.parts.length >= MAX_PARTS) this.parts = [Buffer.concat(this.parts, this.pending)];
        return;
      }
      let line: Buffer;
      if (this.parts.length) {
        this.parts.push(chunk.subarray(start, nl));
        line = Buffer.concat(this.parts);
        this.parts = [];
        this.pending = 0;
      } else {
        line = chunk.subarray(start, nl);
      }
      start = nl + 1;
      let len = line.length;
      if (len && line[len - 1] === 0x0d) len--;
      // Invalid UTF-8 becomes U+FFFD here; the sanitizer and validators see well-formed strings only.
      this.onLine(line.toString('utf8', 0, len), len);
    }
  }

  private overflow(): void {
    this.dead = true;
    this.parts = [];
    this.onOverflow();
  }
}

export function encodeFrame(frame: ServerFrame): string {
  return JSON.stringify(frame) + '\n';
}

function isId(v: unknown): v is FrameId {
  return (typeof v === 'string' && v.length <= 128) || (typeof v === 'number' && Number.isFinite(v));
}

/** The id of a frame, if it carries a valid one, so that even a rejected frame's error can echo it. */
export function frameId(obj: unknown): FrameId | undefined {
  if (obj && typeof obj === 'object' && !Array.isArray(obj)) {
    const id = (obj as Record<string, unknown>).id;
    if (isId(id)) return id;
  }
  return undefined;
}

function str(o: Record<string, unknown>, key: string, required: boolean): string | undefined {
  const v = o[key];
  if (v === undefined && !required) return undefined;
  if (typeof v !== 'string') throw new ChatdError('BAD_FRAME', `field "${key}" must be a string`);
  return v;
}

/**
 * Parses and validates one client line. Returns the frame, or throws ChatdError (BAD_FRAME,
 * UNKNOWN_TYPE). Only known fields are copied out, so keys such as "__proto__" never reach anything.
 */
export function parseClientFrame(line: string): { frame: ClientFrame } | { error: ChatdError; id?: FrameId } {
  let obj: unknown;
  try {
    obj = JSON.parse(line);
  } catch {
    return { error: new ChatdError('BAD_FRAME', 'line is not valid JSON') };
  }
  const id = frameId(obj);
  try {
    if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw new ChatdError('BAD_FRAME', 'frame must be a JSON object');
    const o = obj as Record<string, unknown>;
    if ('id' in o && id === undefined) throw new ChatdError('BAD_FRAME', 'field "id" must be a string (≤128) or a number');
    const type = o.type;
    if (typeof type !== 'string') throw new ChatdError('BAD_FRAME', 'field "type" must be a string');
    if (!CLIENT_FRAME_TYPES.has(type)) throw new ChatdError('UNKNOWN_TYPE', `unknown frame type "${type.slice(0, 32)}"`);
    const withId = <T extends object>(f: T) => (id === undefined ? f : { ...f, id });
    switch (type) {
      case 'login': {
        const user = str(o, 'user', true)!;
        const resume = str(o, 'resume', false);
        if (resume === undefined) return { frame: withId({ type, user, password: str(o, 'password', true)! }) };
        // One credential per login: which one failed must never be a guess (each refusal counts).
        if ('password' in o) throw new ChatdError('BAD_FRAME', 'give "password" or "resume", not both');
        return { frame: withId({ type, user, resume }) };
      }
      case 'say': {
        const room = str(o, 'room', false);
        return { frame: withId({ type, text: str(o, 'text', true)!, ...(room !== undefined ? { room } : {}) }) };
      }
      case 'command':
        return { frame: withId({ type, line: str(o, 'line', true)! }) };
      case 'renew':
        return { frame: withId({ type, csr: str(o, 'csr', true)! }) };
      case 'join': {
        const since = str(o, 'since', false);
        if (since !== undefined && since.length > 40) throw new ChatdError('BAD_FRAME', 'field "since" must be a message id');
        return { frame: withId({ type, room: str(o, 'room', true)!, ...(since !== undefined ? { since } : {}) }) };
      }
      default:
        return { frame: withId({ type: type as 'ping' | 'pong' | 'quit' }) };
    }
  } catch (e) {
    return { error: e as ChatdError, id };
  }
}
