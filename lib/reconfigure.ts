// SIGHUP re-reads the config file: what a running chatd can take without a restart is applied to
// the live node and its sessions; what it cannot (addresses, database, bus, TLS policy) is named in
// the log so the operator knows a restart is due. The caller has validated the new config already:
// an invalid file never gets here and changes nothing.
import type { Config } from './config.js';
import type { Logger } from './log.js';
import type { ChatNode } from './node.js';
import { passwordPool } from './auth/password.js';

/** Applied to live sessions at once. */
const LIVE = ['serverName', 'motd', 'prefix', 'logLevel', 'limits', 'commandLevels', 'password', 'textColor'] as const;
/** Read once at start. */
const AT_START = ['host', 'port', 'db', 'bus', 'nodeName', 'clientCert', 'certBinding', 'tlsMinVersion', 'cert', 'key', 'ca', 'migrate', 'metrics', 'logFormat', 'caKey', 'enroll', 'ircPort', 'ircCertLogin'] as const;

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export type Reconfigured = { applied: string[]; needsRestart: string[] };

/**
 * `configs` are every Config object the running parts hold (the node has its own copy with its
 * name; they share the limits object), updated in place so every reader sees the new values.
 */
export function reconfigure(node: ChatNode, configs: Config[], next: Config, log: Logger): Reconfigured {
  const current = node.config;
  const applied = LIVE.filter((k) => !same(current[k], next[k]));
  const needsRestart: string[] = AT_START.filter((k) => k !== 'nodeName' && !same(current[k], next[k]));
  // The one limit a listener takes at its creation (tls.createServer's handshakeTimeout, kept where
  // nothing can change it): it stays as it is, and is named among the settings for the next restart.
  const handshakeTimeoutMs = current.limits.handshakeTimeoutMs;
  if (next.limits.handshakeTimeoutMs !== handshakeTimeoutMs) needsRestart.push('limits.handshakeTimeoutMs');
  // Checked before anything changes, so a failure leaves the running config whole.
  node.registry.setLevels(next.commandLevels);
  if (next.prefix !== current.prefix) {
    // Live clients still type the prefix their welcome named: such lines are refused, never said.
    node.formerPrefixes.add(current.prefix);
    node.formerPrefixes.delete(next.prefix);
  }
  for (const c of new Set(configs)) {
    c.serverName = next.serverName;
    c.motd = next.motd;
    c.prefix = next.prefix;
    c.logLevel = next.logLevel;
    c.textColor = next.textColor; // sessions that start from now on; a live one keeps its //textcolor
    // Shared objects are replaced key by key, never swapped: every part holds a reference to them.
    Object.assign(c.limits, next.limits, { handshakeTimeoutMs });
    Object.assign(c.password, next.password);
    for (const k of Object.keys(c.commandLevels)) delete c.commandLevels[k];
    Object.assign(c.commandLevels, next.commandLevels);
  }
  log.setLevel(next.logLevel);
  passwordPool.maxQueue = next.limits.passwordQueueMax;
  node.history.max = next.limits.writeQueueMax;
  node.history.flushMs = next.limits.historyFlushMs;
  node.logins.counters.reconfigure?.();
  node.pollers.reconfigure();
  for (const s of node.sessions) s.reconfigure();
  log.info('config reloaded', { applied: applied.length ? applied : 'nothing changed', ...(needsRestart.length ? { needsRestart } : {}) });
  if (needsRestart.length) log.warn('config reload: these settings take effect at the next restart', { settings: needsRestart });
  return { applied, needsRestart };
}
