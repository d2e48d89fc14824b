import type { Actor } from '../access/actor.ts';

/** NSO duties: held in the registry's own organisation, they act on every registration in the nation. */
export const NATIONAL_ROLES = ['registrar', 'registry_manager', 'catalog_reviewer', 'agency_coordinator', 'categorizer'] as const;

/** NSO duties the actor holds anywhere on the registry. */
export function nationalRoles(actor: Actor): string[] {
  if (actor.kind !== 'user' || !actor.duties) return [];
  const out = new Set<string>();
  for (const [, held] of actor.duties) for (const r of NATIONAL_ROLES) if (held.has(r)) out.add(r);
  return [...out];
}

/** Organisations (mapped agency organisations included, as the duty reaches down) where the actor is a registration officer. */
export function officerOrgs(actor: Actor): string[] {
  if (actor.kind !== 'user' || !actor.duties) return [];
  return [...actor.duties].filter(([, s]) => s.has('registration_officer')).map(([o]) => o);
}

