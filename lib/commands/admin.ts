// Level-100 commands: admins.
import { ChatdError } from '../errors.js';
import { mayGrant } from '../auth/policy.js';
import { checkText } from '../sanitize.js';
import { authorityNow, command, type Command } from './registry.js';

const role = command({
  name: 'role', level: 100, usage: '<user> <role>', minArgs: 2, maxArgs: 2,
  description: 'give a user another role (below your own level)',
  examples: ['bob moderator'],
  target: { arg: 0, outrank: true },
  async run(ctx) {
    const u = ctx.target!;
    const r = await ctx.host.db.getRole(ctx.args[1].toLowerCase());
    if (!r) {
      const names = (await ctx.host.db.listRoles()).map((x) => x.name).join(', ');
      throw new ChatdError('BAD_ARGS', `no role "${ctx.args[1].slice(0, 32)}"; roles: ${names}`);
    }
    if (!mayGrant(await authorityNow(ctx, role), r.level)) throw new ChatdError('FORBIDDEN', `you cannot grant ${r.name} (level ${r.level}); only roles below your own level`);
    // Stored with its audit row in one transaction: nodes follow //role through that row (pollers.ts).
    await ctx.host.db.setUserRole(u.id, r.name, { actor: ctx.user.name, action: 'role', target: u.username, detail: `${u.role} -> ${r.name}` });
    ctx.host.updateUser(u.username, r);
    ctx.host.publishEvent('role', { user: u.username, by: ctx.user.name, role: r.name });
    return { text: `${u.username} is now ${r.name}`, data: { user: u.username, role: r.name, level: r.level } };
  },
});

const announce = command({
  name: 'announce', level: 100, usage: '<text>', minArgs: 1,
  description: 'a notice to everyone online, in every room',
  examples: ['Server restarts at 22:00 UTC'],
  async run(ctx) {
    // A broadcast like any message: a muted admin stays silent.
    ctx.host.assertNotMuted(ctx.user);
    const text = checkText(ctx.rest(0), ctx.host.config.limits.maxText);
    // Audited first: an announcement nobody can trace must not reach everyone.
    await ctx.host.db.audit({ actor: ctx.user.name, action: 'announce', detail: text });
    // `reason` is the free text of DESIGN's event fields; `text` names it for what it is.
    ctx.host.publishEvent('announce', { by: ctx.user.name, text, reason: text });
    return { text: 'announced' };
  },
});

export const ADMIN_COMMANDS: Command[] = [role, announce];
