import { ValidationError } from '../actions/errors.ts';
import { ROLE_LABELS, type CaseEvent, type CaseRecord } from '../workflow/types.ts';
import type { DisclosureLetter } from './disclosure.ts';

/** What the case does not know: the agency's letterhead, the registry's letter number, the signer. */
export interface LetterContext {
  agency: DisclosureLetter['agency'];
  number: string;
  date: Date;
  signer: DisclosureLetter['signer'];
  /** เรียน … (the head of the requesting agency); defaults to the requester. */
  to?: string;
  /** Exact per-dataset counts from the export, when the caller has them. */
  disclosed?: DisclosureLetter['disclosed'];
  /** Further disclosures under the agreements this case produced (gateway calls), listed after the case's own. */
  alsoDisclosed?: DisclosureLetter['disclosed'];
  /** Full names and positions of the people who acted, by user id (the case keeps their user names). */
  people?: Record<string, { name?: string; position?: string }>;
}

const DECIDING_ROLES = ['data_owner', 'cdo', 'governance_committee', 'dpo', 'legal_officer'];
const DISCLOSING_STEPS = ['record_exchange', 'deliver'];

const str = (v: unknown) => (typeof v === 'string' ? v : '');
const list = (v: unknown) => (Array.isArray(v) ? v.map(String) : []);

/**
 * Fills the evidence letter from a case that has disclosed data (an information request whose
 * exchange was recorded, or a delivered data-subject request): who asked, how they were verified,
 * what went out, and who approved it, all read from the case's facts and events.
 */
export function letterFromCase(view: { case: CaseRecord; events: readonly CaseEvent[] }, ctx: LetterContext): DisclosureLetter {
  const { case: c, events } = view;
  const f = c.facts;
  const disclosure = [...events].reverse().find((e) => DISCLOSING_STEPS.includes(e.transition));
  if (!disclosure) {
    throw ValidationError.field('case', {
      th: `เรื่อง ${c.number} ยังไม่มีการเปิดเผยข้อมูล จึงออกหนังสือหลักฐานการเปิดเผยข้อมูลไม่ได้`,
      en: `Case ${c.number} has disclosed nothing yet, so there is no evidence letter to issue`,
    });
  }
  const who = (e: CaseEvent) => (e.actor_id && ctx.people?.[e.actor_id]) || {};
  let requester: DisclosureLetter['requester'];
  let title: string;
  let records: number;
  if (c.process === 'subject_request') {
    const v = events.find((e) => e.from_state === 'verification' && e.transition === 'approve');
    if (!v) throw ValidationError.field('case', { th: 'ไม่พบการยืนยันตัวตนของผู้ขอ', en: 'No identity verification on this case' });
    const method = str(v.inputs.verification_method) === 'id_card' ? 'id_card' : 'digital_id';
    requester = {
      name: str(f.subject_name),
      verification: {
        method,
        reference: method === 'id_card' ? `เลขประจำตัวประชาชน ${str(v.inputs.national_id)}` : `Digital ID ${str(v.inputs.digital_id_subject)}`,
        officer: method === 'id_card' ? str(v.inputs.officer_name) : who(v).name ?? v.actor_name,
        at: v.at,
      },
    };
    title = 'ขอข้อมูลส่วนบุคคลของตนเอง';
    records = Number(f.records_count ?? 0);
  } else {
    const receipt = events.find((e) => e.from_state === 'it_check' && e.transition === 'approve');
    requester = {
      name: str(f.requester_name),
      position: str(f.position) || undefined,
      agency: str(f.agency) || undefined,
      verification: {
        method: 'official_letter',
        reference: `คำขอเลขที่ ${c.number} ลงรับโดย ${receipt ? (who(receipt).name ?? receipt.actor_name) : '-'}`,
        at: receipt?.at,
      },
    };
    title = str(f.purpose);
    records = Number(disclosure.inputs.records_count ?? 0);
  }
  const datasets = list(f.datasets);
  const disclosed = [...(ctx.disclosed ?? [{ dataset: datasets.join(', ') || '-', fields: list(f.fields), records }]), ...(ctx.alsoDisclosed ?? [])];
  const approvers = events
    .filter((e) => e.transition === 'approve' && e.roles.some((r) => DECIDING_ROLES.includes(r)))
    .map((e) => {
      const role = e.roles.find((r) => DECIDING_ROLES.includes(r))!;
      return { role: ROLE_LABELS[role]?.th ?? role, name: who(e).name ?? e.actor_name, position: who(e).position, at: e.at };
    });
  return {
    agency: ctx.agency,
    number: ctx.number,
    date: ctx.date,
    to: ctx.to ?? requester.name,
    request: { number: c.number, date: c.created, title: title || undefined },
    requester,
    disclosed,
    approvers,
    signer: ctx.signer,
    conditions: str(events.find((e) => e.transition === 'analyse')?.inputs.conditions) || undefined,
  };
}
