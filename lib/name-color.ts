// The color a user's name is shown in at login. Its own module: it is the one piece of a login's
// answer that reads the roles, and node.ts stays within its line budget without it.
import { colorFamily } from './render.js';
import type { Store } from './store/index.js';
import { withTimeout } from './timeout.js';

/**
 * The role above `level` whose color `color` is or looks like (its bright variant), unless it is
 * also the caller's own role's color: nobody may look like staff.
 */
export function staffColorOwner<R extends { level: number; color: string }>(roles: readonly R[], level: number, color: string, ownColor: string | undefined): R | undefined {
  const family = colorFamily(color);
  if (ownColor !== undefined && colorFamily(ownColor) === family) return undefined;
  return roles.find((r) => r.level > level && colorFamily(r.color) === family);
}

/**
 * A user's own color, unless it became the color of a role above them since they chose it (they
 * were demoted, a role was recolored): nobody may look like staff. Their role's color then, and
 * also when the roles cannot be read within `dbTimeoutMs`.
 */
export async function nameColor(
  store: Store, dbTimeoutMs: number, u: { level: number; color: string; nameColor?: string | null; roleColor?: string },
): Promise<string> {
  if (!u.nameColor || !u.roleColor) return u.color;
  try {
    const roles = await withTimeout(store.listRoles(), dbTimeoutMs);
    return staffColorOwner(roles, u.level, u.nameColor, u.roleColor) ? u.roleColor : u.color;
  } catch {
    return u.roleColor;
  }
}
