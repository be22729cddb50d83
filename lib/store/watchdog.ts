// MySQL/MariaDB: a statement that gets no answer within its bound drops its connection. A database
// path that goes silent (a host gone without a reset, a firewall dropping packets) gives no error,
// and TCP waits hours before it calls the peer dead: the caller's own timeout (guard.ts, the pollers)
// answers the user, but the connection stayed busy with the lost statement. The history writer's
// insert waited on it for good, holding every message said after it; logins that timed out each kept
// one, until the pool was spent and every login was SERVICE_UNAVAILABLE although MariaDB was fine.
// Destroying the socket fails the statement with an error (mysql2 tells the pending command), and
// knex drops a connection with a fatal error instead of handing it out again.

/** Arms a watchdog on every statement sent over `conn` (a mysql2 connection); `ms()` ≤ 0 disables it. */
export function watchStatements(conn: any, ms: () => number): void {
  const query = conn.query;
  conn.query = function (this: unknown, ...args: unknown[]) {
    const limit = ms();
    const at = args.findIndex((a) => typeof a === 'function');
    if (limit <= 0 || at < 0) return query.apply(this, args);
    const done = args[at] as (...r: unknown[]) => void;
    const timer = setTimeout(() => {
      conn.stream?.destroy(Object.assign(new Error(`the database did not answer within ${limit} ms; connection dropped`), { code: 'CHATD_DB_SILENT' }));
    }, limit);
    timer.unref();
    args[at] = (...r: unknown[]) => { clearTimeout(timer); done(...r); };
    return query.apply(this, args);
  };
}
