// The chat node: who is connected, which rooms they are in, and how frames reach them. Sessions
// hand it what they read; commands act through it; the bus carries what must reach other nodes.
// It owns that state; the work on it is in bus-delivery.ts, room-history.ts, conversations.ts and
// frame-input.ts, which it delegates to.
import crypto from 'node:crypto';
import type { Config } from './config.js';
import { ChatdError } from './errors.js';
import type { Logger } from './log.js';
import { Metrics } from './metrics.js';
import type { Bus, BusMessage, BusNode, PresenceEntry } from './bus/types.js';
import { LoginService, type LoginProof } from './auth/login.js';
import { ResumeIssuer } from './auth/resume-issuer.js';
import { loginCounters } from './auth/counters.js';
import { HistoryWriter } from './history.js';
import type { DmFrame, EventFrame, EventName, FrameId, MessageFrame, ServerFrame, UserRef } from './protocol/frames.js';
import { checkText, normalizeRoom, sanitizeText } from './sanitize.js';
import type { Session, SessionHost, SessionUser } from './session.js';
import type { AuditEntry, MuteRecord, Store, UserRecord } from './store/index.js';
import type { MuteGuard } from './store/moderation.js';
import { Registry, type Command } from './commands/registry.js';
import { ALL_COMMANDS } from './commands/index.js';
import { DatabasePollers, type PolledNode } from './pollers.js';
import { nameColor } from './name-color.js';
import type { CommandHost } from './commands/host.js';
import { guardStore } from './store/guard.js';
import { MuteList } from './mutes.js';
import { SessionSlots } from './session-slots.js';
import type { EnrollService } from './enroll/service.js';
import { Retention } from './retention.js';
import { Dedupe } from './dedupe.js';
import { AwayList } from './away.js';
import { Mailboxes } from './dms.js';
import { RoomHistory } from './room-history.js';
import { BusDelivery } from './bus-delivery.js';
import { Conversations } from './conversations.js';
import { FrameInput } from './frame-input.js';
import { AccountChanges } from './account-changes.js';
import { WriteCoalescer } from './write-coalescer.js';

export const VERSION = '0.1.0';

function eventFrame(event: EventName, fields: Omit<EventFrame, 'type' | 'event' | 'ts'>): EventFrame {
  return { type: 'event', event, ...fields, ts: new Date().toISOString() };
}
export const DEFAULT_ROOM = 'lobby';
/** The server_secrets row that keys the exactly-once digests (lib/dedupe.ts): the same on every node. */
const DEDUPE_SECRET = 'dedupe';

/** The session's client certificate's notBefore (ms), read at login (the node drops `peer` after it). */
function certNotBefore(s: Session): number | null {
  const t = s.peer ? Date.parse(s.peer.validFrom) : NaN;
  return Number.isFinite(t) ? t : null;
}

export class ChatNode implements SessionHost, BusNode, PolledNode, CommandHost {
  readonly nodeName: string;
  /** The store as commands use it: bounded by limits.dbTimeoutMs, failures SERVICE_UNAVAILABLE. */
  readonly db: Store;
  readonly registry: Registry;
  readonly logins: LoginService;
  readonly history: HistoryWriter;
  /** Every open session, logged in or not. */
  readonly sessions = new Set<Session>();
  private readonly byUser = new Map<string, Set<Session>>();
  private readonly slots = new SessionSlots(this.byUser, () => this.config.limits.maxSessionsPerUser, () => this.logins.counters);
  private readonly rooms = new Map<string, Set<Session>>();
  private readonly topics = new Map<string, string>();
  private readonly mutes = new MuteList();
  private readonly roomHistory: RoomHistory;
  private readonly idBase = crypto.randomBytes(4).toString('hex');
  private seq = 0;
  readonly pollers: DatabasePollers;
  /** Renewal and certificate bookkeeping at login (lib/enroll); set by startChatd. */
  enroll: EnrollService | null = null;
  /** limits.retentionDays: old messages deleted at start and hourly. */
  readonly retention: Retention;
  /** Conversations (DESIGN.md): frame ids already answered, who is away, DMs waiting for offline users. */
  readonly dedupe: Dedupe;
  readonly away = new AwayList();
  readonly mailboxes: Mailboxes;
  private readonly delivery: BusDelivery;
  private readonly conversations = new Conversations(this);
  private readonly frameInput = new FrameInput(this);
  readonly output = new WriteCoalescer(() => this.config.limits);
  /** Resume tokens for login_ok and for bye SHUTDOWN. */
  private readonly tokens: ResumeIssuer;
  /** Role and state changes heard of, for logins that read the account before them (lib/account-changes.ts). */
  private readonly accounts = new AccountChanges();

  constructor(readonly config: Config, readonly store: Store, readonly bus: Bus, readonly log: Logger, readonly metrics = new Metrics()) {
    this.nodeName = config.nodeName || 'node1';
    this.db = guardStore(store, () => this.config.limits.dbTimeoutMs);
    this.registry = new Registry(ALL_COMMANDS, config.commandLevels);
    this.logins = new LoginService(store, config, log, loginCounters(config, bus, () => this.slots.byUser()));
    this.tokens = new ResumeIssuer(this.logins, store, () => this.config.limits, log);
    this.history = new HistoryWriter(store, config.limits.writeQueueMax, log, config.limits.historyFlushMs);
    this.pollers = new DatabasePollers(this, store, config.limits, log);
    this.retention = new Retention(store, config.limits, log, { forget: (before) => this.roomHistory.forgetBefore(before) });
    this.dedupe = new Dedupe(() => this.config.limits.dedupeWindowMs, () => this.bus.sharedRedis?.() ?? null, log);
    this.mailboxes = new Mailboxes(this.db, () => this.config.limits.mailboxMax, log);
    this.roomHistory = new RoomHistory(config, store, this.history, log);
    this.delivery = new BusDelivery({
      nodeName: this.nodeName, metrics: this.metrics, rooms: this.rooms, byUser: this.byUser, roomHistory: this.roomHistory,
      mailboxes: this.mailboxes, mutes: this.mutes, topics: this.topics, away: this.away, restyle: (ss, r) => this.restyle(ss, r),
      sessionsOf: (user) => this.sessionsOf(user),
      accountChanged: (user) => this.accountChanged(user),
      awayChanged: (user, message) => this.awayChanged(user, message),
      presenceBatchMs: () => this.config.limits.presenceBatchMs,
    });
  }

  async start(): Promise<void> {
    await this.logins.start();
    const secret = await this.store.serverSecret(DEDUPE_SECRET);
    this.dedupe.useKey(secret);
    // The same on every node of one database, different for another: tells two clusters apart that
    // were given one Redis and one key prefix (lib/bus/redis.ts). Says nothing of the secret.
    this.clusterTag = crypto.createHmac('sha256', secret).update('chatd bus cluster').digest('hex').slice(0, 16);
    await this.bus.start(this); // topics are loaded by the pollers' first round, with the audit cursor
    await this.pollers.start();
    this.retention.start();
  }

  /**
   * A user's sessions here, those logged in but not attached yet included (an IRC client between SASL
   * and registration): kills, role changes and chat-admin's disable must reach them too.
   */
  sessionsOf(user: string): ReadonlySet<Session> | undefined {
    const waiting = this.slots.reservedFor(user);
    return waiting.length ? new Set([...(this.byUser.get(user) ?? []), ...waiting]) : this.byUser.get(user);
  }

  beginMuteLoad(): (list: MuteRecord[]) => void { return this.mutes.beginLoad(); }

  /** `user`'s role, level or state changed (a //role, chat-admin): logins in flight read the account again. */
  accountChanged(user: string): void { this.accounts.changed(user); }

  /**
   * The account as it is now, for a login that read it at `began` and holds a session slot since:
   * from here on role changes and kills reach the session, and one heard of in between is read again
   * (a disabled account is refused). The slot is given back when the login is refused.
   */
  private async settled(s: Session, u: UserRecord, began: number): Promise<UserRecord> {
    if (!this.accounts.since(u.username, began)) return u;
    try {
      const now = await this.db.getUser(u.username);
      if (!now || now.disabled) throw new ChatdError('FORBIDDEN', 'this account is disabled');
      return now;
    } catch (e) {
      this.slots.release(s);
      throw e;
    }
  }

  /** New role, level or color for live sessions (a role change, a role's new level or color). */
  restyle(sessions: Iterable<Session>, r: { role?: string; level: number; color: string }): void {
    for (const s of sessions) if (s.user) s.user = { ...s.user, ...(r.role ? { role: r.role } : {}), level: r.level, color: r.color };
  }

  get prefix(): string { return this.config.prefix; }

  /** The prefixes a reload replaced since start (lib/reconfigure.ts); never the current one. */
  readonly formerPrefixes = new Set<string>();

  /**
   * A live client learnt the prefix from its welcome and is not told of a new one: after a reload
   * from // to !, its `//passwd <old> <new>` would be an ordinary message, said to a room (or a user)
   * and stored, password and all. A line that starts with a former prefix and a command name is
   * refused instead, naming the command as it is now and never the arguments. Judged on the sanitized,
   * trimmed text as commands are; a leading blank in the raw text sends it as text on purpose.
   */
  refuseFormerPrefix(raw: string): void {
    if (!this.formerPrefixes.size) return;
    const c = this.commandBehind(raw, this.formerPrefixes);
    if (c) throw new ChatdError('UNKNOWN_COMMAND', `the command prefix is now "${this.prefix}": ${this.prefix}${c.name}; not sent (begin the line with a space to send it as text)`);
  }

  /**
   * The command a text means when it starts with one of `prefixes` (not the current one: a former
   * prefix, text mode's single slash) and a command name, or undefined. Judged on the sanitized text,
   * as commands are, so nothing invisible in front lets it through; a leading blank in the raw text
   * is how a user sends such a line as text on purpose.
   */
  commandBehind(raw: string, prefixes: Iterable<string>): Command | undefined {
    if (/^\s/.test(raw)) return undefined;
    const clean = sanitizeText(raw);
    for (const p of prefixes) {
      if (!clean.startsWith(p)) continue;
      const name = clean.slice(p.length).split(/\s/)[0]!;
      const c = name ? this.registry.get(name) : undefined;
      if (c) return c;
    }
    return undefined;
  }

  /** The message of the day, `{prefix}` in it replaced by the command prefix (with `--prefix !`, `!help`). */
  get motd(): string { return this.config.motd.replaceAll('{prefix}', this.prefix); }

  newId(): string { return `${this.idBase}${(++this.seq).toString(36)}`; }

  // ---- SessionHost --------------------------------------------------------------------------
  welcomeFor(s: Session): ServerFrame {
    return { type: 'welcome', server: this.config.serverName, version: VERSION, protocol: 1, prefix: this.prefix, cert_user: s.certUser };
  }

  add(s: Session): void { this.sessions.add(s); }

  async login(s: Session, user: string, proof: LoginProof): Promise<SessionUser> {
    const began = this.accounts.now();
    const checked = await this.logins.check({
      user, proof, ip: s.remote, certUser: s.certUser, fingerprint: s.fingerprint, hasCert: s.fingerprint !== null, certNotBefore: certNotBefore(s),
    });
    await this.slots.reserve(s, checked.username);
    const u = await this.settled(s, checked, began);
    this.tokens.loggedIn(s, u, 'resume' in proof ? 'resume' : 'password');
    return { id: u.id, name: u.username, role: u.role, level: u.level, color: await nameColor(this.store, this.config.limits.dbTimeoutMs, u) };
  }

  /** SASL EXTERNAL (IRC): the session's verified client certificate instead of a password. */
  async loginByCertificate(s: Session): Promise<SessionUser> {
    if (!s.certUser || !s.fingerprint || !s.socket.authorized) throw new ChatdError('AUTH_FAILED', 'no verified client certificate');
    const began = this.accounts.now();
    const checked = await this.logins.checkCertificate({ certUser: s.certUser, ip: s.remote, fingerprint: s.fingerprint, certNotBefore: certNotBefore(s) });
    await this.slots.reserve(s, checked.username);
    const u = await this.settled(s, checked, began);
    this.tokens.loggedIn(s, u, 'certificate');
    return { id: u.id, name: u.username, role: u.role, level: u.level, color: u.color };
  }

  async attach(s: Session, id?: FrameId): Promise<void> {
    const u = s.user!;
    this.slots.attach(s);
    let set = this.byUser.get(u.name);
    if (!set) this.byUser.set(u.name, (set = new Set()));
    set.add(s);
    const how = this.tokens.take(s);
    this.log.info('login', { session: s.id, user: u.name, remote: s.remote, mode: s.mode, method: how?.method });
    const notice = s.fingerprint ? this.enroll?.afterLogin(u.name, s.peer) : undefined;
    s.peer = null; // certUser and fingerprint stay; the rest is not kept per session
    s.send({
      type: 'login_ok', user: { name: u.name, role: u.role, level: u.level, color: u.color }, room: DEFAULT_ROOM,
      motd: this.motd, ...(notice ? { notice } : {}), ...(how?.resume ? { resume: how.resume } : {}), ...(id !== undefined ? { id } : {}),
    });
    await this.join(s, DEFAULT_ROOM);
    await this.conversations.deliverMailbox(s);
  }

  async renew(s: Session, csr: string, id?: FrameId): Promise<void> {
    if (!this.enroll) throw new ChatdError('ENROLL_DISABLED');
    // The certificate being renewed, read again here (renewals are rare; it is not kept per session).
    const c = s.fingerprint ? s.socket.getPeerCertificate() : null;
    const current = c?.raw ? { validTo: Date.parse(c.valid_to), modulus: c.modulus ?? null } : null;
    const issued = await this.enroll.renew(s.user!.name, csr, s.remote, s.fingerprint, current);
    s.send({ type: 'renewed', ...issued, ...(id !== undefined ? { id } : {}) });
  }

  detach(s: Session): void {
    this.sessions.delete(s);
    const u = s.user;
    this.slots.release(s);
    if (!u) return;
    const set = this.byUser.get(u.name);
    set?.delete(s);
    if (set && !set.size) this.byUser.delete(u.name);
    for (const room of s.rooms) {
      const announce = this.presenceEvents(room);
      this.leaveLocal(s, room);
      if (announce) this.publishEvent('quit', { room, user: u.name });
    }
    this.log.info('logout', { session: s.id, user: u.name });
  }

  /** A say or command frame, deduplicated by id (lib/frame-input.ts). */
  input(s: Session, f: { kind: 'say'; text: string; room?: string; id?: FrameId } | { kind: 'command'; line: string; id?: FrameId }): Promise<void> {
    return this.frameInput.input(s, f);
  }

  /** The `join` frame: like //join, and with `since` the messages after that one instead of the last few. */
  async joinFrame(s: Session, raw: string, since: string | undefined, id?: FrameId): Promise<void> {
    // The frame is //join by another way in: the level the operator set for //join holds for it too.
    this.registry.assertLevel('join', s.user!.level, this.prefix, true);
    const room = normalizeRoom(raw);
    if (!room) throw new ChatdError('BAD_ARGS', `"${raw.slice(0, 40)}" is not a valid room name (a-z 0-9 _ -, up to 32)`);
    await this.admitRoom(s, room);
    await this.join(s, room, since);
    const topic = this.topicOf(room);
    s.send({ type: 'result', command: 'join', text: `now in #${room}${topic ? ` - topic: ${topic}` : ''}`, data: { room, topic }, ...(id !== undefined ? { id } : {}) });
  }

  busStatus(): string { return this.bus.status(); }

  /** Rooms per user and rooms in total are capped (issue 20): a new room must fit both. */
  async admitRoom(s: Session, room: string): Promise<void> {
    if (s.rooms.has(room)) return;
    const lim = this.config.limits;
    const mine = new Set<string>();
    for (const other of this.byUser.get(s.user!.name) ?? []) for (const r of other.rooms) mine.add(r);
    if (!mine.has(room) && mine.size >= lim.maxRoomsPerUser) {
      throw new ChatdError('FORBIDDEN', `you are in ${mine.size} rooms, the most one user may be in; ${this.prefix}part one first`);
    }
    if (this.rooms.has(room) || await this.db.roomExists(room)) return;
    const count = await this.db.countRooms();
    if (count >= lim.maxRooms) throw new ChatdError('FORBIDDEN', `there are ${count} rooms, the most this server keeps; join one of them (${this.prefix}rooms)`);
    // Created now, not by join's best-effort insert, so the next count includes it.
    await this.db.ensureRoom(room);
  }

  // ---- chat actions (used by sessions and commands) -----------------------------------------
  userRef(u: SessionUser): UserRef { return { name: u.name, role: u.role, color: u.color }; }

  assertNotMuted(u: SessionUser): void { this.mutes.assertNotMuted(u.name); }

  /** A room message (say or me) from a session: checked, persisted, fanned out; the sender's copy acks. */
  /** The room a frame names (without one, the session's current room), which the session must be in (NO_SUCH_ROOM). */
  memberRoom(s: Session, roomArg?: string): string {
    const room = roomArg === undefined ? s.current : normalizeRoom(roomArg);
    if (!room || !s.rooms.has(room)) {
      throw new ChatdError('NO_SUCH_ROOM', room ? `you are not in #${room}; ${this.prefix}join it first` : `join a room first (${this.prefix}join lobby)`);
    }
    return room;
  }

  say(s: Session, raw: string, kind: 'say' | 'me', roomArg?: string, ack?: FrameId, notice = false): MessageFrame {
    const u = s.user!;
    this.assertNotMuted(u);
    const room = this.memberRoom(s, roomArg);
    this.refuseFormerPrefix(raw);
    const text = checkText(raw, this.config.limits.maxText);
    const frame: MessageFrame = { type: 'message', id: this.newId(), ts: new Date().toISOString(), room, from: this.userRef(u), text, kind, ...(notice ? { notice: true as const } : {}) };
    this.metrics.messages.inc({ kind });
    this.history.add({ frame, senderId: u.id });
    this.bus.publish({ t: 'room', room, frame, origin: { node: this.nodeName, session: s.id, ...(ack !== undefined ? { ack } : {}) } });
    return frame;
  }

  dm(s: Session, to: string, raw: string, notice = false): DmFrame { return this.conversations.dm(s, to, raw, notice); }

  /** A DM to an existing user who is offline: into their mailbox (MAILBOX_FULL when it is full); the sender's sessions see it. */
  dmOffline(s: Session, to: string, raw: string): Promise<DmFrame> { return this.conversations.dmOffline(s, to, raw); }

  awayOf(user: string): { message: string; since: number } | undefined { return this.away.of(user); }

  tellAway(user: string, sender: string): boolean { return this.away.tell(user, sender); }

  /** Every session here hears that `user`'s away state changed (IRC's away-notify tells its client). */
  awayChanged(user: string, message: string | null): void {
    for (const set of this.byUser.values()) for (const s of set) s.awayChanged(user, message);
  }

  /** An erased account's absence is forgotten here (`chat-admin purge`), and ends for whoever was told of it. */
  forgetAway(account: number): void {
    const user = this.away.forgetAccount(account);
    if (user) this.awayChanged(user, null);
  }

  /** Starts (a message) or ends (null) a user's absence on every node. */
  setAway(user: SessionUser, message: string | null): void { this.conversations.setAway(user, message); }

  async join(s: Session, room: string, since?: string): Promise<void> {
    if (s.closed) return; // ended meanwhile (an answer overflowed its send queue): it must not become a member again
    const first = !s.rooms.has(room);
    s.rooms.add(room);
    s.current = room;
    let members = this.rooms.get(room);
    if (!members) this.rooms.set(room, (members = new Set()));
    members.add(s);
    this.delivery.joined(room, s);
    // The history is older than the join, so it comes first (text mode showed the joiner arriving
    // before what was said earlier). A session that ended meanwhile has already said quit.
    if (since === undefined) s.send({ type: 'history', room, messages: await this.recentHistory(room, this.config.limits.historyOnJoin) });
    // Up to limits.resumeMax messages, more than the send queue holds: sent as the client reads them.
    else await s.sendPaced(await this.roomHistory.resumeHistory(room, since));
    if (first && !s.closed && this.presenceEvents(room)) {
      // The joiner is told at once (it confirms the join); the others within limits.presenceBatchMs.
      const frame = eventFrame('join', { room, user: s.user!.name });
      s.send(frame);
      this.metrics.deliveries.inc(1);
      this.bus.publish({ t: 'room', room, frame, origin: { node: this.nodeName, session: s.id } });
    }
    this.store.ensureRoom(room).catch(() => {}); // the room list survives restarts; best effort
  }

  part(s: Session, room: string): void {
    if (!s.rooms.has(room)) throw new ChatdError('NO_SUCH_ROOM', `you are not in #${room}`);
    const announce = this.presenceEvents(room);
    // Left first, as detach does: whether the account is still in the room is read when the event
    // is delivered (lib/bus-delivery.ts accountPresence), and this session is not in it any more.
    this.leaveLocal(s, room);
    if (announce) this.publishEvent('part', { room, user: s.user!.name });
  }

  /** join/part/quit events only for rooms up to limits.presenceEventsMaxRoom members (on this node). */
  private presenceEvents(room: string): boolean {
    return (this.rooms.get(room)?.size ?? 0) <= this.config.limits.presenceEventsMaxRoom;
  }

  private leaveLocal(s: Session, room: string): void {
    s.rooms.delete(room);
    const members = this.rooms.get(room);
    members?.delete(s);
    if (members && !members.size) this.rooms.delete(room);
    if (s.current === room) s.current = [...s.rooms].pop() ?? null;
  }

  /** The last n messages of a room: from the database, or this node's memory while it is down. */
  recentHistory(room: string, n: number): Promise<MessageFrame[]> { return this.roomHistory.recentHistory(room, n); }

  /** chat-admin erased messages (purge, committed at `upTo` ms): this node's memory of them goes too. */
  forgetErased(upTo: number): Promise<number> { return this.roomHistory.forgetErased(upTo); }

  /**
   * After a purge (pollers.ts): what the account's sessions here said until they ended was still
   * written under its id; once this node's history writer has written it, it is deleted, and
   * forgotten here. Other nodes' memory of it is not reached (see the closing note of issue 18).
   */
  async eraseLate(senderId: number): Promise<void> {
    await this.history.drain(this.config.limits.dbTimeoutMs);
    const names = await this.store.deleteMessagesBySender(senderId, (why) => this.log.warn('erased messages not yet overwritten in the database file', { err: why }));
    if (names.length) this.roomHistory.forgetSenders(new Set(names));
  }

  async settleHistory(): Promise<void> { await this.history.drain(this.config.limits.dbTimeoutMs); }

  topicOf(room: string): string { return this.topics.get(room) ?? ''; }

  /** A topic read from the database (pollers.ts): what a bus message lost would have brought. */
  topicStored(room: string, topic: string): void {
    if (topic) this.topics.set(room, topic); else this.topics.delete(room);
  }

  async setTopic(room: string, topic: string, by: string): Promise<void> {
    // Audited with the write (one transaction): the other nodes follow that row when the bus loses the message.
    await this.db.setTopic(room, topic, { actor: by, action: 'topic', target: '#' + room, detail: topic });
    this.topics.set(room, topic);
    this.bus.publish({ t: 'topic', room, topic });
    // `reason` is the free text of DESIGN's event fields; `topic` names it for what it is.
    this.publishEvent('topic', { room, by, topic, reason: topic });
  }

  publishEvent(event: EventName, fields: Omit<EventFrame, 'type' | 'event' | 'ts'>): void {
    const frame = eventFrame(event, fields);
    if (frame.room) this.bus.publish({ t: 'room', room: frame.room, frame });
    else this.bus.publish({ t: 'all', frame });
  }

  async presence(): Promise<PresenceEntry[]> { return this.bus.presence(); }

  /** Whether a user has a session on any node: this node's own sessions first, without the cluster's presence. */
  async isOnline(user: string): Promise<boolean> {
    if (this.byUser.get(user)?.size) return true;
    return (await this.presence()).some((p) => p.user === user);
  }

  async onlineUsers(): Promise<Map<string, PresenceEntry[]>> {
    const by = new Map<string, PresenceEntry[]>();
    for (const p of await this.presence()) {
      const list = by.get(p.user);
      if (list) list.push(p); else by.set(p.user, [p]);
    }
    return by;
  }

  // ---- moderation effects (every node applies them to its own sessions) ---------------------
  kill(user: string, code: 'KICKED' | 'BANNED', reason: string): void { this.bus.publish({ t: 'kill', user, code, reason }); }

  // Stored first with its audit row (it must outlive a restart, and a mute the log does not show
  // must not be felt), applied here at once as well: with Redis the echo comes back later, and a
  // quick //unmute on this node must already see the mute. Applying it again on receipt is harmless.
  async mute(user: { id: number; username: string }, until: number | null, by: { name: string; level: number }, audit: AuditEntry, guard?: MuteGuard): Promise<void> {
    await this.db.setMute({ userId: user.id, username: user.username, until, by: by.name, byLevel: by.level }, audit, guard);
    this.mutes.set(user.username, until);
    this.bus.publish({ t: 'mute', user: user.username, until });
  }

  async unmute(user: { id: number; username: string }, audit: AuditEntry, guard?: MuteGuard): Promise<void> {
    await this.db.liftMute(user.id, audit, guard);
    this.mutes.set(user.username, undefined);
    this.bus.publish({ t: 'unmute', user: user.username });
  }

  changePassword(user: string, remote: string, oldPassword: string, newPassword: string): Promise<void> {
    return this.logins.changePassword(user, remote, oldPassword, newPassword);
  }

  isMuted(user: string): boolean { return this.mutes.isMuted(user); }

  mutedUntil(user: string): number | null | undefined { return this.mutes.until(user); }

  updateUser(user: string, role: { name: string; level: number; color: string }): void {
    this.bus.publish({ t: 'user', user, role: role.name, level: role.level, color: role.color });
  }

  recolor(user: string, color: string): void { this.bus.publish({ t: 'color', user, color }); }

  // ---- BusNode ------------------------------------------------------------------------------
  deliver(msg: BusMessage): void { this.delivery.deliver(msg); }

  textLimit(): number { return this.config.limits.maxText; }

  /** Which cluster (which database) this node belongs to, for the bus; set by start(). */
  clusterTag = '';

  /** The bus is back after an outage (BusNode.busBack): resumes go to the database until the rings fill again. */
  busBack(): void {
    this.roomHistory.forgetAll();
  }

  localPresence(): PresenceEntry[] {
    const out: PresenceEntry[] = [];
    for (const s of this.sessions) {
      const u = s.user;
      if (!u) continue;
      out.push({
        id: s.id, user: u.name, role: u.role, level: u.level, color: u.color, rooms: [...s.rooms], remote: s.remote, node: this.nodeName,
        since: s.since, lastActive: s.lastActive, tls: s.tlsVersion, fingerprint: s.fingerprint, mode: s.mode, bytesIn: s.bytesIn, bytesOut: s.bytesOut,
      });
    }
    return out;
  }

  /** Graceful stop: bye SHUTDOWN to everyone, with fresh resume tokens (lib/auth/resume-issuer.ts; waited for half the grace at
   * most: the byes need the rest to reach their readers), then pending history flushed (bounded by the grace period). */
  async shutdown(graceMs: number): Promise<void> {
    const deadline = Date.now() + graceMs;
    this.pollers.stop();
    this.retention.stop();
    this.logins.counters.close();
    const tokens = await this.tokens.forShutdown(this.sessions, graceMs / 2);
    this.delivery.flushPresence(); // held join/quit events go out before the byes
    for (const s of [...this.sessions]) s.bye('SHUTDOWN', undefined, undefined, tokens.get(s));
    const flushed = await this.history.drain(Math.max(0, deadline - Date.now()));
    if (!flushed) this.log.error('shutdown: unsaved history messages', { pending: this.history.pending });
    this.history.stop();
  }
}
