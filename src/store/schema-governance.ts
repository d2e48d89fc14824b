import type { ColumnType, Generated } from 'kysely';
import type { Json, Timestamp } from './schema.ts';

/** Governance tables: cases and their events, numbers, mail, agreements, partners, linkages, notifications. */
export interface GovernanceTables {
  cases: CasesTable;
  case_events: CaseEventsTable;
  case_numbers: CaseNumbersTable;
  mail_outbox: MailOutboxTable;
  agreements: AgreementsTable;
  partner_assessments: PartnerAssessmentsTable;
  linkages: LinkagesTable;
  notifications: NotificationsTable;
  case_links: CaseLinksTable;
  policy_documents: PolicyDocumentsTable;
  annual_review_replies: AnnualReviewRepliesTable;
}

export interface CasesTable {
  id: string;
  process: string;
  number: string;
  state: string;
  version: number;
  subjects: Json<{ type: string; id: string }[]>;
  facts: Json<Record<string, unknown>>;
  created_by: string | null;
  org_id: string | null;
  created: Timestamp;
  modified: Timestamp;
  closed_at: Date | null;
}

export interface CaseEventsTable {
  id: Generated<string>;
  case_id: string;
  seq: number;
  at: Timestamp;
  actor_id: string | null;
  actor_name: string;
  roles: string[];
  transition: string;
  from_state: string | null;
  to_state: string;
  reason: string;
  inputs: Json<Record<string, unknown>>;
}

export interface CaseNumbersTable {
  prefix: string;
  year: number;
  last: number;
}

/** Mail waiting, sent, held (no SMTP configured) or invalid (src/mail). */
export interface MailOutboxTable {
  id: string;
  to_address: string;
  template: string;
  lang: string;
  subject: string;
  body: string;
  state: 'queued' | 'sent' | 'held' | 'invalid';
  attempts: Generated<number>;
  last_error: string | null;
  message_id: string | null;
  created: Timestamp;
  sent_at: Date | null;
}

// --- agreements, partner assessments, linkage registry (migration 012) ---
export interface AgreementsTable {
  id: string;
  case_id: string;
  kind: string;
  owner_org: string;
  partner_org: string;
  request_case_id: string | null;
  title: string;
  purpose: string;
  scope_of_use: string;
  access_from: Timestamp;
  access_to: Timestamp;
  frequency: Json<Record<string, unknown>>;
  service_level: string;
  period_of_use: string;
  technology: string;
  technology_note: string;
  legal_basis: string;
  legal_file: Json<Record<string, unknown>> | null;
  legal_file_key: string | null;
  items: Json<unknown[]>;
  termination_ground: string | null;
  termination_note: Generated<string>;
  terminated_at: Date | null;
  created_by: string | null;
  created: Timestamp;
  modified: Timestamp;
  /** Migration 026: the gateway refuses calls without a registered, verified client certificate. */
  mtls_required: Generated<boolean>;
}

export interface PartnerAssessmentsTable {
  id: string;
  org_id: string;
  partner_org: string;
  assessor_id: string | null;
  assessor_name: string;
  assessed_on: string;
  criteria_version: number;
  items: Json<unknown[]>;
  total: number;
  passed: boolean;
  valid_until: Timestamp;
  note: string;
  created: Timestamp;
}

export interface LinkagesTable {
  id: string;
  case_id: string;
  direction: string;
  owner_org: string;
  partner_org: string;
  datasets: Json<string[]>;
  method: string;
  frequency: string;
  frequency_note: string;
  plan: string;
  meeting_notes: string;
  agreement_id: string | null;
  assessment_id: string | null;
  cancel_ground: string | null;
  cancel_note: Generated<string>;
  cancelled_at: Date | null;
  created_by: string | null;
  created: Timestamp;
  modified: Timestamp;
}

/** In-app inbox (migration 011, src/actions/governance/notifications.ts). */
export interface NotificationsTable {
  id: string;
  user_id: string;
  case_id: string | null;
  kind: string;
  title_th: string;
  title_en: string;
  url: Generated<string>;
  created: Timestamp;
  read_at: Date | null;
}

/** One-time, expiring download links of a data-subject request's answer (migration 011). */
export interface CaseLinksTable {
  id: string;
  case_id: string;
  user_id: string;
  token_hash: string;
  expires: Timestamp;
  created: Timestamp;
  used_at: Date | null;
}

// --- versioned policy documents and the yearly review's replies (migration 015) ---
export interface PolicyDocumentsTable {
  id: string;
  agency_id: string;
  kind: string;
  version: number | null;
  state: 'draft' | 'published' | 'superseded' | 'withdrawn';
  title_th: string;
  title_en: string;
  body_th: string;
  body_en: string;
  change_note: string;
  case_id: string | null;
  created_by: string | null;
  created: Timestamp;
  modified: Timestamp;
  published_at: Date | null;
}

export interface AnnualReviewRepliesTable {
  id: string;
  case_id: string;
  unit_id: string;
  needs: string;
  linkage_review: string;
  replied_by: string | null;
  replied_by_name: string;
  at: Timestamp;
}
