import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../store/db.ts';
import type { Actor } from './actor.ts';
import file from './governance-roles.json' with { type: 'json' };

/**
 * Governance duties (data owner, steward, CDO, DPO, …) as data (governance-roles.json). They sit
 * beside the catalog capacity of a membership: a person may hold several in one organisation.
 * Agency-scoped duties given at an organisation apply to every organisation below it.
 */
export interface GovernanceRole {
  key: string;
  scope: 'organization' | 'agency';
  label: { th: string; en: string };
  description: { th: string; en: string };
}

export const GOVERNANCE_ROLES: readonly GovernanceRole[] = file.roles as GovernanceRole[];
const BY_KEY = new Map(GOVERNANCE_ROLES.map((r) => [r.key, r]));

export function isGovernanceRole(role: string): boolean {
  return BY_KEY.has(role);
}

export function governanceRole(role: string): GovernanceRole | undefined {
  return BY_KEY.get(role);
}

/** Does the actor hold this duty in the organisation (directly, or an agency duty from above)? Sysadmins hold none by default: approvals need named people. */
export function hasDuty(actor: Actor, role: string, orgId: string | null | undefined): boolean {
  if (actor.kind !== 'user' || !orgId) return false;
  return actor.duties?.get(orgId)?.has(role) ?? false;
}

/** Organisation ids where the actor holds the duty (including those an agency duty reaches). */
export function orgsWithDuty(actor: Actor, role: string): string[] {
  if (actor.kind !== 'user' || !actor.duties) return [];
  return [...actor.duties].filter(([, set]) => set.has(role)).map(([org]) => org);
}

/** The rows loadDuties reads: a user's duties in active organisations. */
export function dutyRowsSql(userId: RawBuilder<unknown> | string): RawBuilder<{ group_id: string; role: string }> {
  return sql`SELECT d.group_id, d.role FROM duties d JOIN groups g ON g.id = d.group_id WHERE d.user_id = ${userId} AND g.state = 'active'`;
}

/** A user's duties per organisation, agency duties extended down the organisation tree. */
export async function loadDuties(db: Db, userId: string): Promise<Map<string, Set<string>>> {
  return dutiesFromRows(db, (await dutyRowsSql(userId).execute(db)).rows);
}

/** loadDuties from rows already read (actorFromToken reads them in the token's own statement). */
export async function dutiesFromRows(db: Db, rows: ReadonlyArray<{ group_id: string; role: string }>): Promise<Map<string, Set<string>>> {
  const out = new Map<string, Set<string>>();
  const add = (org: string, role: string) => {
    let set = out.get(org);
    if (!set) out.set(org, (set = new Set()));
    set.add(role);
  };
  for (const r of rows) add(r.group_id, r.role);
  const agency = rows.filter((r) => BY_KEY.get(r.role)?.scope === 'agency');
  if (agency.length) {
    const roots = [...new Set(agency.map((r) => r.group_id))];
    const below = await sql<{ id: string; root: string }>`
      WITH RECURSIVE tree(id, root) AS (
        SELECT id, parent_id FROM groups WHERE parent_id = ANY(${roots}::uuid[]) AND state = 'active'
        UNION ALL
        SELECT g.id, t.root FROM groups g JOIN tree t ON g.parent_id = t.id WHERE g.state = 'active'
      ) SELECT id, root FROM tree`.execute(db);
    for (const b of below.rows) for (const r of agency) if (r.group_id === b.root) add(b.id, r.role);
  }
  return out;
}
