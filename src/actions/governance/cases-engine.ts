import { sql, type RawBuilder, type SqlBool } from 'kysely';
import { isSysadmin, type Actor } from '../../access/actor.ts';
import { GOVERNANCE_ROLES } from '../../access/duties.ts';
import { loadWorkflows, type Workflows } from '../../workflow/engine.ts';
import type { CaseRecord, WorkflowActor } from '../../workflow/types.ts';
import type { Tx } from '../../store/db.ts';
import { ValidationError } from '../errors.ts';

/** The process definitions, loaded and checked once (a bad file fails the first action, loudly). */
let engine: Workflows | null = null;
export function workflows(): Workflows {
  return (engine ??= loadWorkflows());
}

/** Organisations where the actor holds any governance duty (agency duties already reach down the tree). */
export function dutyOrgs(actor: Actor): string[] {
  return actor.kind === 'user' && actor.duties ? [...actor.duties].filter(([, s]) => s.size > 0).map(([o]) => o) : [];
}

/**
 * The engine's roles of a caller for one case: the duties held in the case's organisation (an
 * agency duty given higher up counts), and `requester` for any signed-in person (requests may come
 * from another agency or a registered private organisation). `creator` the engine adds itself.
 */
export function caseRoles(actor: Actor, c: Pick<CaseRecord, 'org_id'>): string[] {
  if (actor.kind !== 'user') return [];
  const roles = c.org_id ? [...(actor.duties?.get(c.org_id) ?? [])] : [];
  roles.push('requester');
  return roles;
}

export function workflowActor(actor: Actor): WorkflowActor {
  if (actor.kind === 'system') return { id: null, name: 'system', roles: [], system: true };
  if (actor.kind !== 'user') return { id: null, name: 'anonymous', roles: [] };
  return { id: actor.user.id, name: actor.user.name, roles: (c) => caseRoles(actor, c) };
}

/** The duties a process names (steps and notifications): only their holders see its cases, besides the requester. */
const rolesCache = new Map<string, Set<string>>();
export function processRoles(process: string): Set<string> {
  let set = rolesCache.get(process);
  if (!set) {
    const p = workflows().processes.get(process);
    set = new Set<string>();
    if (p) for (const t of [p.def.start, ...p.def.transitions]) for (const r of [...t.roles, ...(t.notify ?? [])]) if (r !== 'creator' && r !== 'requester') set.add(r);
    rolesCache.set(process, set);
  }
  return set;
}

/** Organisations where the actor holds a duty this process names, per process, for the list query. */
export function caseOrgsByProcess(actor: Actor): Map<string, string[]> {
  const out = new Map<string, string[]>();
  if (actor.kind !== 'user' || !actor.duties) return out;
  for (const name of workflows().processes.keys()) {
    const roles = processRoles(name);
    const orgs = [...actor.duties].filter(([, held]) => [...held].some((r) => roles.has(r))).map(([o]) => o);
    if (orgs.length) out.set(name, orgs);
  }
  return out;
}

/**
 * THE list rule for cases, as SQL over a `cases` alias (mayViewCase's rule for one case): the
 * caller's own cases (`own`), and those of a process in an organisation where they hold a duty the
 * process names. case_list, kpi_report and every count of cases use it, so a data creator counts no
 * data-subject request they could not open.
 */
export function visibleCasesSql(actor: Actor, alias = 'cases', opts: { own?: boolean } = {}): RawBuilder<SqlBool> {
  if (isSysadmin(actor)) return sql<SqlBool>`true`;
  if (actor.kind !== 'user') return sql<SqlBool>`false`;
  const col = (c: string) => sql.ref(`${alias}.${c}`);
  const parts: RawBuilder<unknown>[] = [];
  if (opts.own !== false) parts.push(sql`${col('created_by')} = ${actor.user.id}`);
  for (const [process, orgs] of caseOrgsByProcess(actor)) parts.push(sql`(${col('process')} = ${process} AND ${col('org_id')} = ANY(${orgs}::uuid[]))`);
  return parts.length ? sql<SqlBool>`(${sql.join(parts, sql` OR `)})` : sql<SqlBool>`false`;
}

/**
 * Who may see a case at all: its requester, holders of a duty the process names in its
 * organisation (a data creator does not read data-subject requests), sysadmins.
 */
export function mayViewCase(actor: Actor, c: Pick<CaseRecord, 'created_by' | 'org_id'> & { process?: string }): boolean {
  if (isSysadmin(actor)) return true;
  if (actor.kind !== 'user') return false;
  if (c.created_by === actor.user.id) return true;
  if (!c.org_id || !c.process) return false;
  const held = actor.duties?.get(c.org_id);
  if (!held) return false;
  const roles = processRoles(c.process);
  return [...held].some((r) => roles.has(r));
}

/** Open cases whose state locks the dataset: it is under review and may change only by sending it back. */
export async function assertDatasetNotUnderReview(db: Tx, datasetId: string): Promise<void> {
  const locking = await workflows().lockingCases(db, { type: 'dataset', id: datasetId });
  if (!locking.length) return;
  const c = locking[0]!;
  const st = workflows().get(c.process).states.get(c.state)!.label;
  throw ValidationError.field('state', {
    th: `ชุดข้อมูลนี้อยู่ระหว่างการพิจารณาเผยแพร่ (เรื่อง ${c.number}: ${st.th}) จึงแก้ไขไม่ได้ จนกว่าผู้พิจารณาจะส่งกลับให้แก้ไข`,
    en: `This dataset is under publication review (case ${c.number}: ${st.en}) and cannot be edited until a reviewer sends it back`,
  });
}

/** Users holding a duty for a case's organisation: given there, or (agency duties) at an organisation above it. */
export async function dutyHolders(db: Tx, role: string, orgId: string | null): Promise<{ id: string; name: string; fullname: string; email: string; locale: string }[]> {
  if (!orgId) return [];
  const r = await sql<{ id: string; name: string; fullname: string; email: string; locale: string }>`
    WITH RECURSIVE up(id, parent_id, depth) AS (
      SELECT id, parent_id, 0 FROM groups WHERE id = ${orgId}::uuid
      UNION ALL
      SELECT g.id, g.parent_id, up.depth + 1 FROM groups g JOIN up ON g.id = up.parent_id WHERE up.depth < 20
    )
    SELECT DISTINCT u.id, u.name, u.fullname, u.email, u.locale
    FROM duties d JOIN up ON up.id = d.group_id JOIN users u ON u.id = d.user_id
    WHERE d.role = ${role} AND u.state = 'active' AND (up.depth = 0 OR d.role IN (${sql.join(AGENCY_ROLES)}))`.execute(db);
  return r.rows;
}

const AGENCY_ROLES = GOVERNANCE_ROLES.filter((r) => r.scope === 'agency').map((r) => r.key);
