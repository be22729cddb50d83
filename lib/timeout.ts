// Bounding a wait in time. The work itself goes on (a database query cannot be taken back); the
// caller stops waiting for it and gets a TimeoutError, as AbortSignal.timeout would give. A plain
// timer rather than AbortSignal.timeout: every login waits on several of these, and a signal with
// its listener cost ~5x a timer (2 % of the main thread during a room fill).
export function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), ms);
    timer.unref(); // like AbortSignal.timeout's: a wait alone does not keep the process up
    work.then((v) => { clearTimeout(timer); resolve(v); }, (e) => { clearTimeout(timer); reject(e); });
  });
}
