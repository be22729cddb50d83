// One IRC connection: the third protocol front end beside JSON Lines and text mode. The base Session
// keeps what every mode shares (input order size → flood → parse, the send queue, keepalive, byes); this
// class reads IRC (registration with CAP/SASL or PASS, then commands) and writes IRC. What a line means
// in chat terms is the node's job, reached through the same calls and the same command registry as the
// other modes, so rooms, moderation, limits and the sanitizer are the ones every session has.
import type { TLSSocket } from 'node:tls';
import { ChatdError, type ByeCode } from '../errors.js';
import type { ChatNode } from '../node.js';
import { VERSION } from '../node.js';
import type { ErrorFrame, HistoryFrame, MessageFrame, ServerFrame } from '../protocol/frames.js';
import { outgoing, type Outgoing } from '../protocol/outgoing.js';
import { normalizeRoom, normalizeUsername, sanitizeText } from '../sanitize.js';
import { Session } from '../session.js';
import { withTimeout } from '../timeout.js';
import { IRC_MAX_LINE, ircLine, overLimit, parseIrc, type IrcMessage } from './message.js';
import { IRC_HOST, channel, renderIrc, rolePrefix, userPrefix } from './render.js';

/** What CAP LS offers; `sasl` gets its mechanisms with CAP LS 302. */
const CAPS = ['sasl', 'server-time', 'message-tags', 'echo-message', 'multi-prefix', 'away-notify'];
/** Numerics whose last parameter is a token, not text (004 server info, 324 channel modes, 221 user modes). */
const NO_TRAILING = new Set(['004', '221', '324']);
/** A SASL payload arrives in chunks of 400 base64 characters; a shorter one (or "+") ends it. */
const SASL_CHUNK = 400;
/** No credentials of chatd come near this; more is someone filling memory 400 bytes at a time. */
const SASL_MAX = 4096;
/** The text of a NOTICE line, in bytes, so that prefix, target and tags still fit in 512. */
const NOTICE_TEXT_BYTES = 400;

/** ACTION and the other CTCP requests: \x01WORD text\x01. */
function ctcp(text: string): { verb: string; arg: string } | null {
  if (!text.startsWith('\x01')) return null;
  const body = text.slice(1).replace(/\x01$/, '');
  const sp = body.indexOf(' ');
  return { verb: (sp < 0 ? body : body.slice(0, sp)).toUpperCase(), arg: sp < 0 ? '' : body.slice(sp + 1) };
}

/** Splits text into lines of at most `max` bytes, at spaces where it can. */
function chunks(text: string, max: number): string[] {
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    let line = raw.replace(/\s+$/, '');
    while (Buffer.byteLength(line) > max) {
      let cut = max;
      while (Buffer.byteLength(line.slice(0, cut)) > max) cut--;
      const sp = line.lastIndexOf(' ', cut);
      const at = sp > max / 2 ? sp : cut;
      out.push(line.slice(0, at));
      line = line.slice(at).trimStart();
    }
    if (line) out.push(line);
  }
  return out;
}

export class IrcSession extends Session {
  /** The nick the client asked for while registering; after registration the account name. */
  private nick: string | null = null;
  private userSeen = false;
  private password: string | null = null;
  private capNegotiating = false;
  private readonly caps = new Set<string>();
  private sasl: string | null = null;
  private saslMech: 'PLAIN' | 'EXTERNAL' = 'PLAIN';
  /** Why SASL failed: the registration that follows without a password ends with that code. */
  private saslError: ChatdError | null = null;
  private registered = false;
  /** Channels the client has been told it is in (JOIN sent); compared with `rooms` after each command. */
  private readonly shown = new Set<string>();
  /** While a JOIN is being announced (names are looked up), other output waits here, in order. */
  private held: Buffer[] | null = null;
  private heldBytes = 0;
  private joins = 0;
  private joinChain: Promise<void> = Promise.resolve();
  private ackSeq = 0;
  /** A user who leaves gets one QUIT line, not one per shared room (the node reports each room). */
  private readonly quits = new Map<string, number>();

  constructor(socket: TLSSocket, private readonly node: ChatNode) {
    super(socket, 'irc', node, node.nodeName);
    this.decoder.maxBytes = IRC_MAX_LINE;
  }


  override reconfigure(): void {
    super.reconfigure();
    this.decoder.maxBytes = IRC_MAX_LINE;
  }

  private get me(): string { return this.user?.name ?? this.nick ?? '*'; }

  private get server(): string { return this.node.config.serverName; }

  private get tagged(): boolean { return this.caps.has('server-time') || this.caps.has('message-tags'); }

  // ---- output -------------------------------------------------------------------------------
  override send(f: ServerFrame | Outgoing): void {
    if (this.closed) return;
    const data = this.encode(outgoing(f));
    if (data !== null) this.out(data);
  }

  private out(data: Buffer | string): void {
    const b = typeof data === 'string' ? Buffer.from(data) : data;
    if (!this.held) return this.write(b);
    this.held.push(b);
    // What waits for a slow JOIN counts like the send queue it stands in front of: past the limit it
    // goes out now, out of order, and the send queue decides whether this session keeps up.
    if ((this.heldBytes += b.length) > this.host.config.limits.sendqBytes) this.release();
  }

  private release(): void {
    const held = this.held ?? [];
    this.held = null;
    this.heldBytes = 0;
    for (const b of held) this.write(b);
  }

  private num(code: string, ...params: string[]): void {
    this.out(ircLine(this.server, code, [this.me, ...params], undefined, !NO_TRAILING.has(code)));
  }

  private notice(text: string): void {
    for (const line of chunks(text, NOTICE_TEXT_BYTES)) this.out(ircLine(this.server, 'NOTICE', [this.me, line]));
  }

  protected override byeData(code: ByeCode, reason: string): string {
    return ircLine(null, 'ERROR', [`${code}: ${reason}`]);
  }

  /** Frames the node sends every session, in IRC: shared lines from the frame's cache, answers built here. */
  protected override encode(out: Outgoing): Buffer | null {
    const f = out.frame;
    const me = this.user?.name;
    switch (f.type) {
      case 'message':
        // The sender's own copy carries its ack; without echo-message an IRC client shows it already.
        if (f.ack !== undefined && f.from.name === me && !this.caps.has('echo-message')) return null;
        return out.irc(this.tagged);
      case 'dm':
        if (f.from.name === me && f.to !== me && !this.caps.has('echo-message')) return null;
        return out.irc(this.tagged);
      case 'event':
        // This session's own joins and parts are told from its own state (JOIN with names, PART);
        // another session of the same account joining or leaving does not move this one.
        if ((f.event === 'join' || f.event === 'part' || f.event === 'quit') && f.user === me) return null;
        if (f.event === 'quit' && f.user) {
          const now = Date.now();
          if (now - (this.quits.get(f.user) ?? 0) < 5000) return null;
          this.quits.set(f.user, now);
          if (this.quits.size > 1000) this.quits.clear();
        }
        return out.irc(this.tagged);
      case 'login_ok':
        this.welcome();
        return null;
      case 'history':
        this.history(f);
        return null;
      case 'result':
        if (f.text) this.notice(f.text);
        return null;
      case 'error':
        this.notice(`${f.code}: ${f.message}`);
        return null;
      case 'ping':
        return Buffer.from(ircLine(null, 'PING', [this.server]));
      default:
        return null;
    }
  }

  private welcome(): void {
    const s = this.server;
    this.num('001', `Welcome to the ${s} IRC network, ${this.me}`);
    this.num('002', `Your host is ${s}, running version chatd-${VERSION}`);
    this.num('003', `This server is chatd ${VERSION}; rooms, moderation and history are shared with chat-cli users`);
    this.num('004', s, `chatd-${VERSION}`, 'i', 'nt');
    this.num('005', 'CHANTYPES=#', 'PREFIX=(qaov)~&@+', 'CASEMAPPING=ascii', 'NICKLEN=32', `NETWORK=${s}`,
      'CHANNELLEN=33', 'CHANMODES=,,,nt', 'are supported by this server');
    this.motd();
  }

  private motd(): void {
    const text = this.node.motd;
    if (!text) return this.num('422', 'MOTD File is missing');
    this.num('375', `- ${this.server} Message of the day -`);
    for (const line of chunks(text, NOTICE_TEXT_BYTES)) this.num('372', `- ${line}`);
    this.num('376', 'End of /MOTD command.');
  }

  /**
   * A history frame: after a join (the node sends the room's history first) it is the moment to tell
   * the client it joined, with topic and names, then the history itself; otherwise an answer to
   * `//history`, shown as notices.
   */
  private history(f: HistoryFrame): void {
    if (this.rooms.has(f.room) && !this.shown.has(f.room)) return this.announceJoin(f.room, f.messages);
    for (const m of f.messages) this.notice(`[${m.ts.slice(11, 19)}] #${m.room} ${m.kind === 'me' ? `* ${m.from.name}` : `<${m.from.name}>`} ${m.text}`);
  }

  private announceJoin(room: string, messages: MessageFrame[]): void {
    this.shown.add(room);
    if (!this.held && this.joins === 0) this.held = [];
    this.joins++;
    this.joinChain = this.joinChain.then(async () => {
      try {
        const lines = [ircLine(userPrefix(this.me), 'JOIN', [channel(room)], undefined, false)];
        const topic = this.node.topicOf(room);
        if (topic) lines.push(ircLine(this.server, '332', [this.me, channel(room), topic]));
        lines.push(...await this.namesLines(room));
        // History is replayed only to clients that can place it in time (server-time).
        if (this.caps.has('server-time')) for (const m of messages) lines.push(renderIrc(m, true)!);
        if (!this.closed) this.write(lines.join(''));
      } catch (e) {
        this.host.log.warn('irc join announcement failed', { session: this.id, err: String(e) });
      } finally {
        if (--this.joins === 0) this.release();
      }
    });
  }

  /** Members of a room on every node, each once, with the prefix of their role. */
  private async members(room: string): Promise<Map<string, { role: string; away: boolean; node: string; since: number; lastActive: number }>> {
    const out = new Map<string, { role: string; away: boolean; node: string; since: number; lastActive: number }>();
    // Presence may come from Redis: a JOIN waits for it at most as long as for the database.
    const all = await withTimeout(this.node.presence(), this.node.config.limits.dbTimeoutMs).catch(() => this.node.localPresence());
    for (const p of all) if (p.rooms.includes(room) && !out.has(p.user)) out.set(p.user, { role: p.role, away: false, node: p.node, since: p.since, lastActive: p.lastActive });
    if (this.user && this.rooms.has(room) && !out.has(this.user.name)) out.set(this.user.name, { role: this.user.role, away: false, node: this.node.nodeName, since: this.since, lastActive: this.lastActive });
    return out;
  }

  private async namesLines(room: string): Promise<string[]> {
    const names = [...(await this.members(room)).entries()].sort(([a], [b]) => a.localeCompare(b)).map(([n, m]) => rolePrefix(m.role) + n);
    const lines: string[] = [];
    let batch: string[] = [];
    const flush = () => { if (batch.length) lines.push(ircLine(this.server, '353', [this.me, '=', channel(room), batch.join(' ')])); batch = []; };
    for (const n of names) {
      batch.push(n);
      if (batch.join(' ').length > 350) flush();
    }
    flush();
    lines.push(ircLine(this.server, '366', [this.me, channel(room), 'End of /NAMES list.']));
    return lines;
  }

  /** Rooms left since the client was last told (PART, //part, a moderator's action): one PART each. */
  private sync(): void {
    for (const room of [...this.shown]) {
      if (this.rooms.has(room)) continue;
      this.shown.delete(room);
      this.out(ircLine(userPrefix(this.me), 'PART', [channel(room), 'left']));
    }
  }

  // ---- input --------------------------------------------------------------------------------
  /** Size (the decoder caps a line at IRC_MAX_LINE), flood, IRC's own length limits, then parse. */
  protected override onLine(line: string, bytes: number): void {
    if (this.closing) return;
    if (!this.flood.take()) return this.refuse(line);
    if (line.trim() === '') return;
    if (overLimit(line)) return this.num('417', 'Input line was too long');
    const msg = parseIrc(line);
    if (!msg || msg.command === 'PONG') return;
    this.enqueue(async () => {
      try { await this.onMessage(msg); } finally { if (this.registered) this.sync(); }
    }, bytes);
  }

  /** Ended by a command (`//quit` in a PRIVMSG) rather than a bye: IRC clients still expect an ERROR line. */
  override end(): void {
    if (!this.closing) this.write(ircLine(null, 'ERROR', ['QUIT: goodbye']));
    super.end();
  }

  protected override onOverflow(): void {
    this.num('417', 'Input line was too long');
    this.closing = true;
    this.write(ircLine(null, 'ERROR', [`FRAME_TOO_LARGE: line exceeds ${IRC_MAX_LINE} bytes`]));
    this.end();
  }

  private close(code: string, reason: string): void {
    this.closing = true;
    this.write(ircLine(null, 'ERROR', [`${code}: ${reason}`]));
    this.end();
  }

  private async onMessage(m: IrcMessage): Promise<void> {
    if (this.closing) return;
    // The command name only: PASS and AUTHENTICATE parameters are secrets.
    this.host.log.debug('irc command', { session: this.id, command: m.command.slice(0, 20), params: m.params.length });
    const p = m.params;
    switch (m.command) {
      case 'CAP': return this.cap(p);
      case 'PING': return this.out(ircLine(this.server, 'PONG', [this.server, p[0] ?? '']));
      case 'QUIT': return this.close('QUIT', 'Client quit');
      case 'AUTHENTICATE': return this.authenticate(p[0] ?? '');
      case 'PASS':
        if (this.registered) return this.num('462', 'You may not reregister');
        if (!p.length) return this.num('461', 'PASS', 'Not enough parameters');
        this.password = p[0];
        return;
      case 'NICK': return this.nickCommand(p[0]);
      case 'USER':
        if (this.registered) return this.num('462', 'You may not reregister');
        if (p.length < 4) return this.num('461', 'USER', 'Not enough parameters');
        this.userSeen = true;
        return this.register();
    }
    if (!this.registered) return this.num('451', 'You have not registered');
    this.lastActive = Date.now();
    switch (m.command) {
      case 'PRIVMSG': case 'NOTICE': return this.privmsg(m.command === 'NOTICE', p[0], p[1]);
      case 'JOIN': return this.joinCommand(p[0]);
      case 'PART': return this.partCommand(p[0]);
      case 'TOPIC': return this.topicCommand(p[0], p.length > 1 ? p[1] : undefined);
      case 'NAMES': return this.namesCommand(p[0]);
      case 'WHO': return this.who(p[0]);
      case 'WHOIS': return this.whois(p[p.length - 1]);
      case 'LIST': return this.list();
      case 'MOTD': return this.motd();
      case 'AWAY': return this.awayCommand(p[0]);
      case 'KICK': return this.kick(p[0], p[1], p[2]);
      case 'MODE': return this.modeCommand(p[0], p[1]);
      case 'USERHOST': return this.num('302', p.slice(0, 5).map((n) => `${n}=+${n}@${IRC_HOST}`).join(' '));
      default: return this.num('421', m.command, 'Unknown command');
    }
  }

  // ---- registration -------------------------------------------------------------------------
  private async cap(p: string[]): Promise<void> {
    const sub = (p[0] ?? '').toUpperCase();
    switch (sub) {
      case 'LS': {
        if (!this.registered) this.capNegotiating = true;
        const v302 = Number(p[1]) >= 302;
        const list = CAPS.map((c) => (c === 'sasl' && v302 ? `sasl=${this.mechanisms().join(',')}` : c)).join(' ');
        return this.out(ircLine(this.server, 'CAP', [this.me, 'LS', list]));
      }
      case 'LIST':
        return this.out(ircLine(this.server, 'CAP', [this.me, 'LIST', [...this.caps].join(' ')]));
      case 'REQ': {
        if (!this.registered) this.capNegotiating = true;
        const want = (p[1] ?? '').split(' ').filter(Boolean);
        const ok = want.length > 0 && want.every((c) => CAPS.includes(c.replace(/^-/, '')));
        if (ok) for (const c of want) if (c.startsWith('-')) this.caps.delete(c.slice(1)); else this.caps.add(c);
        return this.out(ircLine(this.server, 'CAP', [this.me, ok ? 'ACK' : 'NAK', p[1] ?? '']));
      }
      case 'END':
        if (this.registered) return;
        this.capNegotiating = false;
        return this.register();
      default:
        return this.num('410', sub || '*', 'Invalid CAP command');
    }
  }

  private async authenticate(arg: string): Promise<void> {
    if (this.registered || this.user) return this.num('907', 'You have already authenticated using SASL');
    if (!this.caps.has('sasl')) return this.num('904', 'SASL authentication failed (request the sasl capability first)');
    if (this.sasl === null) {
      const mech = arg.toUpperCase();
      if (mech !== 'PLAIN' && !(mech === 'EXTERNAL' && this.mechanisms().includes(mech))) {
        this.num('908', this.mechanisms().join(','), 'are available SASL mechanisms');
        return this.num('904', 'SASL authentication failed');
      }
      this.saslMech = mech;
      this.sasl = '';
      return this.out('AUTHENTICATE +\r\n');
    }
    if (arg === '*') {
      this.sasl = null;
      return this.num('906', 'SASL authentication aborted');
    }
    if (arg !== '+') this.sasl += arg;
    if (this.sasl.length > SASL_MAX) {
      this.sasl = null;
      return this.num('905', 'SASL message too long');
    }
    if (arg.length === SASL_CHUNK) return; // more to come
    if (this.saslMech === 'EXTERNAL') return this.external(Buffer.from(this.sasl, 'base64').toString('utf8'));
    const [authz, authc, pass] = Buffer.from(this.sasl, 'base64').toString('utf8').split('\0');
    this.sasl = null;
    if (pass === undefined || !authc || (authz && authz !== authc)) return this.num('904', 'SASL authentication failed (malformed PLAIN message)');
    const err = await this.tryLogin(authc, pass);
    if (err) {
      this.saslError = err;
      return this.num('904', `SASL authentication failed: ${err.code}: ${err.message}`);
    }
    this.num('900', `${this.me}!${this.me}@${IRC_HOST}`, this.user!.name, `You are now logged in as ${this.user!.name}`);
    this.num('903', 'SASL authentication successful');
  }

  /** PLAIN always; EXTERNAL where the certificate proves the name (--cert-binding cn) and the config allows it. */
  private mechanisms(): string[] {
    const c = this.node.config;
    return c.ircCertLogin && c.certBinding === 'cn' ? ['PLAIN', 'EXTERNAL'] : ['PLAIN'];
  }

  /** SASL EXTERNAL: the certificate's name is the account; an authorization identity must name it too. */
  private async external(authz: string): Promise<void> {
    this.sasl = null;
    try {
      if (authz && normalizeUsername(authz) !== this.certUser) throw new ChatdError('CERT_MISMATCH', `this certificate is for "${this.certUser ?? '?'}", not "${authz.slice(0, 40)}"`);
      this.user = await this.node.loginByCertificate(this);
      this.host.metrics.logins.inc({ result: 'ok' });
    } catch (e) {
      if (!(e instanceof ChatdError)) throw e;
      this.host.metrics.logins.inc({ result: e.code });
      this.saslError = e;
      return this.num('904', `SASL authentication failed: ${e.code}: ${e.message}`);
    }
    this.num('900', `${this.me}!${this.me}@${IRC_HOST}`, this.user.name, `You are now logged in as ${this.user.name}`);
    this.num('903', 'SASL authentication successful');
  }

  /** node.login, like every other login: throttle, lockout, certificate binding, session slots. */
  private async tryLogin(name: string, password: string): Promise<ChatdError | null> {
    try {
      this.user = await this.host.login(this, name, password);
      this.host.metrics.logins.inc({ result: 'ok' });
      return null;
    } catch (e) {
      if (!(e instanceof ChatdError)) throw e;
      this.host.metrics.logins.inc({ result: e.code });
      return e;
    }
  }

  private async nickCommand(want: string | undefined): Promise<void> {
    if (!want) return this.num('431', 'No nickname given');
    if (!this.registered) {
      this.nick = want;
      return this.register();
    }
    if (normalizeUsername(want) === this.user!.name) return;
    this.num('432', want, `Your nick is your account name, ${this.user!.name}`);
  }

  /**
   * Registration ends once NICK and USER are in and CAP negotiation (if any) is over: logged in by SASL
   * already, or now with PASS. The account is the certificate's name where the certificate binds it,
   * else the nick; the 001 names the account, which is how a client learns its nick.
   */
  private async register(): Promise<void> {
    if (this.registered || this.capNegotiating || !this.nick || !this.userSeen || this.closing) return;
    if (!this.user) {
      const password = this.password;
      this.password = null;
      if (password === null) {
        const why = this.saslError;
        this.num('464', why ? `${why.code}: ${why.message}` : 'Password required: use SASL PLAIN or PASS');
        return this.close(why?.code ?? 'AUTH_FAILED', why?.message ?? 'no password given');
      }
      const account = this.node.config.certBinding === 'cn' && this.certUser ? this.certUser : this.nick.toLowerCase();
      const err = await this.tryLogin(account, password);
      if (err) {
        this.num('464', `${err.code}: ${err.message}`);
        return this.close(err.code, err.message);
      }
    }
    if (this.closing) return;
    this.registered = true;
    this.loggedIn();
    await this.host.attach(this);
  }

  // ---- commands -----------------------------------------------------------------------------
  /** Runs a chatd command for an IRC command; its result is the IRC reply, so only an error is returned. */
  private async quiet(line: string): Promise<ErrorFrame | null> {
    const answer = await this.node.registry.dispatch(line, { host: this.node, session: this, user: this.user!, prefix: this.node.prefix });
    let err: ErrorFrame | null = null;
    for (const f of answer.frames) {
      if (f.type === 'error') { this.host.metrics.errors.inc({ code: f.code }); err = f; } else if (f.type !== 'result') this.send(f);
    }
    if (answer.close) this.end();
    return err;
  }

  private isCommand(text: string): boolean {
    return sanitizeText(text).trimStart().startsWith(this.node.prefix);
  }

  private async privmsg(notice: boolean, targets: string | undefined, text: string | undefined): Promise<void> {
    if (!targets) return notice ? undefined : this.num('411', 'No recipient given (PRIVMSG)');
    if (!text) return notice ? undefined : this.num('412', 'No text to send');
    // A command goes to chatd once, whatever the targets; its answer comes back as notices.
    if (!notice && this.isCommand(text)) return this.node.input(this, { kind: 'say', text, id: `irc-${++this.ackSeq}` });
    const c = ctcp(text);
    // CTCP other than ACTION (VERSION, DCC, ...) is not passed on: DESIGN "IRC front door".
    if (c && c.verb !== 'ACTION') return;
    for (const target of targets.split(',').slice(0, 4)) {
      try {
        if (target.startsWith('#')) {
          const room = normalizeRoom(target);
          if (!room || !this.rooms.has(room)) {
            if (!notice) this.num('404', target, 'Cannot send to channel (join it first)');
            continue;
          }
          this.node.say(this, c ? c.arg : text, c ? 'me' : 'say', room, `irc-${++this.ackSeq}`);
        } else {
          const to = normalizeUsername(target);
          if (!to) { if (!notice) this.num('401', target, 'No such nick/channel'); continue; }
          const err = await this.quiet(`msg ${to} ${c ? `* ${this.me} ${c.arg}` : text}`);
          if (err && !notice) {
            if (err.code === 'NO_SUCH_USER') this.num('401', target, err.message);
            else this.notice(`${err.code}: ${err.message}`);
          }
        }
      } catch (e) {
        if (!(e instanceof ChatdError)) throw e;
        if (notice) continue;
        if (e.code === 'MUTED') this.num('404', target, e.message);
        else this.notice(`${e.code}: ${e.message}`);
      }
    }
  }

  private async joinCommand(arg: string | undefined): Promise<void> {
    if (!arg) return this.num('461', 'JOIN', 'Not enough parameters');
    if (arg === '0') {
      for (const room of [...this.rooms]) await this.quiet(`part ${room}`);
      return;
    }
    for (const name of arg.split(',').slice(0, 10)) {
      const room = normalizeRoom(name);
      if (!room || !name.startsWith('#')) { this.num('403', name, 'No such channel (names are #a-z0-9_-, up to 32)'); continue; }
      if (this.rooms.has(room)) continue;
      const err = await this.quiet(`join ${room}`);
      if (err) this.num(err.code === 'FORBIDDEN' ? '405' : '403', name, `${err.code}: ${err.message}`);
    }
  }

  private async partCommand(arg: string | undefined): Promise<void> {
    if (!arg) return this.num('461', 'PART', 'Not enough parameters');
    for (const name of arg.split(',')) {
      const room = normalizeRoom(name);
      if (!room || !this.rooms.has(room)) { this.num('442', name, 'You\'re not on that channel'); continue; }
      const err = await this.quiet(`part ${room}`);
      if (err) this.notice(`${err.code}: ${err.message}`);
    }
  }

  private async topicCommand(name: string | undefined, text: string | undefined): Promise<void> {
    if (!name) return this.num('461', 'TOPIC', 'Not enough parameters');
    const room = normalizeRoom(name);
    if (!room || !this.rooms.has(room)) return this.num('442', name, 'You\'re not on that channel');
    if (text === undefined) {
      const t = this.node.topicOf(room);
      return t ? this.num('332', channel(room), t) : this.num('331', channel(room), 'No topic is set');
    }
    // chatd's topic command acts on the current room: this one, for this command.
    this.current = room;
    const err = await this.quiet(`topic ${text}`);
    if (err) {
      if (err.code === 'FORBIDDEN') this.num('482', channel(room), `You're not channel operator (${err.message})`);
      else this.notice(`${err.code}: ${err.message}`);
    }
  }

  private async namesCommand(arg: string | undefined): Promise<void> {
    if (!arg) return this.num('366', '*', 'End of /NAMES list.');
    for (const name of arg.split(',')) {
      const room = normalizeRoom(name);
      if (!room) { this.num('366', name, 'End of /NAMES list.'); continue; }
      for (const l of await this.namesLines(room)) this.out(l);
    }
  }

  private async who(mask: string | undefined): Promise<void> {
    if (!mask) return this.num('315', '*', 'End of /WHO list.');
    const row = (chan: string, nick: string, role: string, node: string) =>
      this.num('352', chan, nick, IRC_HOST, node, nick, `H${rolePrefix(role)}`, `0 ${nick}`);
    if (mask.startsWith('#')) {
      const room = normalizeRoom(mask);
      if (room) for (const [nick, m] of await this.members(room)) row(channel(room), nick, m.role, m.node);
    } else {
      const nick = normalizeUsername(mask);
      const p = nick ? (await this.node.presence()).find((x) => x.user === nick) : undefined;
      if (p) row('*', p.user, p.role, p.node);
    }
    this.num('315', mask, 'End of /WHO list.');
  }

  private async whois(target: string | undefined): Promise<void> {
    if (!target) return this.num('431', 'No nickname given');
    const nick = normalizeUsername(target);
    const entries = nick ? (await this.node.presence()).filter((p) => p.user === nick) : [];
    if (!nick || !entries.length) {
      this.num('401', target, 'No such nick/channel');
      return this.num('318', target, 'End of /WHOIS list.');
    }
    const p = entries[0];
    const rooms = [...new Set(entries.flatMap((e) => e.rooms))].sort();
    this.num('311', nick, nick, IRC_HOST, '*', `${nick} (${p.role})`);
    if (rooms.length) this.num('319', nick, rooms.map((r) => rolePrefix(p.role) + channel(r)).join(' '));
    this.num('312', nick, this.server, `node ${p.node}`);
    // One away state per account, shared with chat-cli users and across nodes (//away, //back).
    const away = this.node.awayOf(nick);
    if (away) this.num('301', nick, away.message);
    this.num('330', nick, nick, 'is logged in as');
    const active = Math.max(...entries.map((e) => e.lastActive));
    const since = Math.min(...entries.map((e) => e.since));
    this.num('317', nick, String(Math.max(0, Math.floor((Date.now() - active) / 1000))), String(Math.floor(since / 1000)), 'seconds idle, signon time');
    this.num('318', nick, 'End of /WHOIS list.');
  }

  private async list(): Promise<void> {
    const counts = new Map<string, Set<string>>();
    for (const p of await this.node.presence()) for (const r of p.rooms) (counts.get(r) ?? counts.set(r, new Set()).get(r)!).add(p.user);
    let known: string[] = [];
    try { known = (await this.node.db.listRooms()).map((r) => r.name); } catch { /* the database may be down; rooms with people in them still show */ }
    this.num('321', 'Channel', 'Users  Name');
    for (const room of [...new Set([...known, ...counts.keys()])].sort()) {
      this.num('322', channel(room), String(counts.get(room)?.size ?? 0), this.node.topicOf(room) || ' ');
    }
    this.num('323', 'End of /LIST');
  }

  /**
   * IRCv3 away-notify: an AWAY line (no text: back) for a client that asked for it. Sent for every
   * account, not only those in a shared channel: away states are public here anyway (users, whois),
   * and a node does not know the channels of users on other nodes without a presence read.
   */
  override awayChanged(user: string, message: string | null): void {
    if (!this.caps.has('away-notify') || !this.user || user === this.user.name) return;
    this.out(ircLine(userPrefix(user), 'AWAY', message === null ? [] : [message]));
  }

  private awayCommand(text: string | undefined): void {
    const clean = text ? sanitizeText(text).trim().slice(0, 200) : '';
    this.node.setAway(this.user!.name, clean || null);
    if (!clean) return this.num('305', 'You are no longer marked as being away');
    this.num('306', 'You have been marked as being away');
  }

  private async kick(chan: string | undefined, nick: string | undefined, reason: string | undefined): Promise<void> {
    if (!chan || !nick) return this.num('461', 'KICK', 'Not enough parameters');
    const err = await this.quiet(`kick ${nick}${reason ? ' ' + reason : ''}`);
    if (!err) return;
    if (err.code === 'FORBIDDEN') this.num('482', chan, `You're not channel operator (${err.message})`);
    else if (err.code === 'NO_SUCH_USER') this.num('401', nick, err.message);
    else this.notice(`${err.code}: ${err.message}`);
  }

  /** Channel modes are fixed (+nt) and roles come from chatd: MODE answers, it never changes anything. */
  private modeCommand(target: string | undefined, change: string | undefined): void {
    if (!target) return this.num('461', 'MODE', 'Not enough parameters');
    if (target.startsWith('#')) {
      if (!change) return this.num('324', target, '+nt');
      if (/^[+]?b$/.test(change)) return this.num('368', target, 'End of channel ban list');
      return this.num('482', target, 'Channel modes are fixed; roles come from chatd (owner ~, admin &, moderator @)');
    }
    if (normalizeUsername(target) !== this.user!.name) return this.num('502', 'Can\'t change mode for other users');
    this.num('221', '+i');
  }
}
