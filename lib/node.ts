// The chat node: who is connected, which rooms they are in, and how frames reach them. Sessions
// hand it what they read; commands act through it; the bus carries what must reach other nodes.
import crypto from 'node:crypto';
import type { Config } from './config.js';
import { ChatdError, ERROR_CODES, type ErrorCode } from './errors.js';

/** Answers after which a frame counts as not executed: resending it must run it. */
const UNDONE = new Set<ErrorCode>(['SERVICE_UNAVAILABLE', 'INTERNAL', 'RATE_LIMITED']);
import type { Logger } from './log.js';
import { Metrics } from './metrics.js';
import type { Bus, BusMessage, BusNode, PresenceEntry } from './bus/types.js';
import { LoginService } from './auth/login.js';
import { loginCounters } from './auth/counters.js';
import { HistoryWriter } from './history.js';
import type { DmFrame, EventFrame, EventName, FrameId, MessageFrame, ServerFrame, UserRef } from './protocol/frames.js';
import { Outgoing } from './protocol/outgoing.js';
import { checkText, normalizeRoom, sanitizeText } from './sanitize.js';
import type { Session, SessionHost, SessionUser } from './session.js';
import type { MuteRecord, Store } from './store/index.js';
import { Registry } from './commands/registry.js';
import { ALL_COMMANDS } from './commands/index.js';
import { DatabasePollers, type PolledNode } from './pollers.js';
import { withTimeout } from './timeout.js';
import type { CommandHost } from './commands/host.js';
import { guardStore } from './store/guard.js';
import { MuteList } from './mutes.js';
import { SessionSlots } from './session-slots.js';
import type { EnrollService } from './enroll/service.js';
import { Retention } from './retention.js';
import { Dedupe } from './dedupe.js';
import { AwayList } from './away.js';
import { Mailboxes } from './dms.js';
import type { HistoryFrame } from './protocol/frames.js';

export const VERSION = '0.1.0';
export const DEFAULT_ROOM = 'lobby';
const RECENT_PER_ROOM = 200;

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
  private readonly recent = new Map<string, MessageFrame[]>();
  private readonly idBase = crypto.randomBytes(4).toString('hex');
  private seq = 0;
  private readonly pollers: DatabasePollers;
  /** Renewal and certificate bookkeeping at login (lib/enroll); set by startChatd. */
  enroll: EnrollService | null = null;
  /** limits.retentionDays: old messages deleted at start and hourly. */
  readonly retention: Retention;
  /** Conversations (DESIGN.md): frame ids already answered, who is away, DMs waiting for offline users. */
  readonly dedupe: Dedupe;
  readonly away = new AwayList();
  readonly mailboxes: Mailboxes;

  constructor(readonly config: Config, readonly store: Store, readonly bus: Bus, readonly log: Logger, readonly metrics = new Metrics()) {
    this.nodeName = config.nodeName || 'node1';
    this.db = guardStore(store, () => this.config.limits.dbTimeoutMs);
    this.registry = new Registry(ALL_COMMANDS, config.commandLevels);
    this.logins = new LoginService(store, config, log, loginCounters(config, bus, () => this.sessionsByUser()));
    this.history = new HistoryWriter(store, config.limits.writeQueueMax, log);
    this.pollers = new DatabasePollers(this, store, config.limits, log);
    this.retention = new Retention(store, config.limits, log);
    this.dedupe = new Dedupe(() => this.config.limits.dedupeWindowMs, () => this.bus.sharedRedis?.() ?? null, log);
    this.mailboxes = new Mailboxes(this.db, () => this.config.limits.mailboxMax, log);
  }

  async start(): Promise<void> {
    try {
      for (const r of await this.store.listRooms()) if (r.topic) this.topics.set(r.name, r.topic);
    } catch (e) {
      this.log.warn('could not load room topics', { err: (e as Error).message });
    }
    await this.bus.start(this);
    await this.pollers.start();
    this.retention.start();
  }

  sessionsOf(user: string): ReadonlySet<Session> | undefined { return this.byUser.get(user); }

  beginMuteLoad(): (list: MuteRecord[]) => void { return this.mutes.beginLoad(); }

  /** New role, level or color for live sessions (a role change, a role's new level or color). */
  restyle(sessions: Iterable<Session>, r: { role?: string; level: number; color: string }): void {
    for (const s of sessions) if (s.user) s.user = { ...s.user, ...(r.role ? { role: r.role } : {}), level: r.level, color: r.color };
  }

  get prefix(): string { return this.config.prefix; }

  /** The message of the day, `{prefix}` in it replaced by the command prefix (with `--prefix !`, `!help`). */
  get motd(): string { return this.config.motd.replaceAll('{prefix}', this.prefix); }

  newId(): string { return `${this.idBase}${(++this.seq).toString(36)}`; }

  // ---- SessionHost --------------------------------------------------------------------------
  welcomeFor(s: Session): ServerFrame {
    return { type: 'welcome', server: this.config.serverName, version: VERSION, protocol: 1, prefix: this.prefix, cert_user: s.certUser };
  }

  add(s: Session): void { this.sessions.add(s); }

  async login(s: Session, user: string, password: string): Promise<SessionUser> {
    const u = await this.logins.check({
      user, password, ip: s.remote, certUser: s.certUser, fingerprint: s.fingerprint, hasCert: s.fingerprint !== null,
    });
    await this.slots.reserve(s, u.username);
    return { id: u.id, name: u.username, role: u.role, level: u.level, color: await this.nameColor(u) };
  }

  /**
   * A user's own color, unless it became the color of a role above them since they chose it (they
   * were demoted, a role was recolored): nobody may look like staff. Their role's color then.
   */
  private async nameColor(u: { level: number; color: string; nameColor?: string | null; roleColor?: string }): Promise<string> {
    if (!u.nameColor || !u.roleColor) return u.color;
    try {
      const roles = await withTimeout(this.store.listRoles(), this.config.limits.dbTimeoutMs);
      return roles.some((r) => r.level > u.level && r.color === u.nameColor && r.color !== u.roleColor) ? u.roleColor : u.color;
    } catch {
      return u.roleColor;
    }
  }

  /** SASL EXTERNAL (IRC): the session's verified client certificate instead of a password. */
  async loginByCertificate(s: Session): Promise<SessionUser> {
    if (!s.certUser || !s.fingerprint || !s.socket.authorized) throw new ChatdError('AUTH_FAILED', 'no verified client certificate');
    const u = await this.logins.checkCertificate({ certUser: s.certUser, ip: s.remote, fingerprint: s.fingerprint });
    await this.slots.reserve(s, u.username);
    return { id: u.id, name: u.username, role: u.role, level: u.level, color: u.color };
  }

  private sessionsByUser(): Map<string, string[]> { return this.slots.byUser(); }

  async attach(s: Session, id?: FrameId): Promise<void> {
    const u = s.user!;
    this.slots.attach(s);
    let set = this.byUser.get(u.name);
    if (!set) this.byUser.set(u.name, (set = new Set()));
    set.add(s);
    this.log.info('login', { session: s.id, user: u.name, remote: s.remote, mode: s.mode });
    const notice = s.fingerprint ? this.enroll?.afterLogin(u.name, s.socket.getPeerCertificate()) : undefined;
    s.send({
      type: 'login_ok', user: { name: u.name, role: u.role, level: u.level, color: u.color }, room: DEFAULT_ROOM,
      motd: this.motd, ...(notice ? { notice } : {}), ...(id !== undefined ? { id } : {}),
    });
    await this.join(s, DEFAULT_ROOM);
    await this.deliverMailbox(s);
  }

  /** DMs that waited while the user was offline, oldest first, after the lobby's history. */
  private async deliverMailbox(s: Session): Promise<void> {
    let list: DmFrame[];
    try {
      list = await this.mailboxes.collect(s.user!.name);
    } catch (e) {
      // They stay in the mailbox for the next login.
      this.log.warn('mailbox not read', { user: s.user!.name, err: (e as Error).message });
      return;
    }
    for (const d of list) s.send(d);
  }

  async renew(s: Session, csr: string, id?: FrameId): Promise<void> {
    if (!this.enroll) throw new ChatdError('ENROLL_DISABLED');
    const issued = await this.enroll.renew(s.user!.name, csr, s.remote);
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

  /**
   * A say or command frame. One with an id runs once per user within limits.dedupeWindowMs: a repeat
   * gets the frames of the first one's answer again (lib/dedupe.ts).
   */
  async input(s: Session, f: { kind: 'say'; text: string; room?: string; id?: FrameId } | { kind: 'command'; line: string; id?: FrameId }): Promise<void> {
    let claim;
    try {
      const content = f.kind === 'say' ? `say\n${f.room ?? ''}\n${f.text}` : `command\n${f.line}`;
      claim = f.id === undefined ? null : await this.dedupe.claim(s.user!.name, f.id, content);
    } catch (e) {
      const err = e instanceof ChatdError ? e : new ChatdError('INTERNAL');
      return s.error(err.code, err.message, f.id);
    }
    if (claim && !claim.fresh) {
      for (const a of claim.answer) s.send(a);
      return;
    }
    const answer = await this.execute(s, f);
    const last = answer[answer.length - 1];
    // Nothing happened: a retry must run.
    if (!last || (last.type === 'error' && UNDONE.has(last.code))) claim?.abandon();
    else claim?.done(answer);
  }

  /** Runs a say or command; resolves with the frames of its answer to the sender (sent already). */
  private async execute(s: Session, f: { kind: 'say'; text: string; room?: string; id?: FrameId } | { kind: 'command'; line: string; id?: FrameId }): Promise<ServerFrame[]> {
    try {
      if (f.kind === 'command') return await this.runCommand(s, f.line, f.id);
      const line = this.commandLine(f.text);
      if (line !== null) return await this.runCommand(s, line, f.id);
      const m = this.say(s, f.text, 'say', f.room, f.id);
      return [f.id !== undefined ? { ...m, ack: f.id } : m];
    } catch (e) {
      if (!(e instanceof ChatdError)) {
        this.log.error('input failed', { session: s.id, err: String((e as Error)?.stack ?? e) });
        s.error('INTERNAL', undefined, f.id);
        return [{ type: 'error', code: 'INTERNAL', message: ERROR_CODES.INTERNAL }];
      }
      s.error(e.code, e.message, f.id);
      return [{ type: 'error', code: e.code, message: e.message, ...(f.id !== undefined ? { id: f.id } : {}) }];
    }
  }

  /** The `join` frame: like //join, and with `since` the messages after that one instead of the last few. */
  async joinFrame(s: Session, raw: string, since: string | undefined, id?: FrameId): Promise<void> {
    const room = normalizeRoom(raw);
    if (!room) throw new ChatdError('BAD_ARGS', `"${raw.slice(0, 40)}" is not a valid room name (a-z 0-9 _ -, up to 32)`);
    await this.admitRoom(s, room);
    await this.join(s, room, since);
    const topic = this.topicOf(room);
    s.send({ type: 'result', command: 'join', text: `now in #${room}${topic ? ` - topic: ${topic}` : ''}`, data: { room, topic }, ...(id !== undefined ? { id } : {}) });
  }

  /**
   * The command line in a say, without the prefix, or null for a message. Decided on the sanitized,
   * trimmed text, so that no invisible or blank lead makes a command (a password) a broadcast. The
   * command itself gets the raw text after the prefix: sanitizing would change a password.
   */
  private commandLine(text: string): string | null {
    if (text.startsWith(this.prefix)) return text.slice(this.prefix.length);
    const clean = sanitizeText(text).trimStart();
    if (!clean.startsWith(this.prefix)) return null;
    const at = text.indexOf(this.prefix);
    return at >= 0 ? text.slice(at + this.prefix.length) : clean.slice(this.prefix.length);
  }

  private async runCommand(s: Session, line: string, id?: FrameId): Promise<ServerFrame[]> {
    const stopTimer = this.metrics.commandSeconds.startTimer();
    const answer = await this.registry.dispatch(line, { host: this, session: s, user: s.user!, prefix: this.prefix, id });
    // Only registered names become label values; a typo counts as "unknown".
    stopTimer({ command: answer.command ?? 'unknown' });
    for (const f of answer.frames) {
      if (f.type === 'error') this.metrics.errors.inc({ code: f.code });
      s.send(f);
    }
    if (answer.close) s.end();
    return answer.frames;
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
  say(s: Session, raw: string, kind: 'say' | 'me', roomArg?: string, ack?: FrameId): MessageFrame {
    const u = s.user!;
    this.assertNotMuted(u);
    const room = roomArg === undefined ? s.current : normalizeRoom(roomArg);
    if (!room || !s.rooms.has(room)) {
      throw new ChatdError('NO_SUCH_ROOM', room ? `you are not in #${room}; ${this.prefix}join it first` : `join a room first (${this.prefix}join lobby)`);
    }
    const text = checkText(raw, this.config.limits.maxText);
    const frame: MessageFrame = { type: 'message', id: this.newId(), ts: new Date().toISOString(), room, from: this.userRef(u), text, kind };
    this.metrics.messages.inc({ kind });
    this.history.add({ frame, senderId: u.id });
    this.bus.publish({ t: 'room', room, frame, origin: { node: this.nodeName, session: s.id, ...(ack !== undefined ? { ack } : {}) } });
    return frame;
  }

  private remember(frame: MessageFrame): void {
    let ring = this.recent.get(frame.room);
    if (!ring) this.recent.set(frame.room, (ring = []));
    ring.push(frame);
    if (ring.length > RECENT_PER_ROOM) ring.shift();
  }

  dm(s: Session, to: string, raw: string): DmFrame {
    const u = s.user!;
    this.assertNotMuted(u);
    const text = checkText(raw, this.config.limits.maxText);
    const frame: DmFrame = { type: 'dm', id: this.newId(), ts: new Date().toISOString(), from: this.userRef(u), to, text };
    this.metrics.messages.inc({ kind: 'dm' });
    this.mailboxes.keep(frame);
    this.bus.publish({ t: 'dm', to, from: u.name, frame });
    return frame;
  }

  /** A DM to an existing user who is offline: into their mailbox (MAILBOX_FULL when it is full); the sender's sessions see it. */
  async dmOffline(s: Session, to: string, raw: string): Promise<DmFrame> {
    const u = s.user!;
    this.assertNotMuted(u);
    const text = checkText(raw, this.config.limits.maxText);
    const frame: DmFrame = { type: 'dm', id: this.newId(), ts: new Date().toISOString(), from: this.userRef(u), to, text };
    await this.mailboxes.post(frame);
    this.metrics.messages.inc({ kind: 'dm' });
    // Presence lags a login on another node by up to a push: a node where the recipient is online
    // after all delivers it now and takes it out of the mailbox.
    this.bus.publish({ t: 'dm', to, from: u.name, frame, mailbox: true });
    return frame;
  }

  awayOf(user: string): { message: string; since: number } | undefined { return this.away.of(user); }

  tellAway(user: string, sender: string): boolean { return this.away.tell(user, sender); }

  /** Starts (a message) or ends (null) a user's absence on every node. */
  setAway(user: string, message: string | null): void {
    const since = Date.now();
    this.away.set(user, message, since);
    this.bus.publish({ t: 'away', user, message, since });
  }

  async join(s: Session, room: string, since?: string): Promise<void> {
    if (s.closed) return; // ended meanwhile (an answer overflowed its send queue): it must not become a member again
    const first = !s.rooms.has(room);
    s.rooms.add(room);
    s.current = room;
    let members = this.rooms.get(room);
    if (!members) this.rooms.set(room, (members = new Set()));
    members.add(s);
    // The history is older than the join, so it comes first (text mode showed the joiner arriving
    // before what was said earlier). A session that ended meanwhile has already said quit.
    if (since === undefined) s.send({ type: 'history', room, messages: await this.recentHistory(room, this.config.limits.historyOnJoin) });
    else for (const h of await this.resumeHistory(room, since)) s.send(h);
    if (first && !s.closed && this.presenceEvents(room)) this.publishEvent('join', { room, user: s.user!.name });
    this.store.ensureRoom(room).catch(() => {}); // the room list survives restarts; best effort
  }

  part(s: Session, room: string): void {
    if (!s.rooms.has(room)) throw new ChatdError('NO_SUCH_ROOM', `you are not in #${room}`);
    if (this.presenceEvents(room)) this.publishEvent('part', { room, user: s.user!.name });
    this.leaveLocal(s, room);
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
  async recentHistory(room: string, n: number): Promise<MessageFrame[]> {
    if (n <= 0) return [];
    try {
      if (this.history.pending === 0) return await withTimeout(this.store.history(room, n), this.config.limits.dbTimeoutMs);
    } catch (e) {
      this.log.warn('history read failed; serving from memory', { room, err: (e as Error).message });
    }
    return (this.recent.get(room) ?? []).slice(-n);
  }

  /**
   * Every message of a room after `since`, up to limits.resumeMax (the newest; `truncated` when more
   * were missed), in history frames of at most limits.historyMax messages. From this node's memory
   * when `since` is there, else from the database once pending writes are in. An id found nowhere
   * gets the last few messages, marked truncated: what was missed cannot be told.
   */
  private async resumeHistory(room: string, since: string): Promise<HistoryFrame[]> {
    const lim = this.config.limits;
    const ring = this.recent.get(room) ?? [];
    const at = ring.findIndex((m) => m.id === since);
    let messages: MessageFrame[];
    let truncated: boolean;
    if (at >= 0) {
      messages = ring.slice(at + 1);
      truncated = messages.length > lim.resumeMax;
      if (truncated) messages = messages.slice(-lim.resumeMax);
    } else {
      let found = false;
      messages = [];
      truncated = false;
      try {
        await this.history.drain(lim.dbTimeoutMs);
        const r = await withTimeout(this.store.historySince(room, since, lim.resumeMax), lim.dbTimeoutMs);
        ({ found, messages } = r);
        truncated = r.more;
      } catch (e) {
        this.log.warn('resume read failed', { room, err: (e as Error).message });
      }
      if (!found) {
        messages = await this.recentHistory(room, lim.historyOnJoin);
        truncated = true;
      }
    }
    const frames: HistoryFrame[] = [];
    const chunk = Math.max(1, lim.historyMax);
    for (let i = 0; i < messages.length || i === 0; i += chunk) frames.push({ type: 'history', room, messages: messages.slice(i, i + chunk) });
    if (truncated) frames[0]!.truncated = true;
    return frames;
  }

  topicOf(room: string): string { return this.topics.get(room) ?? ''; }

  async setTopic(room: string, topic: string, by: string): Promise<void> {
    await this.db.setTopic(room, topic);
    this.topics.set(room, topic);
    this.bus.publish({ t: 'topic', room, topic });
    // `reason` is the free text of DESIGN's event fields; `topic` names it for what it is.
    this.publishEvent('topic', { room, by, topic, reason: topic });
  }

  publishEvent(event: EventName, fields: Omit<EventFrame, 'type' | 'event' | 'ts'>): void {
    const frame: EventFrame = { type: 'event', event, ...fields, ts: new Date().toISOString() };
    if (frame.room) this.bus.publish({ t: 'room', room: frame.room, frame });
    else this.bus.publish({ t: 'all', frame });
  }

  async presence(): Promise<PresenceEntry[]> { return this.bus.presence(); }

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

  // Stored first (it must outlive a restart), applied here at once as well: with Redis the echo
  // comes back later, and a quick //unmute on this node must already see the mute. Applying it
  // again on receipt is harmless.
  async mute(user: { id: number; username: string }, until: number | null, by: { name: string; level: number }): Promise<void> {
    await this.db.setMute({ userId: user.id, username: user.username, until, by: by.name, byLevel: by.level });
    this.mutes.set(user.username, until);
    this.bus.publish({ t: 'mute', user: user.username, until });
  }

  async unmute(user: { id: number; username: string }): Promise<void> {
    await this.db.liftMute(user.id);
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

  // ---- BusNode ------------------------------------------------------------------------------
  deliver(msg: BusMessage): void {
    switch (msg.t) {
      case 'room': {
        const members = this.rooms.get(msg.room);
        if (!msg.origin || msg.origin.node !== this.nodeName || msg.frame.type !== 'message') {
          if (msg.frame.type === 'message' && msg.origin?.node !== this.nodeName) this.remember(msg.frame);
          if (members) this.fanout(members, new Outgoing(msg.frame));
          return;
        }
        // Remembered in delivery order (not when said), which is the order a resuming join replays.
        this.remember(msg.frame);
        if (members) this.metrics.deliveries.inc(members.size);
        const shared = new Outgoing(msg.frame);
        const ack = msg.origin.ack;
        const senderId = msg.origin.session;
        if (members) {
          for (const s of members) {
            if (s.id === senderId && ack !== undefined) s.send({ ...msg.frame, ack });
            else s.send(shared);
          }
        }
        return;
      }
      case 'dm': {
        const out = new Outgoing(msg.frame);
        const targets = new Set([...(this.byUser.get(msg.to) ?? []), ...(this.byUser.get(msg.from) ?? [])]);
        if (msg.mailbox && this.byUser.get(msg.to)?.size) this.mailboxes.delivered(msg.frame.id);
        this.fanout(targets, out);
        return;
      }
      case 'all': {
        const out = new Outgoing(msg.frame);
        for (const set of this.byUser.values()) this.fanout(set, out);
        return;
      }
      case 'kill':
        for (const s of [...(this.byUser.get(msg.user) ?? [])]) s.bye(msg.code, msg.reason);
        return;
      case 'user':
        this.restyle(this.byUser.get(msg.user) ?? [], msg);
        return;
      case 'mute': this.mutes.set(msg.user, msg.until); return;
      case 'unmute': this.mutes.set(msg.user, undefined); return;
      case 'topic': this.topics.set(msg.room, msg.topic); return;
      case 'away':
        this.away.set(msg.user, msg.message, msg.since);
        for (const set of this.byUser.values()) for (const s of set) s.awayChanged(msg.user, msg.message);
        return;
    }
  }

  /** One counter update per fan-out, with the recipient count: never one per recipient. */
  private fanout(targets: Iterable<Session> & { size: number }, out: Outgoing): void {
    this.metrics.deliveries.inc(targets.size);
    for (const s of targets) s.send(out);
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

  /** Graceful stop: bye SHUTDOWN to everyone, flush pending history (bounded by the grace period). */
  async shutdown(graceMs: number): Promise<void> {
    this.pollers.stop();
    this.retention.stop();
    this.logins.counters.close();
    for (const s of [...this.sessions]) s.bye('SHUTDOWN');
    const flushed = await this.history.drain(graceMs);
    if (!flushed) this.log.error('shutdown: unsaved history messages', { pending: this.history.pending });
    this.history.stop();
  }
}
