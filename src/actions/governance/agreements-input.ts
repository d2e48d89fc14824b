import type { ActionContext } from '../context.ts';
import { ErrorBag } from '../errors.ts';
import { isUpload, type Upload } from '../../files/upload.ts';
import { parseRowCondition, RowConditionError, type RowCondition } from '../../access/row-condition.ts';
import { mayViewCase } from './cases-engine.ts';
import { CODES, UUID, checkCode, checkText, checkTime, findOrg } from './agreements-shared.ts';

/** One dataset an agreement opens: which fields and which records. */
export interface AgreementItem {
  dataset_id: string;
  dataset_name: string;
  fields: string[];
  /** The text as written, and its checked tree (what the grant carries). */
  row_condition_text: string;
  row_condition: RowCondition | null;
  /** Every dictionary field and no row condition: the whole files may be served. */
  whole: boolean;
}

export interface AgreementValues {
  kind: string;
  owner_org: string;
  partner_org: string;
  request_case_id: string | null;
  title: string;
  purpose: string;
  scope_of_use: string;
  access_from: Date;
  access_to: Date;
  frequency: { unit: string; count: number };
  service_level: string;
  period_of_use: string;
  technology: string;
  technology_note: string;
  legal_basis: string;
  upload: Upload | null;
  items: AgreementItem[];
}

const list = (v: unknown): unknown[] | null => {
  if (Array.isArray(v)) return v;
  if (typeof v === 'string') return v.split(/[\n,]/).map((s) => s.trim()).filter(Boolean);
  return null;
};

/**
 * Checks an agreement's fields, every problem at once, field by field. `prev` (update) supplies
 * what the caller leaves out. Items may come as a list (`items: [{dataset, fields, row_condition}]`)
 * or, from the page's form, as one `dataset` / `fields` / `row_condition` triple.
 */
export async function readAgreement(ctx: ActionContext, input: Record<string, unknown>, prev?: Record<string, unknown>): Promise<AgreementValues> {
  const bag = new ErrorBag();
  const v = (k: string) => (input[k] !== undefined ? input[k] : prev?.[k]);
  const kind = checkCode(bag, 'kind', CODES.agreement_kind, v('kind') ?? 'agreement') ?? 'agreement';
  const owner = await findOrg(ctx.db, bag, 'organization', v('organization') ?? v('owner_org'));
  const partner = await findOrg(ctx.db, bag, 'partner', v('partner') ?? v('partner_org'));
  if (owner && partner && owner.id === partner.id) bag.add('partner', { th: 'คู่สัญญาต้องเป็นหน่วยงานอื่น', en: 'The partner must be another organisation' });
  let requestCase: string | null = null;
  const rc = v('case_id') ?? v('request_case_id');
  if (rc !== undefined && rc !== null && rc !== '') {
    const row = typeof rc === 'string' ? await ctx.db.selectFrom('cases').select(['id', 'process', 'org_id', 'created_by']).where(UUID.test(rc) ? 'id' : 'number', '=', rc).executeTakeFirst() : undefined;
    // The request's evidence letter lists what this agreement disclosed: only a request the caller may
    // open, made to the agreement's own organisation, may be named (kept when an update leaves it as it was);
    // any other answers as one that does not exist.
    const kept = !!row && row.id === prev?.case_id;
    if (!row || row.process !== 'information_request' || (!kept && (row.org_id !== owner?.id || !mayViewCase(ctx.actor, row)))) bag.add('case_id', { th: 'ไม่พบคำขอข้อมูล (information_request) นี้', en: 'No information request with this id' });
    else requestCase = row.id;
  }
  const title = checkText(bag, 'title', v('title'), { required: true, max: 300 });
  const purpose = checkText(bag, 'purpose', v('purpose'), { required: true });
  const scope = checkText(bag, 'scope_of_use', v('scope_of_use'), { required: true });
  const from = checkTime(bag, 'access_from', v('access_from'), true, 'start');
  const to = checkTime(bag, 'access_to', v('access_to'), true, 'end');
  if (from && to && to <= from) bag.add('access_to', { th: 'วันสิ้นสุดการเข้าถึงต้องอยู่หลังวันเริ่ม', en: 'The access window must end after it starts' });
  const freq = (v('frequency') ?? {}) as Record<string, unknown>;
  const unit = checkCode(bag, 'frequency_unit', CODES.frequency_unit, v('frequency_unit') ?? freq.unit);
  const countRaw = v('frequency_count') ?? freq.count;
  const count = typeof countRaw === 'number' ? countRaw : typeof countRaw === 'string' && /^\s*\d{1,9}\s*$/.test(countRaw) ? Number(countRaw) : NaN;
  if (!Number.isSafeInteger(count) || count < 1 || count > 1_000_000_000) bag.add('frequency_count', { th: 'ความถี่ต้องเป็นจำนวนเต็มตั้งแต่ 1 ขึ้นไป', en: 'The frequency must be a whole number of at least 1' });
  const service = checkText(bag, 'service_level', v('service_level'), { required: true, max: 2000 });
  const period = checkText(bag, 'period_of_use', v('period_of_use'), { required: true, max: 2000 });
  const tech = checkCode(bag, 'technology', CODES.technology, v('technology'));
  const techNote = checkText(bag, 'technology_note', v('technology_note'), { max: 2000 });
  if (tech === 'other' && !techNote) bag.add('technology_note', { th: 'ระบุเทคโนโลยีและมาตรฐานที่ใช้', en: 'Name the technology and standard' });
  const legal = checkText(bag, 'legal_basis', v('legal_basis'), { max: 4000 });
  // Only the multipart reader mints uploads: anything else under "upload" is refused, never a storage key.
  let upload: Upload | null = null;
  if (input.upload !== undefined && input.upload !== null && input.upload !== '') {
    if (isUpload(input.upload)) upload = input.upload;
    else bag.add('upload', { th: 'หนังสือยินยอม/ฐานทางกฎหมายต้องส่งเป็นไฟล์แบบ multipart ในช่อง upload', en: 'The consent letter must be a file sent as multipart field "upload"' });
  }
  if (!legal && !upload && !prev?.legal_file) bag.add('legal_basis', { th: 'ต้องระบุฐานทางกฎหมาย หรือแนบหนังสือแสดงความยินยอม', en: 'State the legal basis or attach the consent letter' });
  if (upload && upload.size > 20 * 1024 * 1024) bag.add('upload', { th: 'ไฟล์ใหญ่ได้ไม่เกิน 20 MB', en: 'The file may be at most 20 MB' });

  // Multipart and form bodies carry JSON-typed fields as JSON text (as the CKAN API accepts them).
  let itemsIn: unknown = input.items;
  if (typeof itemsIn === 'string') {
    try { itemsIn = JSON.parse(itemsIn); } catch { bag.add('items', { th: 'items ต้องเป็นรายการ JSON', en: 'items must be a JSON list' }); itemsIn = []; }
  }
  const rawItems = itemsIn !== undefined ? itemsIn : input.dataset !== undefined ? [{ dataset: input.dataset, fields: input.fields, row_condition: input.row_condition }] : prev?.items_input;
  const items: AgreementItem[] = [];
  if (!Array.isArray(rawItems) || !rawItems.length) bag.add('items', { th: 'ต้องระบุชุดข้อมูลอย่างน้อยหนึ่งชุด พร้อมฟิลด์ที่เข้าถึงได้', en: 'Name at least one dataset with its accessible fields' });
  else if (rawItems.length > 50) bag.add('items', { th: 'ระบุชุดข้อมูลได้ไม่เกิน 50 ชุด', en: 'At most 50 datasets' });
  else {
    for (const [i, raw] of rawItems.entries()) {
      const f = (k: string) => `items.${i}.${k}`;
      if (!raw || typeof raw !== 'object' || Array.isArray(raw)) { bag.add(`items.${i}`, { th: 'ต้องเป็นออบเจกต์', en: 'Must be an object' }); continue; }
      const it = raw as Record<string, unknown>;
      const ref = it.dataset ?? it.dataset_id;
      if (typeof ref !== 'string' || !ref.trim()) { bag.add(f('dataset'), { th: 'กรุณาระบุชุดข้อมูล', en: 'A dataset is required' }); continue; }
      const q = ctx.db.selectFrom('datasets').select(['id', 'name', 'owner_org', 'state']);
      const ds = await (UUID.test(ref.trim()) ? q.where('id', '=', ref.trim().toLowerCase()) : q.where('name', '=', ref.trim())).executeTakeFirst();
      // A dataset of another organisation is "not found" here: its owner makes its agreements.
      if (!ds || ds.state !== 'active' || (owner && ds.owner_org !== owner.id)) { bag.add(f('dataset'), { th: 'ไม่พบชุดข้อมูลนี้ในหน่วยงานเจ้าของข้อมูล', en: "No such dataset in the owner's organisation" }); continue; }
      if (items.some((x) => x.dataset_id === ds.id)) { bag.add(f('dataset'), { th: 'ระบุชุดข้อมูลนี้ซ้ำ', en: 'This dataset is listed twice' }); continue; }
      const dict = await dictionaryFields(ctx, ds.id);
      if (!dict.length) { bag.add(f('dataset'), { th: 'ชุดข้อมูลนี้ยังไม่มีพจนานุกรมข้อมูล จึงเลือกฟิลด์ไม่ได้', en: 'This dataset has no data dictionary to choose fields from' }); continue; }
      const wanted = list(it.fields);
      const fields: string[] = [];
      if (!wanted || !wanted.length) bag.add(f('fields'), { th: 'เลือกฟิลด์ที่เข้าถึงได้อย่างน้อยหนึ่งฟิลด์', en: 'Choose at least one accessible field' });
      else for (const name of wanted) {
        if (typeof name !== 'string' || !dict.includes(name)) bag.add(f('fields'), { th: `ไม่มีฟิลด์ "${String(name).slice(0, 80)}" ในพจนานุกรมข้อมูล (มี ${dict.join(', ')})`, en: `The data dictionary has no field "${String(name).slice(0, 80)}" (it has ${dict.join(', ')})` });
        else if (!fields.includes(name)) fields.push(name);
      }
      let cond: RowCondition | null = null;
      const condText = typeof it.row_condition === 'string' ? it.row_condition.trim() : '';
      if (it.row_condition !== undefined && it.row_condition !== null && typeof it.row_condition !== 'string') bag.add(f('row_condition'), { th: 'เงื่อนไขระเบียนต้องเป็นข้อความ', en: 'The row condition must be text' });
      else if (condText) {
        try { cond = parseRowCondition(condText, dict); } catch (e) {
          if (!(e instanceof RowConditionError)) throw e;
          bag.add(f('row_condition'), e.msg);
        }
      }
      items.push({ dataset_id: ds.id, dataset_name: ds.name, fields, row_condition_text: condText, row_condition: cond, whole: !cond && dict.every((d) => fields.includes(d)) });
    }
  }
  bag.throwIfAny();
  return {
    kind, owner_org: owner!.id, partner_org: partner!.id, request_case_id: requestCase, title, purpose, scope_of_use: scope,
    access_from: from!, access_to: to!, frequency: { unit: unit!, count }, service_level: service, period_of_use: period,
    technology: tech!, technology_note: techNote, legal_basis: legal, upload, items,
  };
}

/** Field names of the dataset's data dictionaries (its active resources'). */
export async function dictionaryFields(ctx: Pick<ActionContext, 'db'>, datasetId: string): Promise<string[]> {
  const rows = await ctx.db.selectFrom('resources').select('data_dictionary').where('dataset_id', '=', datasetId).where('state', '=', 'active').orderBy('position').execute();
  const out: string[] = [];
  for (const r of rows) for (const f of (r.data_dictionary as { name?: string }[]) ?? []) if (f?.name && !out.includes(f.name)) out.push(f.name);
  return out;
}
