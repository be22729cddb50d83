// Bounding a wait in time. The work itself goes on (a database query cannot be taken back); the
// caller stops waiting for it and gets the signal's TimeoutError.
export function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  const signal = AbortSignal.timeout(ms);
  return new Promise<T>((resolve, reject) => {
    const onTimeout = () => reject(signal.reason);
    signal.addEventListener('abort', onTimeout, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onTimeout));
  });
}
