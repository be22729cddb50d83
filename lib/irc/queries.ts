// The IRC commands that only look (NAMES, WHO, WHOIS, LIST): presence across nodes, roles, away states
// and topics, read and rendered as numerics. Its own module because none of it changes anything, and
// all of it reads the cluster's presence rather than this session's state.
import { normalizeRoom, normalizeUsername } from '../sanitize.js';
import { IrcChannels } from './channels.js';
import { IRC_HOST, channel, rolePrefix } from './render.js';

export abstract class IrcQueries extends IrcChannels {
  protected async namesCommand(arg: string | undefined): Promise<void> {
    if (!arg) return this.num('366', '*', 'End of /NAMES list.');
    // Each name costs a presence read (Redis in a cluster): as with JOIN, at most 10 a line, each once.
    for (const name of this.targets('NAMES', arg, true)) {
      const room = normalizeRoom(name);
      if (!room) { this.num('366', name, 'End of /NAMES list.'); continue; }
      // Who is in a channel one is not in is what //users tells: its level (a member sees them on JOIN).
      if (!this.rooms.has(room)) this.assertLevel('users');
      for (const l of await this.namesLines(room)) this.out(l);
    }
  }

  protected async who(mask: string | undefined): Promise<void> {
    if (!mask) return this.num('315', '*', 'End of /WHO list.');
    // H here, G gone: the away state every node shares (//away), which clients read from WHO to grey out
    // names (away-notify keeps them current afterwards). It was always H.
    const row = (chan: string, nick: string, role: string, node: string) =>
      this.num('352', chan, nick, IRC_HOST, node, nick, `${this.node.awayOf(nick) ? 'G' : 'H'}${rolePrefix(role)}`, `0 ${nick}`);
    if (mask.startsWith('#')) {
      const room = normalizeRoom(mask);
      if (room && !this.rooms.has(room)) this.assertLevel('users');
      if (room) for (const [nick, m] of await this.members(room)) row(channel(room), nick, m.role, m.node);
    } else {
      this.assertLevel('whois');
      const nick = normalizeUsername(mask);
      const p = nick ? (await this.node.presence()).find((x) => x.user === nick) : undefined;
      if (p) row('*', p.user, p.role, p.node);
    }
    this.num('315', mask, 'End of /WHO list.');
  }

  protected async whois(target: string | undefined): Promise<void> {
    if (!target) return this.num('431', 'No nickname given');
    this.assertLevel('whois');
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

  protected async list(): Promise<void> {
    this.assertLevel('rooms');
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
}
