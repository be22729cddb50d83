// The IRC commands that act (PRIVMSG/NOTICE, JOIN, PART, TOPIC, KICK, AWAY, MODE), each mapped onto a
// chatd command or node call and its answer onto IRC numerics. Its own module because this is where IRC
// meets chatd's rules: the registry and the node decide, these handlers only translate both ways.
import { ChatdError } from '../errors.js';
import type { ErrorFrame } from '../protocol/frames.js';
import { normalizeRoom, normalizeUsername, sanitizeText } from '../sanitize.js';
import { ircLine } from './message.js';
import { channel, TARGMAX, userPrefix } from './render.js';
import { IrcRegistration } from './registration.js';

/** ACTION and the other CTCP requests: \x01WORD text\x01. */
function ctcp(text: string): { verb: string; arg: string } | null {
  if (!text.startsWith('\x01')) return null;
  const body = text.slice(1).replace(/\x01$/, '');
  const sp = body.indexOf(' ');
  return { verb: (sp < 0 ? body : body.slice(0, sp)).toUpperCase(), arg: sp < 0 ? '' : body.slice(sp + 1) };
}

export abstract class IrcChannels extends IrcRegistration {
  private ackSeq = 0;

  /**
   * The first TARGMAX targets of a comma list; the others are answered with one ERR_TOOMANYTARGETS
   * (407) naming the first of them, except for NOTICE, which is never answered, so a client that
   * ignored TARGMAX learns what was not done. One, not one each: a line of 500 commas was answered
   * with 500 lines. `unique`: each target once (CASEMAPPING=ascii: `#Lobby` is `#lobby`).
   */
  protected targets(command: keyof typeof TARGMAX, list: string, unique = false): string[] {
    const all = list.split(',');
    const names = unique ? all.filter((t, i) => all.findIndex((u) => u.toLowerCase() === t.toLowerCase()) === i) : all;
    const max = TARGMAX[command];
    const over = names.length - max;
    if (over > 0 && command !== 'NOTICE') {
      this.num('407', names[max]!, `Too many targets: at most ${max} a line for ${command}${over > 1 ? ` (${over} not done)` : ''}`);
    }
    return names.slice(0, max);
  }

  /**
   * The targets of a PRIVMSG or NOTICE, each once, the line's flood token paying for the first and one
   * more token for each other: flood control counts messages, as it does for JSON (a say frame is one
   * message). Without it one line posted four copies into a channel (`#a,#a,#a,#a`), or four DMs, for one
   * token. Targets past the tokens left are refused as a line over the limit is (RATE_LIMITED).
   */
  private messageTargets(notice: boolean, list: string): string[] {
    const names = this.targets(notice ? 'NOTICE' : 'PRIVMSG', list, true);
    for (let n = 1; n < names.length; n++) {
      if (this.flood.take()) continue;
      this.refuse('');
      return names.slice(0, n);
    }
    return names;
  }

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

  /**
   * An IRC command that does what a chatd command does without running it (ACTION for //me, WHOIS,
   * LIST) needs that command's level, commandLevels included, as the JSON join frame needs //join's.
   */
  protected assertLevel(command: string): void {
    this.node.registry.assertLevel(command, this.user!.level, this.node.prefix);
  }

  private isCommand(text: string): boolean {
    return sanitizeText(text).trimStart().startsWith(this.node.prefix);
  }

  protected async privmsg(notice: boolean, targets: string | undefined, text: string | undefined): Promise<void> {
    if (!targets) return notice ? undefined : this.num('411', 'No recipient given (PRIVMSG)');
    if (!text) return notice ? undefined : this.num('412', 'No text to send');
    if (this.isCommand(text)) {
      // Nothing answers a NOTICE, so it runs nothing; nor is it passed on: a prefixed line is never
      // shown to others (a //passwd sent as a NOTICE went to the channel and into its history).
      if (notice) return;
      // A command goes to chatd once, whatever the targets; its answer comes back as notices. Typed
      // in a channel's window it acts on that channel (//topic, //me, //part): the say carries the
      // room, as a JSON say does (FrameInput.commandIn); chatd's current room, the last one joined,
      // is not what an IRC user sees. Without an id: an id makes a frame exactly-once per user
      // (lib/dedupe.ts), and ids numbered per connection repeat on the next one, where the same
      // command line was answered from memory and never run (a moderator's //kick after a
      // reconnect). IRC clients do not resend.
      const room = targets.startsWith('#') ? normalizeRoom(targets.split(',')[0]!) : null;
      return this.node.input(this, { kind: 'say', text, ...(room && this.rooms.has(room) ? { room } : {}) });
    }
    const c = ctcp(text);
    // CTCP other than ACTION (VERSION, DCC, ...) is not passed on: DESIGN "IRC front door".
    if (c && c.verb !== 'ACTION') return;
    for (const target of this.messageTargets(notice, targets)) {
      try {
        if (target.startsWith('#')) {
          const room = normalizeRoom(target);
          if (!room || !this.rooms.has(room)) {
            if (!notice) this.num('404', target, 'Cannot send to channel (join it first)');
            continue;
          }
          if (c) this.assertLevel('me');
          this.node.say(this, c ? c.arg : text, c ? 'me' : 'say', room, `irc-${++this.ackSeq}`, notice);
        } else {
          const to = normalizeUsername(target);
          if (!to) { if (!notice) this.num('401', target, 'No such nick/channel'); continue; }
          if (notice) { await this.noticeDm(to, c ? `* ${this.me} ${c.arg}` : text); continue; }
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

  /**
   * A NOTICE to a nick: //msg's DM, marked a notice, without //msg's answers (its result, and the
   * "away" reply a DM to someone away gets): nothing answers a NOTICE. To someone offline it is not
   * kept for later: a NOTICE is for who is there, and the sender is never told it was not delivered.
   */
  private async noticeDm(to: string, text: string): Promise<void> {
    this.assertLevel('msg');
    if (await this.node.isOnline(to)) this.node.dm(this, to, text, true);
  }

  protected async joinCommand(arg: string | undefined): Promise<void> {
    if (!arg) return this.num('461', 'JOIN', 'Not enough parameters');
    if (arg === '0') {
      for (const room of [...this.rooms]) await this.quiet(`part ${room}`);
      return;
    }
    for (const name of this.targets('JOIN', arg)) {
      const room = normalizeRoom(name);
      if (!room || !name.startsWith('#')) { this.num('403', name, 'No such channel (names are #a-z0-9_-, up to 32)'); continue; }
      if (this.rooms.has(room)) continue;
      const err = await this.quiet(`join ${room}`);
      if (err) this.num(err.code === 'FORBIDDEN' ? '405' : '403', name, `${err.code}: ${err.message}`);
    }
  }

  protected async partCommand(arg: string | undefined): Promise<void> {
    if (!arg) return this.num('461', 'PART', 'Not enough parameters');
    for (const name of this.targets('PART', arg)) {
      const room = normalizeRoom(name);
      if (!room || !this.rooms.has(room)) { this.num('442', name, 'You\'re not on that channel'); continue; }
      const err = await this.quiet(`part ${room}`);
      if (err) this.notice(`${err.code}: ${err.message}`);
    }
  }

  protected async topicCommand(name: string | undefined, text: string | undefined): Promise<void> {
    if (!name) return this.num('461', 'TOPIC', 'Not enough parameters');
    const room = normalizeRoom(name);
    if (!room || !this.rooms.has(room)) return this.num('442', name, 'You\'re not on that channel');
    if (text === undefined) {
      // The view is //topic without arguments: its level, commandLevels included, holds here too.
      this.assertLevel('topic');
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

  /**
   * IRCv3 away-notify: an AWAY line (no text: back) for a client that asked for it. Sent for every
   * account, not only those in a shared channel: away states are public here anyway (users, whois),
   * and a node does not know the channels of users on other nodes without a presence read.
   */
  override awayChanged(user: string, message: string | null): void {
    if (!this.caps.has('away-notify') || !this.user || user === this.user.name) return;
    this.out(ircLine(userPrefix(user), 'AWAY', message === null ? [] : [message]));
  }

  /** chatd's away and back commands: their length limit (refused, never cut) and command levels. */
  protected async awayCommand(text: string | undefined): Promise<void> {
    const clean = text ? sanitizeText(text) : '';
    const err = await this.quiet(clean ? `away ${clean}` : 'back');
    if (err) return this.notice(`${err.code}: ${err.message}`);
    if (!clean) return this.num('305', 'You are no longer marked as being away');
    this.num('306', 'You have been marked as being away');
  }

  /**
   * KICK is chatd's kick (every session of the user ends), but it names a channel, and IRC's rules for
   * that channel hold: a channel (403), one the kicker is on (442), and the target on it (441) when
   * presence shows them online; one this node cannot see (bus down) is left to //kick, which handles
   * that. A KICK naming any channel at all disconnected the target from the whole server.
   */
  protected async kick(chan: string | undefined, nick: string | undefined, reason: string | undefined): Promise<void> {
    if (!chan || !nick) return this.num('461', 'KICK', 'Not enough parameters');
    const room = normalizeRoom(chan);
    if (!room || !chan.startsWith('#')) return this.num('403', chan, 'No such channel');
    if (!this.rooms.has(room)) return this.num('442', chan, 'You\'re not on that channel');
    try {
      this.assertLevel('kick');
    } catch (e) {
      if (e instanceof ChatdError) return this.num('482', chan, `You're not channel operator (${e.message})`);
      throw e;
    }
    // Not a user name (a space in a trailing parameter: `KICK #a :bob gone`), it named nobody: passed on
    // as written, it skipped the 441 check below and kicked bob with the reason "gone".
    const who = normalizeUsername(nick);
    if (!who) return this.num('401', nick, 'No such nick/channel');
    const sessions = (await this.node.onlineUsers()).get(who);
    if (sessions && !sessions.some((p) => p.rooms.includes(room))) return this.num('441', nick, chan, 'They aren\'t on that channel');
    const err = await this.quiet(`kick ${who}${reason ? ' ' + reason : ''}`);
    if (!err) return;
    if (err.code === 'FORBIDDEN') this.num('482', chan, `You're not channel operator (${err.message})`);
    else if (err.code === 'NO_SUCH_USER') this.num('401', nick, err.message);
    else this.notice(`${err.code}: ${err.message}`);
  }

  /** Channel modes are fixed (+nt) and roles come from chatd: MODE answers, it never changes anything. */
  protected modeCommand(target: string | undefined, change: string | undefined): void {
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
