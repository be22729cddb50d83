// One connection on ALPN chatd-enroll/1: enroll_hello with the CA, one enroll frame, its answer
// (enrolled or error), close. The only thing a client without a certificate may say to chatd.
import type tls from 'node:tls';
import { ChatdError, ERROR_CODES } from '../errors.js';
import type { Logger } from '../log.js';
import type { Limits } from '../config.js';
import { frameId, LineDecoder } from '../protocol/jsonl.js';
import type { FrameId } from '../protocol/frames.js';
import type { EnrollService } from './service.js';


export function serveEnrollment(socket: tls.TLSSocket, service: EnrollService, limits: Limits, log: Logger, remote: string): void {
  let done = false;
  socket.setNoDelay(true);
  socket.on('error', () => {});
  const finish = (frame: object) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    socket.end(JSON.stringify(frame) + '\n');
    setTimeout(() => socket.destroy(), 2000).unref();
  };
  const fail = (e: ChatdError, id?: FrameId) => finish({ type: 'error', code: e.code, message: e.message, ...(id !== undefined ? { id } : {}) });
  // The same budget as a login: a client that says nothing is not kept.
  const timer = setTimeout(() => fail(new ChatdError('LOGIN_TIMEOUT', 'no enroll frame in time')), limits.loginTimeoutMs || 30_000);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  if (!service.enabled) return fail(new ChatdError('ENROLL_DISABLED'));

  let taken = false;
  const decoder = new LineDecoder(limits.maxLineBytes, (line) => {
    if (done || taken || !line.trim()) return;
    // One frame per connection: whatever follows is not read. pause() alone stops further reads, but
    // the decoder still hands over the lines already in this chunk, and `done` is set only once the
    // first frame is answered: a second enroll in the same write was served behind the first's answer.
    taken = true;
    socket.pause();
    let o: Record<string, unknown>;
    try { o = JSON.parse(line); } catch { return fail(new ChatdError('BAD_FRAME', 'line is not valid JSON')); }
    const id = frameId(o);
    if (!o || typeof o !== 'object' || Array.isArray(o) || o.type !== 'enroll') {
      return fail(new ChatdError('UNKNOWN_TYPE', 'this connection takes one enroll frame'), id);
    }
    service.enroll({ ip: remote, user: o.user, token: o.token, csr: o.csr, password: o.password }).then(
      (issued) => finish({ type: 'enrolled', ...(id !== undefined ? { id } : {}), ...issued }),
      (e) => {
        if (!(e instanceof ChatdError)) log.error('enrollment failed', { remote, err: String((e as Error)?.stack ?? e) });
        fail(e instanceof ChatdError ? e : new ChatdError('INTERNAL', ERROR_CODES.INTERNAL), id);
      },
    );
  }, () => fail(new ChatdError('FRAME_TOO_LARGE')));
  socket.on('data', (d: Buffer) => decoder.push(d));
  socket.write(JSON.stringify({ type: 'enroll_hello', ca: service.caPem }) + '\n');
}
