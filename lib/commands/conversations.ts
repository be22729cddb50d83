// Level-1 commands of DESIGN.md "Conversations": being away, and a name color of one's own.
import { ChatdError } from '../errors.js';
import { staffColorOwner } from '../name-color.js';
import { oneLine, PALETTE, paletteColor } from '../render.js';
import { checkText } from '../sanitize.js';
import { command, type Command } from './registry.js';

const AWAY_MAX = 200; // code points of an away message: it is repeated in users, whois and notices

const away = command({
  name: 'away', level: 1, usage: '[message]', minArgs: 0,
  description: 'say you are away (shown by users and whois; who DMs you is told once)',
  examples: ['', 'lunch, back at 2'],
  run(ctx) {
    // An away message is shown to everyone (users, whois, IRC away-notify on every node): a muted
    // user's words would reach them all. Away without words, and back, say nothing of one's own.
    if (ctx.args.length) ctx.host.assertNotMuted(ctx.user);
    const message = ctx.args.length ? oneLine(checkText(ctx.rest(0), AWAY_MAX)) : 'away';
    ctx.host.setAway(ctx.user, message);
    return { text: `you are away: ${message} (${ctx.prefix}back when you return)`, data: { away: message } };
  },
});

const back = command({
  name: 'back', level: 1, usage: '', minArgs: 0, maxArgs: 0,
  description: 'you are no longer away',
  examples: [''],
  run(ctx) {
    const was = ctx.host.awayOf(ctx.user.name);
    ctx.host.setAway(ctx.user, null);
    return { text: was ? 'welcome back' : 'you were not away', data: { away: null } };
  },
});

const color = command({
  name: 'color', level: 1, usage: '<color>|reset', minArgs: 1, maxArgs: 1,
  description: 'your name\'s color from now on (not the colors of staff roles above you)',
  examples: ['cyan', 'reset'],
  async run(ctx) {
    const asked = ctx.args[0].toLowerCase();
    const me = await ctx.host.db.getUser(ctx.user.name);
    if (!me) throw new ChatdError('NO_SUCH_USER', `no such user: ${ctx.user.name}`);
    const roles = await ctx.host.db.listRoles();
    const own = roles.find((r) => r.name === ctx.user.role);
    let chosen: string;
    if (asked === 'reset') {
      await ctx.host.db.setNameColor(me.id, null);
      chosen = own?.color ?? ctx.user.color;
    } else {
      // The palette's own spelling (redBright): the name is looked up in any case.
      const want = paletteColor(asked);
      if (want === undefined) throw new ChatdError('BAD_ARGS', `"${ctx.args[0].slice(0, 20)}" is not a color; colors: ${PALETTE.join(' ')}`);
      // Nobody may look like staff: the colors of roles above one's own level, and the ones that look
      // like them (their bright variants), are theirs alone.
      const staff = staffColorOwner(roles, ctx.user.level, want, own?.color);
      if (staff) throw new ChatdError('FORBIDDEN', `${want} is the color of ${staff.name}; choose another`);
      await ctx.host.db.setNameColor(me.id, want);
      chosen = want;
    }
    // The color alone: the role and level this command began with may have changed meanwhile (a
    // demotion while it ran), and carrying them to every session would undo that.
    ctx.host.recolor(ctx.user.name, chosen);
    return { text: asked === 'reset' ? `your name has your role's color again (${chosen})` : `your name is ${chosen} now`, data: { color: chosen } };
  },
});

export const CONVERSATION_COMMANDS: Command[] = [away, back, color];
