// Bounding a wait in time. The work itself goes on (a database query cannot be taken back); the
// caller stops waiting for it and gets a TimeoutError, as AbortSignal.timeout would give. A plain
// timer rather than AbortSignal.timeout: every login waits on several of these, and a signal with
// its listener cost ~5x a timer (2 % of the main thread during a room fill).
export function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = expireAfter(ms, () => reject(new DOMException('The operation was aborted due to timeout', 'TimeoutError')));
    timer.unref(); // like AbortSignal.timeout's: a wait alone does not keep the process up
    work.then((v) => { clearTimeout(timer); resolve(v); }, (e) => { clearTimeout(timer); reject(e); });
  });
}

/**
 * A timer for giving up on an answer: `expired` runs `ms` from now, once the event loop has also read
 * what I/O arrived by then. After a stall longer than `ms` (a loaded machine, a long GC) the loop runs
 * due timers before it reads its sockets, so a plain timer gave up on answers already there: a
 * Redis session-limit check fell back to the node's own count and let a session past the limit.
 * setImmediate runs after that read, and the answer, settled first, wins.
 */
export function expireAfter(ms: number, expired: () => void): NodeJS.Timeout {
  return setTimeout(() => setImmediate(expired), ms);
}
