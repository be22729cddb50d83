// Default limits of DESIGN.md, in one place. Every one of them can be overridden through the
// config file (lib/config.ts); specs and benchmarks pass smaller or larger values.
export const MAX_LINE_BYTES = 16 * 1024; // one JSON line or text-mode line, bytes incl. no '\n'
export const MAX_TEXT = 2000; // code points of a message after sanitizing
export const SENDQ_BYTES = 1024 * 1024; // bytes queued in chatd per session before SENDQ_EXCEEDED
// Input lines read but not yet handled (queued behind a slow login or command) before chatd stops
// reading that connection until they are: four 16 KiB lines.
export const MAX_PENDING_INPUT_BYTES = 64 * 1024;
export const HANDSHAKE_TIMEOUT_MS = 10_000;
export const LOGIN_TIMEOUT_MS = 30_000;
export const PING_INTERVAL_MS = 30_000;
export const IDLE_TIMEOUT_MS = 90_000;
export const FLOOD_BURST = 20;
export const FLOOD_RATE = 5; // frames per second refilled
export const FLOOD_KICK_COUNT = 50; // RATE_LIMITED answers …
export const FLOOD_KICK_WINDOW_MS = 10_000; // … within this window → bye FLOOD
export const LOGIN_FAIL_LIMIT = 5; // failures per name …
export const LOGIN_FAIL_WINDOW_MS = 15 * 60_000; // … within this window
export const LOGIN_LOCK_MS = 15 * 60_000; // lock the name this long
export const LOGIN_IP_BURST = 10; // failed logins per IP before RATE_LIMITED
export const LOGIN_IP_RATE = 0.5; // failed-login tokens refilled per second per IP
export const MAX_CONN_PER_IP = 100;
// New connections per address (a token bucket, checked on the TCP socket before any TLS work): a
// burst as large as the per-IP cap, so a NAT full of users reconnecting after a restart gets in at
// once, then 10 a second. maxConnPerIp alone counts connections held at once, and a client that
// connects, handshakes and closes in a loop holds few: each costs chatd a full handshake on the event
// loop (~1-3 ms), so one address could take a whole core. At 10/s it takes a few percent.
export const CONN_IP_BURST = 100;
export const CONN_IP_RATE = 10;
// Per-address limits (connections, the failed-login throttle, enrollment attempts) count an IPv6
// client by this many leading bits of its address: a host holds a whole /64 (lib/address-key.ts).
export const IPV6_PREFIX_LENGTH = 64;
export const MAX_CONN_TOTAL = 20_000;
export const MAX_SESSIONS_PER_USER = 5;
export const TEXT_LOGIN_TRIES = 3;
export const HISTORY_ON_JOIN = 20;
export const HISTORY_MAX = 200;
export const WRITE_QUEUE_MAX = 10_000; // messages held while the database is down
export const DB_TIMEOUT_MS = 5_000; // a login answers SERVICE_UNAVAILABLE within this
export const PRESENCE_TTL_MS = 30_000;
// Rooms larger than this get no join/part/quit events: they are O(N²) when a big room fills or
// empties at once (a restart, a network blip), as large IRC channels know. BENCHMARKS.md finding 2.
export const PRESENCE_EVENTS_MAX_ROOM = 500;
// How often every node reads what chat-admin (or a node whose bus message was lost) wrote: revoked
// certificates, mutes, bans, role changes. How soon `chat-admin cert revoke` ends live sessions.
export const DATABASE_POLL_MS = 1_000;
export const SHUTDOWN_GRACE_MS = 5_000;
// Hashes waiting for a worker beyond those running; more are refused at once (SERVICE_UNAVAILABLE for a
// login, RATE_LIMITED for passwd). At ~50–90 ms a hash on 2 workers the last one waits ~3 s, well within
// LOGIN_TIMEOUT_MS, instead of latency growing without bound in a login storm.
export const PASSWORD_QUEUE_MAX = 64;
// Issue 20: answers a user can make large are capped and paged (users, rooms, history).
export const MAX_ROOMS_PER_USER = 100; // rooms one user's sessions on a node may be in at once
export const MAX_ROOMS = 10_000; // rooms in the database; joining a new one beyond is refused
// One command answer (result and its frames) is cut to fit this, and never more than a quarter of
// sendqBytes, so the server's own answer cannot trip the limit meant for slow readers.
export const ANSWER_BYTES = 256 * 1024;
// Issue 15: messages older than this many days are deleted (lib/retention.ts); 0 keeps them forever.
export const RETENTION_DAYS = 0;
// Conversations (DESIGN.md): DMs waiting for an offline user, messages replayed by a resuming join,
// and how long a frame id is remembered so that a resent frame runs once.
export const MAILBOX_MAX = 500;
export const RESUME_MAX = 1000;
// What a node keeps in memory of every room's last messages (lib/room-history.ts: the fallback while
// the database is down, the fast path of a resume, what other nodes said and have not written yet),
// all rooms together; the rooms spoken in least recently give theirs up first.
export const RECENT_HISTORY_BYTES = 64 * 1024 * 1024;
export const DEDUPE_WINDOW_MS = 10 * 60_000;
// Performance II: history rows are written in one transaction per this many ms (or per 500 rows),
// not one per message; a crash that skips the shutdown flush loses at most this window of history.
export const HISTORY_FLUSH_MS = 50;
// While the node writes more than WRITE_COALESCE_ABOVE frames/s to its sessions (and output comes
// often enough for a window to catch two event-loop turns of it), a session's frames are held up to
// WRITE_COALESCE_MS and written together (one TLS record, one syscall) instead of one write per
// frame; otherwise every turn's frames go out at once (lib/write-coalescer.ts). 0 ms turns it off.
// Not lower by default: at 200 msg/s, one every 5 ms, a window joins two messages only by holding
// the first ~5 ms, which costs the p99 (BENCHMARKS.md, finding 14).
export const WRITE_COALESCE_MS = 4;
export const WRITE_COALESCE_ABOVE = 100_000;
// Join, part and quit events are held up to this long and sent to each member together
// (lib/presence-batch.ts): a room filling at once costs a write per member per batch, not per login.
export const PRESENCE_BATCH_MS = 100;
// How long the resume token of a login_ok logs in again without a password (lib/auth/resume-token.ts):
// long enough for a restart or a network blip, short enough that a token copied off a machine soon
// means nothing. 0 issues none and refuses them all.
export const RESUME_TOKEN_TTL_MS = 15 * 60_000;
export const RESUME_TOKEN_TTL_MAX_MS = 7 * 24 * 3_600_000; // the most a config may set
