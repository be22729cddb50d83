// What other writers of the database (chat-admin, nodes whose bus messages were lost) changed and
// live sessions must feel: read at start and every `limits.databasePollMs`. One round at a time (the
// next is scheduled when the previous has ended), each poll bounded by `limits.dbTimeoutMs`, and a
// query the database has not answered yet is not sent again: an outage cannot stack them up.
import { ADMIN_ACTOR } from './auth/policy.js';
import { AuditFollow } from './audit-follow.js';
import { banMessage, kickMessage } from './duration.js';
import { nameColor } from './name-color.js';
import { EVERY_ACCOUNT } from './account-changes.js';
import type { Logger } from './log.js';
import type { Session } from './session.js';
import type { MuteRecord, Store } from './store/index.js';
import { withTimeout } from './timeout.js';

/** What the polls need of the node. */
export interface PolledNode {
  readonly sessions: ReadonlySet<Session>;
  sessionsOf(user: string): ReadonlySet<Session> | undefined;
  restyle(sessions: Iterable<Session>, r: { role?: string; level: number; color: string }): void;
  /** Applies a mute list read from the database, unless a mute changed since `beginMuteLoad`. */
  beginMuteLoad(): (list: MuteRecord[]) => void;
  /** A role, level or state change heard of (lib/account-changes.ts); EVERY_ACCOUNT for a role's. */
  accountChanged(user: string): void;
  /** A room's topic as the database has it ('' for none): one a lost bus message would have brought. */
  topicStored(room: string, topic: string): void;
  /** Messages erased from the database by `upTo` (ms) leave what the node remembers of recent ones. */
  forgetErased(upTo: number): Promise<number>;
  /** An erased account's away text leaves the node (its name is free for the next account). */
  forgetAway(account: number): void;
  /** An erased account's messages written after its purge are deleted, and forgotten here. */
  eraseLate(account: number): Promise<void>;
}

export type PollLimits = { databasePollMs: number; dbTimeoutMs: number };

export class DatabasePollers {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** A round is running (it schedules the next when it ends); the delay the waiting one was set with. */
  private inRound = false;
  private scheduledMs = 0;
  private readonly unanswered = new Set<string>(); // polls whose query is still out
  private failing = false;
  private revoked: Set<string> | null = null;
  private bans = new Set<number>(); // ids of the active bans already applied to live sessions
  private audit: AuditFollow | null = null; // the audit entries this node has followed

  constructor(private readonly node: PolledNode, private readonly store: Store, private readonly limits: PollLimits, private readonly log: Logger) {}

  /** The first round (awaited: a node starts with what the database knows), then one round after another. */
  async start(): Promise<void> {
    this.inRound = true;
    await this.round().finally(() => { this.inRound = false; });
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /**
   * A reload changed limits.databasePollMs: the round waiting on the old delay is scheduled again on
   * the new one, and polls that were off start (a poll at 0 ended the chain of rounds for good).
   * During a round nothing is to do: the round schedules the next one when it ends.
   */
  reconfigure(): void {
    if (this.stopped || this.inRound) return;
    if (this.timer && this.scheduledMs === this.limits.databasePollMs) return; // unchanged: not postponed
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped || this.limits.databasePollMs <= 0) return;
    this.scheduledMs = this.limits.databasePollMs;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.inRound = true;
      void this.round().finally(() => { this.inRound = false; }).then(() => this.schedule());
    }, this.limits.databasePollMs);
  }

  /** All four polls; ends when each has finished or timed out, never throws. */
  private async round(): Promise<void> {
    const polls: Array<[string, () => Promise<void>]> = [
      ['revocations', () => this.pollRevocations()], ['mutes', () => this.pollMutes()],
      ['bans', () => this.pollBans()], ['admin changes', () => this.pollAdminChanges()],
    ];
    const results = await Promise.allSettled(polls.map(([name, poll]) => this.bounded(name, poll)));
    if (this.stopped) return; // a round cut short by shutdown is no outage
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [`${polls[i]![0]}: ${(r.reason as Error)?.message ?? r.reason}`] : []));
    if (failed.length && !this.failing) this.log.warn('database polls failing; live sessions keep what they know', { failed });
    else if (!failed.length && this.failing) this.log.info('database polls answer again');
    this.failing = failed.length > 0;
  }

  private bounded(name: string, poll: () => Promise<void>): Promise<void> {
    if (this.unanswered.has(name)) return Promise.reject(new Error('the previous query has not been answered'));
    this.unanswered.add(name);
    return withTimeout(poll().finally(() => this.unanswered.delete(name)), this.limits.dbTimeoutMs);
  }

  /**
   * `chat-admin cert revoke` only writes the database; every node notices new rows here and ends
   * the live sessions that use a revoked certificate (logins check the table directly).
   */
  private async pollRevocations(): Promise<void> {
    const list = await this.store.listRevoked();
    const known = this.revoked;
    this.revoked = new Set(list);
    if (!known) return;
    for (const fp of list) {
      if (known.has(fp)) continue;
      this.log.info('certificate revoked; closing its sessions', { fingerprint: fp });
      for (const s of [...this.node.sessions]) if (s.fingerprint === fp) s.bye('CERT_REVOKED');
    }
  }

  /**
   * The database is the truth for mutes: loaded at start (a node started after a mute knows it),
   * and polled so that nodes converge even on a mute the bus lost (Redis outage). The bus only
   * makes it immediate.
   */
  private async pollMutes(): Promise<void> {
    const apply = this.node.beginMuteLoad();
    apply(await this.store.activeMutes());
  }

  /**
   * `chat-admin ban add` writes the database only (as `cert revoke` does): a ban this node has not
   * applied yet closes the live sessions it matches, by user, address or certificate. A `//ban`
   * has closed them already through the bus; finding none is the normal case then.
   */
  private async pollBans(): Promise<void> {
    const list = await this.store.listActiveBans();
    const applied = this.bans;
    this.bans = new Set(list.map((b) => b.id));
    for (const b of list) {
      if (applied.has(b.id)) continue;
      // A login of the user in flight is hit too (sessionsOf includes the sessions holding a slot
      // before they are attached): its own ban check may have run before this ban was written, and
      // once marked applied the ban would not be looked at again for it.
      const hit = new Set(b.username ? this.node.sessionsOf(b.username) ?? [] : []);
      for (const s of this.node.sessions) {
        if ((b.userId !== null && s.user?.id === b.userId) || (b.ip && s.remote === b.ip) || (b.certFingerprint && s.fingerprint === b.certFingerprint)) hit.add(s);
      }
      for (const s of hit) {
        this.log.info('ban applied to a live session', { session: s.id, user: s.user?.name ?? b.username, ban: b.id });
        s.bye('BANNED', banMessage(b));
      }
    }
  }

  /**
   * chat-admin changes the database only; its audit entries tell running nodes what to apply to
   * live sessions: a new role (`user role`), a role's new level or color (`role set`), a disabled
   * account (`user disable`: its sessions end with bye KICKED). A `//role` is followed too: its bus
   * message is lost when the issuing node is cut off from Redis (delivered there only), and a
   * demoted moderator kept their level on every other node until they logged in again. Entries
   * before this node started were in the database when its sessions logged in. A failed poll
   * resumes from the cursor. A `//kick` is followed for the same reason (see applyKick), and so is
   * a `//topic`: a node kept the topics it loaded at start and those the bus brought, so one set on
   * a node cut off from Redis was never seen on the others (//topic, join) until they restarted. Its
   * row is written with the topic, in one transaction; the topic is read from `rooms` when the row is
   * seen. The first round loads every topic after taking the cursor: none set in between is missed.
   */
  private async pollAdminChanges(): Promise<void> {
    if (this.audit === null) {
      const cursor = await this.store.lastAuditId();
      for (const r of await this.store.roomTopics()) this.node.topicStored(r.name, r.topic);
      this.audit = new AuditFollow(cursor);
      return;
    }
    const follow = this.audit;
    const actions = ['role', 'kick', 'topic'];
    // Rows that committed behind a higher id already read (lib/audit-follow.ts), then the new ones.
    const late = follow.late ? await this.store.auditAfter(follow.late.after, ADMIN_ACTOR, actions, follow.late.upTo) : [];
    for (const e of [...late, ...await this.store.auditAfter(follow.after, ADMIN_ACTOR, actions)]) {
      if (!follow.isNew(e.id)) continue;
      if (e.action === 'kick') this.applyKick(e.actor, e.target, e.detail, e.ts);
      else if (e.action === 'topic') await this.applyTopic(e.target);
      else await this.applyAdminChange(e.action, e.target, e.ts);
      follow.done(e.id);
    }
    follow.settle();
  }

  /** The room's topic as stored now: the row's own text, or a newer one whose row comes next. */
  private async applyTopic(target: string | null): Promise<void> {
    const room = target?.startsWith('#') ? target.slice(1) : null;
    if (room) this.node.topicStored(room, await this.store.roomTopic(room));
  }

  /**
   * A `//kick` whose bus message was lost (the issuing node cut off from Redis delivers it locally
   * only) would leave the target's sessions here open. Its entry closes the sessions of the target
   * on this node that began before it (logins in flight included, as the bus's kill reaches them);
   * those that began after are a login since the kick and stay. The cursor makes it apply once; when
   * the bus did carry it, those sessions are gone already and nothing happens. Times are the issuing
   * node's clock against this one's: nodes keep their clocks in step (NTP).
   */
  private applyKick(by: string, target: string | null, reason: string | null, ts: number): void {
    if (!target) return;
    for (const s of [...this.node.sessionsOf(target) ?? []]) {
      if (s.since > ts) continue;
      this.log.info('kick applied to a live session', { session: s.id, user: target, by });
      s.bye('KICKED', kickMessage(by, reason));
    }
  }

  private async applyAdminChange(action: string, target: string | null, ts: number): Promise<void> {
    if (!target) return;
    // `chat-admin purge`: the entry names the account only as deleted-<id> (its old name is what
    // was erased), so its live sessions are found by id.
    const purged = action === 'user.purge' ? /^deleted-(\d+)$/.exec(target) : null;
    if (purged) {
      const id = Number(purged[1]);
      // Its messages are gone from the database; a join must not bring them back from memory. First,
      // so that once its sessions have ended nothing of it is served.
      await this.node.forgetErased(ts).catch((e) => this.log.warn('purged messages not forgotten in memory', { err: (e as Error).message }));
      // Its away text too: the name is free, and the next account given it must not show it.
      this.node.forgetAway(id);
      for (const s of [...this.node.sessions]) if (s.user?.id === id) s.bye('KICKED', 'account erased by an administrator');
      // Until now (or the revocation poll) its sessions here kept talking, and what they said was
      // written under its id after the purge had deleted the rest: deleted too.
      await this.node.eraseLate(id).catch((e) => this.log.warn('messages said after a purge not erased', { err: (e as Error).message }));
      return;
    }
    // The audit row and the change it tells of are committed together (withAudit in the store): the
    // account read here already has the role or state the row names.
    if (action === 'user.role' || action === 'user.disable' || action === 'role') {
      this.node.accountChanged(target);
      const sessions = this.node.sessionsOf(target);
      if (!sessions?.size) return;
      const u = await this.store.getUser(target);
      if (!u) return;
      if (u.disabled) for (const s of [...sessions]) s.bye('KICKED', 'account disabled by an administrator');
      // The color a login would show: their own, unless that is now the color of a role above them.
      else this.node.restyle(sessions, { role: u.role, level: u.level, color: await nameColor(this.store, this.limits.dbTimeoutMs, u) });
    } else if (action === 'role.set') {
      this.node.accountChanged(EVERY_ACCOUNT);
      const r = await this.store.getRole(target);
      if (!r) return;
      for (const s of this.node.sessions) if (s.user?.role === r.name) this.node.restyle([s], r);
      // Nobody may look like staff: whoever below the role shows its new color by a choice of their
      // own shows their role's color again (as nameColor would make it at their next login).
      const below = [...this.node.sessions].filter((s) => s.user && s.user.level < r.level && s.user.color === r.color);
      if (!below.length) return;
      const roles = new Map((await this.store.listRoles()).map((x) => [x.name, x.color]));
      for (const s of below) {
        const own = roles.get(s.user!.role);
        if (own !== undefined && own !== r.color) this.node.restyle([s], { level: s.user!.level, color: own });
      }
    }
  }
}
