// One IRC connection: the third protocol front end beside JSON Lines and text mode. The base Session
// keeps what every mode shares (input order size → flood → parse, the send queue, keepalive, byes); this
// class reads IRC (registration with CAP/SASL or PASS, then commands) and writes IRC. What a line means
// in chat terms is the node's job, reached through the same calls and the same command registry as the
// other modes, so rooms, moderation, limits and the sanitizer are the ones every session has.
// This file holds the input side, each line to its handler; the handlers and the output are layers below:
// output.ts (writing IRC) ← registration.ts (CAP/SASL/PASS) ← channels.ts (commands that act) ←
// queries.ts (NAMES/WHO/WHOIS/LIST) ← IrcSession.
import type { TLSSocket } from 'node:tls';
import type { PeerCert } from '../auth/peer.js';
import type { ChatNode } from '../node.js';
import { IRC_MAX_LINE, ircLine, overLimit, parseIrc, type IrcMessage } from './message.js';
import { IrcQueries } from './queries.js';
import { IRC_HOST } from './render.js';

export class IrcSession extends IrcQueries {
  constructor(socket: TLSSocket, node: ChatNode, peer: PeerCert | null) {
    super(socket, node, peer);
    this.decoder.maxBytes = IRC_MAX_LINE;
  }

  override reconfigure(): void {
    super.reconfigure();
    this.decoder.maxBytes = IRC_MAX_LINE;
  }

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
}
