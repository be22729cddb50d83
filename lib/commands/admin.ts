// Level-100 commands: admins.
import { ChatdError } from '../errors.js';
import { mayGrant } from '../auth/policy.js';
import { checkText } from '../sanitize.js';
import { command, type Command } from './registry.js';
import { target } from './moderation.js';

const role = command({
  name: 'role', level: 100, usage: '<user> <role>', minArgs: 2, maxArgs: 2,
  description: 'give a user another role (below your own level)',
  examples: ['bob moderator'],
  async run(ctx) {
    const u = await target(ctx);
    const r = await ctx.node.store.getRole(ctx.args[1].toLowerCase());
    if (!r) {
      const names = (await ctx.node.store.listRoles()).map((x) => x.name).join(', ');
      throw new ChatdError('BAD_ARGS', `no role "${ctx.args[1].slice(0, 32)}"; roles: ${names}`);
    }
    if (!mayGrant(ctx.user.level, r.level)) throw new ChatdError('FORBIDDEN', `you cannot grant ${r.name} (level ${r.level}); only roles below your own level`);
    await ctx.node.store.setUserRole(u.id, r.name);
    ctx.node.updateUser(u.username, r);
    ctx.node.publishEvent('role', { user: u.username, by: ctx.user.name, role: r.name });
    await ctx.node.store.audit({ actor: ctx.user.name, action: 'role', target: u.username, detail: `${u.role} -> ${r.name}` });
    return { text: `${u.username} is now ${r.name}`, data: { user: u.username, role: r.name, level: r.level } };
  },
});

const announce = command({
  name: 'announce', level: 100, usage: '<text>', minArgs: 1,
  description: 'a notice to everyone online, in every room',
  examples: ['Server restarts at 22:00 UTC'],
  async run(ctx) {
    const text = checkText(ctx.rest(0), ctx.node.config.limits.maxText);
    // `reason` is the free text of DESIGN's event fields; `text` names it for what it is.
    ctx.node.publishEvent('announce', { by: ctx.user.name, text, reason: text });
    await ctx.node.store.audit({ actor: ctx.user.name, action: 'announce', detail: text });
    return { text: 'announced' };
  },
});

export const ADMIN_COMMANDS: Command[] = [role, announce];
