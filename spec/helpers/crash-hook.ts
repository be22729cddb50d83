// Preloaded into a spec's chatd with NODE_OPTIONS=--import=<this file>: SIGUSR2 then throws from an
// event callback, the way a bug in a handler would, so the spec can watch chatd meet an uncaught
// exception. It lives only in the specs; the chatd binary has no hook of its own.
process.on('SIGUSR2', () => {
  throw new Error('spec-induced crash (spec/helpers/crash-hook)');
});
