// `npx chatd …` and `npm start` run chatd under npm, which does not pass SIGTERM on: `kill $!` ends
// npm and its shell, and chatd, reparented, would keep serving with the port taken. Under npm
// (npm_command set), chatd therefore watches its parent and stops gracefully when it is gone.
// Started directly (`node dist/cli/chatd.js`, systemd, `exec`), nothing changes: a daemon left
// behind by a closing shell on purpose (nohup) keeps running.

const POLL_MS = 500;

export function stopWhenNpmWrapperExits(stop: (why: string) => void, env: NodeJS.ProcessEnv = process.env): NodeJS.Timeout | null {
  if (!env.npm_command) return null;
  const parent = process.ppid;
  const t = setInterval(() => {
    // process.ppid is read afresh each time (uv_os_getppid); it changes when the parent dies.
    if (process.ppid !== parent) { clearInterval(t); stop('the npm process that started chatd exited'); }
  }, POLL_MS);
  t.unref();
  return t;
}
