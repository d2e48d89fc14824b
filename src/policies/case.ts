import { can, isSysadmin, type Actor } from '../access/actor.ts';
import { mayViewCase } from '../actions/governance/cases-engine.ts';
import { isGovernanceOffice } from '../actions/governance/documents.ts';
import { hasDuty } from '../access/duties.ts';
import type { PolicySet } from './types.ts';

export interface CaseSubject {
  process?: string;
  created_by: string | null;
  org_id: string | null;
  closed_at?: Date | null;
}

export interface DutySubject {
  org_id: string;
  scope: 'organization' | 'agency';
  /** The organisation is an agency: the top of its tree, or marked as one. */
  agency: boolean;
}

const signedIn = (a: Actor) => a.kind === 'user' || a.kind === 'system';

export const casePolicies: PolicySet = {
  /** The processes are the agency's published rules: anyone may read them. */
  workflow_list: () => true,
  workflow_show: () => true,
  /** Anyone signed in may file a request (another agency, a registered private organisation); the engine checks the start role. */
  case_create: (a) => a.kind === 'user' || a.kind === 'system',
  case_list: signedIn,
  /** Its requester, duty holders of its organisation, sysadmins; anyone else gets 404. */
  case_show: (a, c: CaseSubject) => mayViewCase(a, c),
  /** Seeing the case is the gate; which step and whose turn is the engine's (roles, separation of duties). */
  case_transition: (a, c: CaseSubject) => mayViewCase(a, c),
  evidence_letter_show: (a, c: CaseSubject) => mayViewCase(a, c) && !!c.closed_at,
  /** Only the verified requester follows the one-time answer link (checked again against the link's owner). */
  case_answer_download: (a) => a.kind === 'user',
  /**
   * P7: a unit's reply is given by its data owner or steward (or an admin of the unit); the agency's
   * governance office may read it too.
   */
  annual_review_reply: (a, s: ReplySubject) => a.kind === 'system' || hasDuty(a, 'data_owner', s.unit_id) || hasDuty(a, 'data_steward', s.unit_id) || can(a, 'manage_members', s.unit_id),
  annual_review_reply_show: (a, s: ReplySubject) => a.kind === 'system' || hasDuty(a, 'data_owner', s.unit_id) || hasDuty(a, 'data_steward', s.unit_id) || can(a, 'manage_members', s.unit_id) || (!!s.org_id && isGovernanceOffice(a, s.org_id)),
  /** A dataset's P1 state, for its page: signed-in people who may see the dataset (requireDataset answers 404 otherwise). */
  publication_status: (a, d: { visible?: boolean }) => (a.kind === 'user' || a.kind === 'system') && d.visible !== false,
  /** The agency's published documents are public; drafts belong to its governance office. */
  policy_document_list: () => true,
  policy_document_show: (a, d: { state: string; agency_id: string }) => d.state === 'published' || d.state === 'superseded' || isGovernanceOffice(a, d.agency_id),
};

export interface ReplySubject {
  unit_id: string;
  org_id: string | null;
}


export const dutyPolicies: PolicySet = {
  /**
   * Organisation duties: the organisation's admins (an admin of the ministry reaches its departments).
   * Agency duties (CDO, DPO, committee, IT, legal): given at an agency only, by its admins or a sysadmin.
   */
  duty_create: (a, d: DutySubject) => isSysadmin(a) || (d.scope === 'organization' ? can(a, 'manage_members', d.org_id) : d.agency && can(a, 'manage_members', d.org_id)),
  duty_delete: (a, d: DutySubject) => isSysadmin(a) || (d.scope === 'organization' ? can(a, 'manage_members', d.org_id) : d.agency && can(a, 'manage_members', d.org_id)),
  /** Who holds what is staff information: the organisation's people, its duty holders, sysadmins. */
  duty_list: (a, g: { id: string }) => isSysadmin(a) || can(a, 'read', g.id) || (a.kind === 'user' && (a.duties?.get(g.id)?.size ?? 0) > 0),
};

export const notificationPolicies: PolicySet = {
  notification_list: (a) => a.kind === 'user',
  notification_count: (a) => a.kind === 'user',
  notification_mark_read: (a) => a.kind === 'user',
};
