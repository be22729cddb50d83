// How an IRC session writes: the node's frames turned into IRC lines (shared lines from the frame's
// cache, numerics and notices built per session), the welcome burst and MOTD, and a JOIN told with its
// topic and names while other output waits behind it. Its own module because every other IRC layer
// (registration, commands, queries) writes through it, and none of them needs to know how.
import type { PeerCert } from '../auth/peer.js';
import type { TLSSocket } from 'node:tls';
import type { ByeCode } from '../errors.js';
import type { ChatNode } from '../node.js';
import { VERSION } from '../node.js';
import type { HistoryFrame, MessageFrame, ServerFrame } from '../protocol/frames.js';
import { outgoing, type Outgoing } from '../protocol/outgoing.js';
import { Session } from '../session.js';
import { withTimeout } from '../timeout.js';
import { sanitizeText } from '../sanitize.js';
import { ircLine } from './message.js';
import { channel, renderIrc, rolePrefix, TARGMAX, userPrefix } from './render.js';

/** Numerics whose last parameter is a token, not text (004 server info, 324 channel modes, 221 user modes). */
const NO_TRAILING = new Set(['004', '221', '324']);
/** A user's quit is told once within this long, however many rooms the session shares with them. */
const QUIT_ONCE_MS = 5000;
/** Quits remembered at most (a mass quit: a node of thousands going down at once). */
const QUITS_MAX = 1000;
/** The text of a NOTICE line, in bytes, so that prefix, target and tags still fit in 512. */
const NOTICE_TEXT_BYTES = 400;

/**
 * How many UTF-16 units of `line` fit in `max` UTF-8 bytes, ending between characters: one pass (a
 * cut found by shrinking a slice was quadratic, and could split an emoji into two U+FFFD).
 */
function fitBytes(line: string, max: number): number {
  let bytes = 0;
  let units = 0;
  for (const ch of line) {
    const c = ch.codePointAt(0)!;
    bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    if (bytes > max) break;
    units += ch.length;
  }
  return units;
}

/** Splits text into lines of at most `max` bytes, at spaces where it can. */
function chunks(text: string, max: number): string[] {
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    let line = raw.replace(/\s+$/, '');
    while (Buffer.byteLength(line) > max) {
      const cut = fitBytes(line, max);
      const sp = line.lastIndexOf(' ', cut);
      const at = sp > max / 2 ? sp : cut;
      out.push(line.slice(0, at));
      line = line.slice(at).trimStart();
    }
    if (line) out.push(line);
  }
  return out;
}

export abstract class IrcOutput extends Session {
  /** The nick the client asked for while registering; after registration the account name. */
  protected nick: string | null = null;
  /** Capabilities the client asked for (CAP REQ); several change what is written (tags, echoes, AWAY). */
  protected readonly caps = new Set<string>();
  /** Channels the client has been told it is in (JOIN sent); compared with `rooms` after each command. */
  private readonly shown = new Set<string>();
  /** While a JOIN is being announced (names are looked up), other output waits here, in order. */
  private held: Buffer[] | null = null;
  private heldBytes = 0;
  private joins = 0;
  private joinChain: Promise<void> = Promise.resolve();
  /**
   * A user who leaves gets one QUIT line, not one per shared room (the node reports each room). The
   * user's next JOIN ends that absence: a QUIT after it is a new one and is told, however soon.
   */
  private readonly quits = new Map<string, number>();

  /**
   * Quits told QUIT_ONCE_MS ago or more are of no use: kept until 1,000 piled up, every long-lived
   * session in a busy lobby came to hold a thousand of them. The map is in the order they were told
   * (a quit is told again only after it was forgotten), so the old ones are at its head.
   */
  private forgetQuits(now: number): void {
    for (const [user, at] of this.quits) {
      if (now - at < QUIT_ONCE_MS && this.quits.size < QUITS_MAX) break;
      this.quits.delete(user);
    }
  }

  constructor(socket: TLSSocket, protected readonly node: ChatNode, peer: PeerCert | null) {
    super(socket, 'irc', node, node.nodeName, peer);
  }

  protected get me(): string { return this.user?.name ?? this.nick ?? '*'; }

  protected get server(): string { return this.node.config.serverName; }

  private get tagged(): boolean { return this.caps.has('server-time') || this.caps.has('message-tags'); }

  override send(f: ServerFrame | Outgoing): void {
    if (this.closed) return;
    const data = this.encode(outgoing(f));
    if (data !== null) this.out(data);
  }

  protected out(data: Buffer | string): void {
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

  protected num(code: string, ...params: string[]): void {
    this.out(ircLine(this.server, code, [this.me, ...params], undefined, !NO_TRAILING.has(code)));
  }

  protected notice(text: string): void {
    for (const line of chunks(text, NOTICE_TEXT_BYTES)) this.out(ircLine(this.server, 'NOTICE', [this.me, line]));
  }

  protected override byeData(code: ByeCode, reason: string): string {
    return ircLine(null, 'ERROR', [`${code}: ${sanitizeText(reason)}`]);
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
        // Back in a channel: without this, a QUIT within 5 s of the last one was dropped, and the
        // client kept a user who had left in its channel list until it reconnected.
        if (f.event === 'join' && f.user) this.quits.delete(f.user);
        // The answer to a DM to someone away (//msg's one notice per absence): IRC's RPL_AWAY, which
        // clients show with the query; as a shared event it was a server NOTICE to "*", "dave was away".
        if (f.event === 'away' && f.user) {
          this.num('301', f.user, f.text ?? f.reason ?? 'away');
          return null;
        }
        if (f.event === 'quit' && f.user) {
          const now = Date.now();
          if (now - (this.quits.get(f.user) ?? 0) < QUIT_ONCE_MS) return null;
          this.forgetQuits(now);
          this.quits.set(f.user, now);
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
      'CHANNELLEN=33', 'CHANMODES=,,,nt', `TARGMAX=${Object.entries(TARGMAX).map(([c, n]) => `${c}:${n}`).join(',')}`, 'are supported by this server');
    this.motd();
  }

  protected motd(): void {
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
  protected async members(room: string): Promise<Map<string, { role: string; away: boolean; node: string; since: number; lastActive: number }>> {
    const out = new Map<string, { role: string; away: boolean; node: string; since: number; lastActive: number }>();
    // Presence may come from Redis: a JOIN waits for it at most as long as for the database.
    const all = await withTimeout(this.node.presence(), this.node.config.limits.dbTimeoutMs).catch(() => this.node.localPresence());
    for (const p of all) if (p.rooms.includes(room) && !out.has(p.user)) out.set(p.user, { role: p.role, away: false, node: p.node, since: p.since, lastActive: p.lastActive });
    if (this.user && this.rooms.has(room) && !out.has(this.user.name)) out.set(this.user.name, { role: this.user.role, away: false, node: this.node.nodeName, since: this.since, lastActive: this.lastActive });
    return out;
  }

  protected async namesLines(room: string): Promise<string[]> {
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
  protected sync(): void {
    for (const room of [...this.shown]) {
      if (this.rooms.has(room)) continue;
      this.shown.delete(room);
      this.out(ircLine(userPrefix(this.me), 'PART', [channel(room), 'left']));
    }
  }

  /** Ends the connection with an ERROR line saying why (IRC's bye). */
  protected close(code: string, reason: string): void {
    this.closing = true;
    this.write(ircLine(null, 'ERROR', [`${code}: ${reason}`]));
    this.end();
  }
}
