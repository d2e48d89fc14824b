import { isSysadmin, type Actor } from '../access/actor.ts';
import { nationalRoles, officerOrgs } from '../registry/roles.ts';
import type { PolicySet } from './types.ts';

/** A registration belongs to the local organisation its agency organisation maps to. */
export interface RegistrationSubject {
  org_id: string;
}

/** NSO duty holders (and sysadmins, the system) see every registration; an agency's registration officers see their agency's. */
export function mayViewRegistration(a: Actor, s: RegistrationSubject | undefined): boolean {
  if (isSysadmin(a) || nationalRoles(a).length) return true;
  return !!s && officerOrgs(a).includes(s.org_id);
}

const signedIn = (a: Actor) => a.kind === 'user' || a.kind === 'system';
const officerOrNational = (a: Actor) => isSysadmin(a) || nationalRoles(a).length > 0 || officerOrgs(a).length > 0;

export const registrationPolicies: PolicySet = {
  /** Filtered in SQL by mayViewRegistration. */
  registration_list: signedIn,
  registration_dashboard: signedIn,
  registration_show: mayViewRegistration,
  /** Seeing it is the gate; which step and whose turn is the engine's (registration.json roles). */
  registration_transition: mayViewRegistration,
  /** "ดึงชุดข้อมูล": an agency catalog acting for its officer (API token of a registration officer) or an NSO duty holder. */
  registration_pull: officerOrNational,
  registration_categorize: (a) => a.kind === 'system' || nationalRoles(a).includes('categorizer'),
  /** The status API thai_gdc catalogs call without credentials: states only, no names of unpublished entries. */
  gdcatalog_published_state: () => true,
  gdcatalog_nonpublish_state: () => true,
  /** Agency side: the registry's answer for one local dataset, and the officer's pull page. */
  registry_status_show: () => true,
  registry_agency_list: (a) => isSysadmin(a) || officerOrgs(a).length > 0,
  registry_agency_submit: (a) => isSysadmin(a) || officerOrgs(a).length > 0,
};
