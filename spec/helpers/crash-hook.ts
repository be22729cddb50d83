// Preloaded into a spec's chatd with NODE_OPTIONS=--import=<this file>: SIGUSR2 then throws from an
// event callback, the way a bug in a handler would, so the spec can watch chatd meet an uncaught
// exception; with SPEC_CRASH=rejection it leaves a promise rejected with nobody awaiting it instead.
// It lives only in the specs; the chatd binary has no hook of its own.
process.on('SIGUSR2', () => {
  const e = new Error('spec-induced crash (spec/helpers/crash-hook)');
  if (process.env.SPEC_CRASH === 'rejection') void Promise.reject(e);
  else throw e;
});
