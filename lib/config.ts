// One typed Config tree with its defaults. The config file (--config file.json) mirrors this shape;
// command-line flags override the file. chatd.example.json documents every key.
import fs from 'node:fs';
import * as L from './limits.js';
import { SetupError } from './errors.js';
import { DEFAULT_DB } from './store/url.js';
import { DEFAULT_PASSWORD_PARAMS, paramsProblem, type PasswordParams } from './auth/password.js';
import { ALL_COMMANDS } from './commands/index.js';
import { commandKey } from './commands/registry.js';

export type Limits = {
  maxLineBytes: number; maxText: number; sendqBytes: number;
  handshakeTimeoutMs: number; loginTimeoutMs: number; pingIntervalMs: number; idleTimeoutMs: number;
  floodBurst: number; floodRate: number; floodKickCount: number; floodKickWindowMs: number;
  loginFailLimit: number; loginFailWindowMs: number; loginLockMs: number; loginIpBurst: number; loginIpRate: number;
  maxConnPerIp: number; connIpBurst: number; connIpRate: number; ipv6PrefixLength: number; maxConnTotal: number; maxSessionsPerUser: number; textLoginTries: number;
  historyOnJoin: number; historyMax: number; writeQueueMax: number; dbTimeoutMs: number;
  presenceTtlMs: number; shutdownGraceMs: number; databasePollMs: number;
  presenceEventsMaxRoom: number;
  maxPendingInputBytes: number;
  passwordQueueMax: number;
  maxRoomsPerUser: number; maxRooms: number; answerBytes: number;
  retentionDays: number;
  mailboxMax: number; resumeMax: number; recentHistoryBytes: number; dedupeWindowMs: number;
  historyFlushMs: number; writeCoalesceMs: number; writeCoalesceAbove: number; presenceBatchMs: number;
  resumeTokenTtlMs: number;
};

export type PasswordConfig = PasswordParams;

/** Enrollment and renewal (DESIGN.md "Enrollment and certificate lifecycle"); on only with caKey. */
export type EnrollConfig = {
  /** Validity of the client certificates chatd signs, in days. */
  certDays: number;
  /** Enrollment attempts per IP address within attemptsWindowMs; more get RATE_LIMITED. */
  attemptsPerIp: number;
  attemptsWindowMs: number;
  /** Without a CA key, login_ok carries a notice when the certificate expires within this many days. */
  warnDays: number;
};

export type Config = {
  serverName: string;
  nodeName: string;
  motd: string;
  host: string;
  port: number;
  db: string;
  bus: string;
  prefix: string;
  clientCert: 'required' | 'optional';
  certBinding: 'cn' | 'none';
  tlsMinVersion: 'TLSv1.3' | 'TLSv1.2';
  cert?: string; key?: string; ca?: string;
  /** The CA's private key (PEM): chatd signs client certificates at enrollment and renewal. */
  caKey?: string;
  enroll: EnrollConfig;
  migrate: boolean;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /** host:port of the HTTP listener for /metrics, /healthz and /readyz; '' is off. */
  metrics: string;
  /** `auto`: human lines on a terminal, JSON otherwise. */
  logFormat: 'auto' | 'json' | 'text';
  /** Text mode (openssl s_client) in colour from the start; each session may switch with //textcolor. */
  textColor: boolean;
  /** The IRC listener's port (DESIGN "IRC front door"); -1 is off, 0 any free port. */
  ircPort: number;
  /** SASL EXTERNAL on the IRC port: the client certificate alone logs in (only with certBinding cn). */
  ircCertLogin: boolean;
  limits: Limits;
  password: PasswordConfig;
  /** Per-command level overrides: { "ban": 100 }. */
  commandLevels: Record<string, number>;
};

export const DEFAULT_LIMITS: Limits = {
  maxLineBytes: L.MAX_LINE_BYTES, maxText: L.MAX_TEXT, sendqBytes: L.SENDQ_BYTES,
  handshakeTimeoutMs: L.HANDSHAKE_TIMEOUT_MS, loginTimeoutMs: L.LOGIN_TIMEOUT_MS, pingIntervalMs: L.PING_INTERVAL_MS, idleTimeoutMs: L.IDLE_TIMEOUT_MS,
  floodBurst: L.FLOOD_BURST, floodRate: L.FLOOD_RATE, floodKickCount: L.FLOOD_KICK_COUNT, floodKickWindowMs: L.FLOOD_KICK_WINDOW_MS,
  loginFailLimit: L.LOGIN_FAIL_LIMIT, loginFailWindowMs: L.LOGIN_FAIL_WINDOW_MS, loginLockMs: L.LOGIN_LOCK_MS,
  loginIpBurst: L.LOGIN_IP_BURST, loginIpRate: L.LOGIN_IP_RATE,
  maxConnPerIp: L.MAX_CONN_PER_IP, connIpBurst: L.CONN_IP_BURST, connIpRate: L.CONN_IP_RATE, ipv6PrefixLength: L.IPV6_PREFIX_LENGTH, maxConnTotal: L.MAX_CONN_TOTAL, maxSessionsPerUser: L.MAX_SESSIONS_PER_USER,
  textLoginTries: L.TEXT_LOGIN_TRIES, historyOnJoin: L.HISTORY_ON_JOIN, historyMax: L.HISTORY_MAX,
  writeQueueMax: L.WRITE_QUEUE_MAX, dbTimeoutMs: L.DB_TIMEOUT_MS, presenceTtlMs: L.PRESENCE_TTL_MS, shutdownGraceMs: L.SHUTDOWN_GRACE_MS,
  databasePollMs: L.DATABASE_POLL_MS, presenceEventsMaxRoom: L.PRESENCE_EVENTS_MAX_ROOM,
  maxPendingInputBytes: L.MAX_PENDING_INPUT_BYTES,
  passwordQueueMax: L.PASSWORD_QUEUE_MAX,
  maxRoomsPerUser: L.MAX_ROOMS_PER_USER, maxRooms: L.MAX_ROOMS, answerBytes: L.ANSWER_BYTES,
  retentionDays: L.RETENTION_DAYS,
  mailboxMax: L.MAILBOX_MAX, resumeMax: L.RESUME_MAX, recentHistoryBytes: L.RECENT_HISTORY_BYTES, dedupeWindowMs: L.DEDUPE_WINDOW_MS,
  historyFlushMs: L.HISTORY_FLUSH_MS, writeCoalesceMs: L.WRITE_COALESCE_MS, writeCoalesceAbove: L.WRITE_COALESCE_ABOVE, presenceBatchMs: L.PRESENCE_BATCH_MS,
  resumeTokenTtlMs: L.RESUME_TOKEN_TTL_MS,
};

export const DEFAULT_ENROLL: EnrollConfig = { certDays: 90, attemptsPerIp: 10, attemptsWindowMs: 600_000, warnDays: 14 };

// See SECURITY.md for the measurements behind the algorithm and its parameters.
export const DEFAULT_PASSWORD: PasswordConfig = { ...DEFAULT_PASSWORD_PARAMS };

// Earlier names of limits, still accepted in config files: old name → current name.
const LIMIT_ALIASES: Record<string, keyof Limits> = { revocationPollMs: 'databasePollMs' };

function unaliasLimits(limits: object): object {
  const out: Record<string, unknown> = { ...limits };
  for (const [old, now] of Object.entries(LIMIT_ALIASES)) {
    if (!(old in out)) continue;
    if (!(now in out)) out[now] = out[old]; // the current name wins when both are given
    delete out[old];
  }
  return out;
}

export function defaultConfig(): Config {
  return {
    serverName: 'chatd', nodeName: '', motd: 'Welcome to chatd. Type {prefix}help for commands.',
    host: '127.0.0.1', port: 7443, db: DEFAULT_DB, bus: 'memory', prefix: '//',
    clientCert: 'required', certBinding: 'cn', tlsMinVersion: 'TLSv1.3', migrate: true, logLevel: 'info', logFormat: 'auto', metrics: '', textColor: false, ircPort: -1, ircCertLogin: false,
    limits: { ...DEFAULT_LIMITS }, password: { ...DEFAULT_PASSWORD }, commandLevels: {},
    enroll: { ...DEFAULT_ENROLL },
  };
}

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };
export type ConfigInput = DeepPartial<Config>;

/** The settings that hold a group of settings, merged key by key. */
const SECTIONS = new Set(['limits', 'password', 'commandLevels', 'enroll']);

/**
 * A key JSON.parse makes an own property but an assignment takes as the prototype: merged, it
 * would change the config's prototype and pass the unknown-key check unseen.
 */
const PROTO = '__proto__';

/** Defaults, then the file, then flags; validated. Throws SetupError naming every bad setting. */
export function buildConfig(...layers: Array<ConfigInput | undefined>): Config {
  const cfg = defaultConfig();
  // Problems a merge would hide (a section that is no object, a __proto__ key), named with the rest.
  const problems: string[] = [];
  for (const layer of layers) {
    if (!layer) continue;
    for (const [k, v] of Object.entries(layer)) {
      if (v === undefined) continue;
      if (k === PROTO) { problems.push(`${PROTO} is not a known setting`); continue; }
      if (!SECTIONS.has(k)) { (cfg as any)[k] = v; continue; }
      if (v === null || typeof v !== 'object' || Array.isArray(v)) { problems.push(`${k} must be an object`); continue; }
      const section: Record<string, unknown> = k === 'limits' ? unaliasLimits(v) as Record<string, unknown> : { ...v };
      if (Object.hasOwn(section, PROTO)) { problems.push(`${k}.${PROTO} is not a known setting`); delete section[PROTO]; }
      Object.assign((cfg as any)[k], section);
    }
  }
  problems.push(...validateConfig(cfg));
  if (problems.length) throw new SetupError(`invalid configuration: ${problems.join('; ')}`, 2);
  return cfg;
}

export function loadConfigFile(file: string): ConfigInput {
  let text: string;
  try { text = fs.readFileSync(file, 'utf8'); } catch (e) { throw new SetupError(`cannot read config file ${file}: ${(e as Error).message}`); }
  try {
    const parsed = JSON.parse(text);
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('expected a JSON object');
    return parsed as ConfigInput;
  } catch (e) { throw new SetupError(`config file ${file} is not valid JSON: ${withoutSnippet((e as Error).message)}`, 2); }
}

/**
 * V8 quotes a piece of the text around a syntax error ("Unexpected token 'm', "{"db": mysql://u:"...
 * is not valid JSON"); in a config file that piece can be a password in a URL, and the message goes
 * to the log on SIGHUP. The kind of error is kept, the quoted text dropped.
 */
function withoutSnippet(message: string): string {
  return message.replace(/, (?:\.\.\.)?"[\s\S]*"(?:\.\.\.)? is not valid JSON$/, '');
}

/** Top-level keys without a default (Config's optional ones). */
const OPTIONAL_KEYS = ['cert', 'key', 'ca', 'caKey'] as const;

/** Top-level settings that are text (the optional ones only when given). */
const STRINGS = ['serverName', 'nodeName', 'motd', 'host', 'db', 'bus', 'metrics', ...OPTIONAL_KEYS] as const;

/**
 * Limits where 0 or a fraction means nothing and breaks every session: a 0 line or send-queue limit
 * cuts each live session at its next line or frame, a burst of 0.5 never holds a whole token.
 */
const WHOLE_AT_LEAST_1: ReadonlyArray<keyof Limits> = [
  'maxLineBytes', 'maxText', 'sendqBytes', 'floodBurst', 'floodKickCount', 'loginFailLimit', 'loginIpBurst',
  'maxConnPerIp', 'maxConnTotal', 'maxSessionsPerUser', 'textLoginTries', 'historyMax', 'maxPendingInputBytes',
  'maxRoomsPerUser', 'maxRooms', 'answerBytes',
];
/** Rates and windows where 0 would stop everything (a flood bucket never refilled, every database call timed out). */
const POSITIVE: ReadonlyArray<keyof Limits> = ['floodRate', 'loginIpRate', 'floodKickWindowMs', 'dbTimeoutMs', 'presenceTtlMs'];
/**
 * Limits that become Node timers. Node runs a timer set beyond 2^31-1 ms after 1 ms instead (with a
 * warning): a loginTimeoutMs of 3e9 meant "practically never" and logged every session out at once.
 */
const TIMERS: ReadonlyArray<keyof Limits> = [
  'handshakeTimeoutMs', 'loginTimeoutMs', 'pingIntervalMs', 'dbTimeoutMs', 'presenceTtlMs', 'shutdownGraceMs',
  'databasePollMs', 'historyFlushMs', 'writeCoalesceMs', 'presenceBatchMs',
];
const TIMER_MAX_MS = 2 ** 31 - 1;

/** One plain sentence per bad setting (ergo's LoadConfig habit). Values are not quoted: a file can hold secrets. */
export function validateConfig(c: Config): string[] {
  const out: string[] = [];
  for (const k of STRINGS) {
    if (c[k] !== undefined && typeof c[k] !== 'string') out.push(`${k} must be a string`);
  }
  if (!['debug', 'info', 'warn', 'error', 'silent'].includes(c.logLevel)) out.push('logLevel must be "debug", "info", "warn", "error" or "silent"');
  if (typeof c.migrate !== 'boolean') out.push('migrate must be true or false');
  const known = new Set(Object.keys(DEFAULT_LIMITS));
  for (const [k, v] of Object.entries(c.limits)) {
    if (!known.has(k)) out.push(`limits.${k} is not a known limit`);
    else if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) out.push(`limits.${k} must be a non-negative number`);
  }
  const lim = c.limits;
  const numeric = (k: keyof Limits) => typeof lim[k] === 'number' && Number.isFinite(lim[k]) && lim[k] >= 0;
  for (const k of WHOLE_AT_LEAST_1) if (numeric(k) && (!Number.isInteger(lim[k]) || lim[k] < 1)) out.push(`limits.${k} must be a whole number >= 1`);
  for (const k of POSITIVE) if (numeric(k) && lim[k] === 0) out.push(`limits.${k} must be more than 0`);
  for (const k of TIMERS) if (numeric(k) && lim[k] > TIMER_MAX_MS) out.push(`limits.${k} must be at most ${TIMER_MAX_MS} ms (about 24.8 days; 0 turns it off where it can be off)`);
  if (!Number.isInteger(c.port) || c.port < 0 || c.port > 65535) out.push(`port must be 0-65535 (got ${c.port})`);
  // Both are sent to every client: in the welcome, in help, as IRC's message source, where a line
  // break would end the line and begin another.
  if (typeof c.prefix !== 'string' || !c.prefix || c.prefix.length > 4 || /[\s\p{Cc}\p{Cf}]/u.test(c.prefix)) out.push('prefix must be 1-4 printable non-space characters');
  if (typeof c.serverName === 'string' && (!c.serverName || c.serverName.length > 64 || /[\s\p{Cc}\p{Cf}]/u.test(c.serverName))) out.push('serverName must be 1-64 printable non-space characters');
  if (!['required', 'optional'].includes(c.clientCert)) out.push('clientCert must be "required" or "optional"');
  if (!['cn', 'none'].includes(c.certBinding)) out.push('certBinding must be "cn" or "none"');
  if (!['auto', 'json', 'text'].includes(c.logFormat)) out.push('logFormat must be "auto", "json" or "text"');
  if (typeof c.textColor !== 'boolean') out.push('textColor must be true or false');
  if (typeof c.ircCertLogin !== 'boolean') out.push('ircCertLogin must be true or false');
  if (!Number.isInteger(c.ircPort) || c.ircPort < -1 || c.ircPort > 65535) out.push(`ircPort must be 0-65535, or -1 for off (got ${c.ircPort})`);
  if (!['TLSv1.3', 'TLSv1.2'].includes(c.tlsMinVersion)) out.push('tlsMinVersion must be "TLSv1.3" or "TLSv1.2"');
  for (const k of Object.keys(c.password)) if (!(k in DEFAULT_PASSWORD)) out.push(`password.${k} is not a known setting`);
  const hashing = paramsProblem(c.password);
  if (hashing) out.push(`password: ${hashing}`);
  for (const [k, v] of Object.entries(c.enroll)) {
    if (!(k in DEFAULT_ENROLL)) out.push(`enroll.${k} is not a known setting`);
    else if (!Number.isInteger(v) || (v as number) < 1) out.push(`enroll.${k} must be a whole number >= 1`);
  }
  // A typo must not pass silently (issue 12): every top-level key and command name is checked.
  const settings = new Set([...Object.keys(defaultConfig()), ...OPTIONAL_KEYS]);
  for (const k of Object.keys(c)) if (!settings.has(k)) out.push(`${k} is not a known setting`);
  const commands = new Set(ALL_COMMANDS.map((x) => commandKey(x.name)));
  const levelKeys = new Map<string, string>();
  for (const [name, level] of Object.entries(c.commandLevels)) {
    const key = commandKey(name);
    const twin = levelKeys.get(key);
    if (twin !== undefined) out.push(`commandLevels.${twin} and commandLevels.${name} name the same command; keep one`);
    levelKeys.set(key, name);
    if (!commands.has(key)) out.push(`commandLevels.${name} names no command`);
    else if (!Number.isInteger(level) || level < 0) out.push(`commandLevels.${name} must be a whole number`);
  }
  // A bucket that never refills: each address (a NAT's users together) would get its first burst of
  // connections and be refused for good. The limit is turned off by a burst of 0, not a rate of 0.
  if (c.limits.connIpRate === 0 && c.limits.connIpBurst !== 0) out.push('limits.connIpRate must be more than 0 (connIpBurst 0 turns the new-connection limit off)');
  const v6 = c.limits.ipv6PrefixLength;
  if (typeof v6 === 'number' && (!Number.isInteger(v6) || v6 > 128)) out.push('limits.ipv6PrefixLength must be a whole number 0-128');
  if (c.limits.idleTimeoutMs && c.limits.pingIntervalMs && c.limits.idleTimeoutMs < c.limits.pingIntervalMs) {
    out.push('limits.idleTimeoutMs must be at least limits.pingIntervalMs');
  }
  // A resume token stands in for the password until it expires: a short-lived credential, not a second password.
  if (c.limits.resumeTokenTtlMs > L.RESUME_TOKEN_TTL_MAX_MS) out.push(`limits.resumeTokenTtlMs must be at most ${L.RESUME_TOKEN_TTL_MAX_MS} (7 days)`);
  return out;
}
