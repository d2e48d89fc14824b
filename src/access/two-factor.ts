import type { Config } from '../config.ts';
import type { Actor } from './actor.ts';

/** Roles whose holders must sign in with a second factor (they manage members and shared data). */
export const TWO_FACTOR_ROLES: readonly string[] = ['admin'];

/**
 * Does this caller's account need 2FA now? Sysadmins, admins of any active organisation (roles as
 * loaded, so a role granted a minute ago counts) and everyone with BANCHI_REQUIRE_2FA_ALL. Checked
 * on every request for sessions and tokens, so a promotion never rides on a sign-in without it.
 */
export function actorNeeds2fa(config: Pick<Config, 'require2faForAll'>, actor: Actor): boolean {
  if (actor.kind !== 'user') return false;
  if (config.require2faForAll || actor.user.sysadmin) return true;
  for (const role of actor.roles.values()) if (TWO_FACTOR_ROLES.includes(role)) return true;
  return false;
}

/** A user caller that would exercise a 2FA-only privilege without having passed 2FA. */
export function lacks2fa(config: Pick<Config, 'require2faForAll'>, actor: Actor): boolean {
  return actor.kind === 'user' && actor.twoFactor !== true && actorNeeds2fa(config, actor);
}
