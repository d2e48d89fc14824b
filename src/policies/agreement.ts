import { isSysadmin, memberOrgs, type Actor } from '../access/actor.ts';
import { hasDuty, orgsWithDuty } from '../access/duties.ts';
import { ROLE_KEYS } from '../workflow/types.ts';
import type { PolicySet } from './types.ts';

/** Agreements, their grants, partner assessments, the linkage registry and the KPI report (issue 11). */
export interface PartySubject {
  owner_org: string | null;
  partner_org?: string | null;
}

const anyDuty = (a: Actor, org: string | null | undefined) => ROLE_KEYS.some((r) => hasDuty(a, r, org));
const drafts = (a: Actor, org: string | null | undefined) => hasDuty(a, 'data_owner', org) || hasDuty(a, 'it_officer', org);
const signedIn = (a: Actor) => a.kind !== 'anonymous';
/** The owning side's governance people, the partner's members, and sysadmins (who read, never approve). */
const party = (a: Actor, s: PartySubject) => isSysadmin(a) || anyDuty(a, s.owner_org) || (!!s.partner_org && memberOrgs(a).includes(s.partner_org));

/** Who may change an agreement's terms (and its gateway client certificates): the owner's data owner or IT officer. */
const updates = (a: Actor, s: PartySubject) => a.kind === 'system' || drafts(a, s.owner_org);

export const agreementPolicies: PolicySet = {
  agreement_create: (a, s: PartySubject) => a.kind === 'system' || drafts(a, s.owner_org),
  agreement_update: updates,
  /** Asked before a consent letter is read (src/files/upload-gate.ts): does the caller draft agreements anywhere? */
  agreement_upload_somewhere: (a) => a.kind === 'system' || orgsWithDuty(a, 'data_owner').length > 0 || orgsWithDuty(a, 'it_officer').length > 0,
  /** Mutual TLS for the gateway (src/exchange/gateway/mtls-actions.ts): the same people as agreement_update. */
  agreement_client_cert_add: updates,
  agreement_client_cert_remove: updates,
  agreement_mtls_set: updates,
  agreement_show: party,
  agreement_legal_file: party,
  /** The list filters rows by the same rule in SQL. */
  agreement_list: signedIn,
  /** The engine checks the step's roles and separation of duties; this only admits the parties' governance people. */
  agreement_transition: (a, s: PartySubject) => a.kind === 'system' || anyDuty(a, s.owner_org),
  agreement_terminate: (a, s: PartySubject) => a.kind === 'system' || drafts(a, s.owner_org) || hasDuty(a, 'governance_committee', s.owner_org),
  grant_list: signedIn,
  partner_assessment_create: (a, s: PartySubject) => a.kind === 'system' || hasDuty(a, 'it_officer', s.owner_org) || hasDuty(a, 'governance_committee', s.owner_org),
  partner_assessment_show: (a, s: PartySubject) => isSysadmin(a) || anyDuty(a, s.owner_org),
  partner_assessment_list: signedIn,
  partner_criteria_show: () => true,
  linkage_create: (a, s: PartySubject) => a.kind === 'system' || hasDuty(a, 'it_officer', s.owner_org) || hasDuty(a, 'data_owner', s.owner_org) || hasDuty(a, 'data_steward', s.owner_org),
  linkage_update: (a, s: PartySubject) => a.kind === 'system' || hasDuty(a, 'it_officer', s.owner_org) || hasDuty(a, 'data_owner', s.owner_org),
  linkage_show: party,
  linkage_list: signedIn,
  linkage_transition: (a, s: PartySubject) => a.kind === 'system' || anyDuty(a, s.owner_org),
  linkage_cancel: (a, s: PartySubject) => a.kind === 'system' || hasDuty(a, 'it_officer', s.owner_org) || hasDuty(a, 'data_owner', s.owner_org) || hasDuty(a, 'governance_committee', s.owner_org),
  cancellation_grounds_list: () => true,
  /** Governance people of some organisation (the report covers the organisations where they hold a duty) and sysadmins. */
  kpi_report: (a) => isSysadmin(a) || ROLE_KEYS.some((r) => orgsWithDuty(a, r).length > 0),
};
