import { isSysadmin, type Actor } from '../access/actor.ts';
import { hasDuty, orgsWithDuty } from '../access/duties.ts';
import type { PolicySet } from './types.ts';

/**
 * Citizen look-up (P9). Who may look up: a signed-in official; *what* they may ask is decided in
 * SQL at the moment of the look-up — only sources whose dataset a usable agreement grant (to the
 * official, or to their organisation) covers, so an official with no such agreement is refused.
 * Sources are kept by the providing organisation's IT officers and sysadmins.
 */
const keeper = (a: Actor, s: { org_id: string | null }) => a.kind === 'system' || isSysadmin(a) || hasDuty(a, 'it_officer', s.org_id);

export const lookupPolicies: PolicySet = {
  lookup_run: (a) => a.kind === 'user',
  // The two internal steps of lookup_run, each with a rule of its own name.
  lookup_start: (a) => a.kind === 'user',
  lookup_finish: (a) => a.kind === 'user',
  lookup_sources_available: (a) => a.kind === 'user',
  lookup_source_create: keeper,
  lookup_source_update: keeper,
  lookup_source_list: (a) => isSysadmin(a) || orgsWithDuty(a, 'it_officer').length > 0,
};
