import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../store/db.ts';
import { CASCADING_ROLES, ROLE_PERMISSIONS, roleHas, type Permission } from './roles.ts';
import { loadDuties } from './duties.ts';

export interface UserIdentity {
  id: string;
  name: string;
  sysadmin: boolean;
}

/** Who is calling. 'system' is used only by the CLI and jobs, never by a request. */
export type Actor =
  | { kind: 'anonymous' }
  | {
      kind: 'user';
      user: UserIdentity;
      /** Catalog capacity per organisation id (admin / editor / member). */
      roles: ReadonlyMap<string, string>;
      /** Governance duties per organisation id (src/access/duties.ts). */
      duties?: ReadonlyMap<string, ReadonlySet<string>>;
      /** Signed in (session or token) with a second factor. */
      twoFactor?: boolean;
    }
  | { kind: 'system' };

export const ANONYMOUS: Actor = { kind: 'anonymous' };
export const SYSTEM: Actor = { kind: 'system' };

export function isSysadmin(actor: Actor): boolean {
  return actor.kind === 'system' || (actor.kind === 'user' && actor.user.sysadmin);
}

export function userId(actor: Actor): string | null {
  return actor.kind === 'user' ? actor.user.id : null;
}

/** Does the actor hold a permission in this organisation (sysadmins hold all)? */
export function can(actor: Actor, permission: Permission, orgId: string | null | undefined): boolean {
  if (isSysadmin(actor)) return true;
  if (actor.kind !== 'user' || !orgId) return false;
  return roleHas(actor.roles.get(orgId), permission);
}

/** Organisation ids in which the actor holds a permission. */
export function orgsWith(actor: Actor, permission: Permission): string[] {
  if (actor.kind !== 'user') return [];
  const out: string[] = [];
  for (const [org, role] of actor.roles) if (roleHas(role, permission)) out.push(org);
  return out;
}

export function memberOrgs(actor: Actor): string[] {
  return actor.kind === 'user' ? [...actor.roles.keys()] : [];
}

/**
 * Loads a user's roles per organisation, with cascading roles (admin) extended to every
 * organisation below, so "admin of the ministry" manages its departments as in CKAN's hierarchy.
 */
export async function loadActor(db: Db, user: UserIdentity): Promise<Actor> {
  const rows = (await membershipRowsSql(user.id).execute(db)).rows;
  return actorFromRows(db, user, rows, await loadDuties(db, user.id));
}

/** The rows loadActor reads: the user's roles in active organisations. */
export function membershipRowsSql(userId: RawBuilder<unknown> | string): RawBuilder<{ group_id: string; role: string }> {
  return sql`SELECT m.group_id, m.role FROM memberships m JOIN groups g ON g.id = m.group_id WHERE m.user_id = ${userId} AND g.is_organization = true AND g.state = 'active'`;
}

/** loadActor from membership rows already read (actorFromToken reads them in the token's own statement). */
export async function actorFromRows(db: Db, user: UserIdentity, rows: ReadonlyArray<{ group_id: string; role: string }>, duties: Map<string, Set<string>>): Promise<Actor> {
  const roles = new Map<string, string>();
  for (const r of rows) roles.set(r.group_id, r.role);
  const cascading = rows.filter((r) => CASCADING_ROLES.includes(r.role)).map((r) => r.group_id);
  if (cascading.length) {
    const below = await sql<{ id: string; root: string }>`
      WITH RECURSIVE tree(id, root) AS (
        SELECT id, parent_id FROM groups WHERE parent_id = ANY(${cascading}::uuid[]) AND state = 'active'
        UNION ALL
        SELECT g.id, t.root FROM groups g JOIN tree t ON g.parent_id = t.id WHERE g.state = 'active'
      ) SELECT id, root FROM tree`.execute(db);
    for (const r of below.rows) {
      const inherited = roles.get(r.root) ?? 'admin';
      // A direct, weaker role in a department must not hide the admin right inherited from the ministry.
      if (strength(inherited) > strength(roles.get(r.id))) roles.set(r.id, inherited);
    }
  }
  return { kind: 'user', user, roles, duties };
}

function strength(role: string | undefined): number {
  return role ? (ROLE_PERMISSIONS[role]?.length ?? 0) : -1;
}
