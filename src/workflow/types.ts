import type { Msg } from '../actions/errors.ts';

/** Role keys a transition may name (issue 11). `creator` is not held: it means "the person who opened this case". */
export const ROLE_KEYS = [
  'data_creator',
  'data_steward',
  'data_owner',
  'cdo',
  'dpo',
  'governance_committee',
  'it_officer',
  'legal_officer',
  // national registration (issue 8, process registration.json)
  'registration_officer',
  'registrar',
  'registry_manager',
  'catalog_reviewer',
  'agency_coordinator',
  'categorizer',
  'requester',
  'creator',
] as const;

/** Thai and English names of the governance roles, for pages, mail and letters. */
export const ROLE_LABELS: Record<string, { th: string; en: string }> = {
  data_creator: { th: 'ผู้จัดทำข้อมูล', en: 'Data creator' },
  data_steward: { th: 'บริกรข้อมูล', en: 'Data steward' },
  data_owner: { th: 'เจ้าของข้อมูล', en: 'Data owner' },
  cdo: { th: 'ผู้บริหารข้อมูลระดับสูง (CDO)', en: 'Chief data officer (CDO)' },
  dpo: { th: 'เจ้าหน้าที่คุ้มครองข้อมูลส่วนบุคคล (DPO)', en: 'Data protection officer (DPO)' },
  governance_committee: { th: 'คณะกรรมการธรรมาภิบาลข้อมูล', en: 'Data governance committee' },
  it_officer: { th: 'เจ้าหน้าที่ฝ่ายเทคโนโลยีสารสนเทศ (ทส.)', en: 'IT officer' },
  legal_officer: { th: 'นิติกร', en: 'Legal officer' },
  registration_officer: { th: 'เจ้าหน้าที่ลงทะเบียนบัญชีข้อมูล', en: 'Registration officer' },
  registrar: { th: 'นายทะเบียนบัญชีข้อมูลภาครัฐ', en: 'Registrar' },
  registry_manager: { th: 'ผู้ดูแลระบบลงทะเบียน', en: 'Registration-system manager' },
  catalog_reviewer: { th: 'ผู้ตรวจสอบบัญชีข้อมูล', en: 'Catalog reviewer' },
  agency_coordinator: { th: 'ผู้ประสานงานหน่วยงาน', en: 'Agency coordinator' },
  categorizer: { th: 'ผู้จัดหมวดหมู่ข้อมูล', en: 'Categorizer' },
  requester: { th: 'ผู้ขอ', en: 'Requester' },
  creator: { th: 'ผู้ยื่นเรื่อง', en: 'Submitter' },
};

export type InputType = 'string' | 'text' | 'email' | 'enum' | 'boolean' | 'integer' | 'date' | 'string_list' | 'thai_id';

export interface InputOption {
  value: string;
  label: Msg;
}

/** One field a step asks for; `fact: true` also copies the value into the case's facts. */
export interface InputDef {
  name: string;
  type: InputType;
  label: Msg;
  required?: boolean;
  /** Required only when this condition holds (same language as guards), e.g. `input.method is id_card`. */
  required_when?: string;
  /** Length for text, value for integers, items for lists. */
  min?: number;
  max?: number;
  pattern?: string;
  pattern_message?: Msg;
  options?: InputOption[];
  fact?: boolean;
  /** A date that may not be earlier than this other date input of the same step (a period's end and start). */
  not_before?: string;
}

/** A condition that must hold for a transition to apply; with `field` and `message` a failure is a field error. */
export interface GuardDef {
  when: string;
  field?: string;
  message?: Msg;
}

export interface RouteDef {
  when?: string;
  to: string;
}

export interface SeparationDef {
  /** The person who opened the case may not take this transition. */
  not_creator?: boolean;
  /** Nor anyone who took a transition out of one of these states earlier in the same case. */
  not_actor_of?: string[];
}

export interface TransitionDef {
  name: string;
  from: string;
  /** One target, or routes tried in order (the last without `when`). */
  to: string | RouteDef[];
  label: Msg;
  roles: string[];
  guards?: GuardDef[];
  inputs?: InputDef[];
  reason_required?: boolean;
  separation?: SeparationDef;
  /** Roles to tell once the transition has committed (the caller's notifier reads it). */
  notify?: string[];
  /** A way out someone may take (withdraw, cancel), not a step the case waits for. */
  optional?: boolean;
}

export interface StartDef {
  name: string;
  to: string;
  label: Msg;
  roles: string[];
  guards?: GuardDef[];
  inputs?: InputDef[];
  notify?: string[];
}

export interface StateDef {
  name: string;
  label: Msg;
  terminal?: boolean;
  /** While a case is here its subject (e.g. the dataset under review) may not be edited. */
  locks_subject?: boolean;
}

export interface ProcessDef {
  name: string;
  version: number;
  label: Msg;
  description?: Msg;
  /** The rule of seed 000 the process applies, shown on its page. */
  rule?: Msg;
  /** Kinds of the agency's published documents the process applies (policy parts, the integration manual); its pages link them. */
  policy?: string[];
  /** Case numbers read PREFIX-<Buddhist year>-NNNNNN. */
  number_prefix: string;
  start: StartDef;
  states: StateDef[];
  transitions: TransitionDef[];
}

/** Who acts: the caller resolves the roles relevant to the case (organisation and agency) before asking. */
export interface WorkflowActor {
  id: string | null;
  name: string;
  roles: readonly string[] | ((c: CaseRecord) => readonly string[]);
  /** The CLI and jobs: every role, no separation of duties (the audit still names it). */
  system?: boolean;
}

export interface SubjectRef {
  type: string;
  id: string;
}

export interface CaseRecord {
  id: string;
  process: string;
  number: string;
  state: string;
  version: number;
  subjects: SubjectRef[];
  facts: Record<string, unknown>;
  created_by: string | null;
  org_id: string | null;
  created: Date;
  modified: Date;
  closed_at: Date | null;
}

export interface CaseEvent {
  seq: number;
  at: Date;
  actor_id: string | null;
  actor_name: string;
  roles: string[];
  transition: string;
  from_state: string | null;
  to_state: string;
  reason: string;
  inputs: Record<string, unknown>;
}

/** A transition the caller may take now, as `case_show` lists it in `next`. */
export interface NextStep {
  name: string;
  label: Msg;
  /** The state it leads to with the case's current facts (routes already resolved where they can be). */
  to: string;
  to_label: Msg;
  inputs: InputDef[];
  reason_required: boolean;
}
