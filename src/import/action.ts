import { defineAction } from '../actions/registry.ts';
import type { ActionContext } from '../actions/context.ts';
import { ErrorBag, localizeErrors, ValidationError, type FieldErrors } from '../actions/errors.ts';
import { hiddenClashesLeft, recordHiddenClashes } from '../access/probe-budget.ts';
import { findGroup } from '../actions/datasets/load.ts';
import { boolParam } from '../actions/params.ts';
import { currentStandard, type Standard } from '../standard/index.ts';
import { readTimestamp } from '../standard/values.ts';
import { inputProblems, MAX_INPUT_DEPTH } from '../actions/input-guard.ts';
import { M } from '../standard/messages.ts';
import { applyCategoryRules, validateDataset, type ValidatedDataset } from '../standard/validate.ts';
import { validateResource, type ValidatedResource } from '../standard/validate-resource.ts';
import type { GroupRow } from '../store/schema.ts';
import { chooseGroups, chooseOrganization, GroupDirectory, groupRefsOf, type GroupChoice } from './groups.ts';
import { normalizePackage } from './normalize.ts';
import { findClashes } from './unique.ts';
import { writeImported } from './write-records.ts';
import { tuneForBulkWrite } from './write-batch.ts';

/** Records per call: one transaction should stay a few megabytes. */
export const MAX_IMPORT_BATCH = 5000;
/**
 * Clashes with entries the caller may not see, per call: past this the whole call is refused with
 * no per-record answer, so one call cannot test thousands of guessed names (see probe-budget.ts).
 */
export const MAX_HIDDEN_CLASHES_PER_CALL = 10;

export interface ImportCandidate {
  index: number;
  v: ValidatedDataset;
  orgId: string;
  groups: GroupChoice[];
  resources: ValidatedResource[];
  draft: boolean;
  /** metadata_created of the source record, kept when it is a valid time. */
  created: Date | null;
}

export interface ImportResult {
  imported: Array<{ index: number; id: string; name: string; state: string }>;
  /** Field errors in the caller's language, as every other action answers them. */
  failed: Array<{ index: number; name: string | null; errors: Record<string, string[]> }>;
  organizations_created: string[];
  groups_created: string[];
}

const MISSING_KIND = new Set([M.missing().th, M.tagRequired().th, M.otherRequired().th]);
/** Without these even a draft cannot be stored or owned. */
const ESSENTIAL = new Set(['name', 'owner_org']);

/** True when every error only says something is missing (a draft may be incomplete, not wrong). */
function onlyMissing(errors: FieldErrors): boolean {
  return Object.entries(errors).every(([field, msgs]) => !ESSENTIAL.has(field) && msgs.every((m) => MISSING_KIND.has(m.th)));
}

/**
 * What made a record fail when it could have been a draft: its missing fields would not have stopped
 * it, so listing them would bury the one error that did (a taken name on a re-run, a wrong code).
 */
function failingOnly(errors: FieldErrors): FieldErrors {
  return Object.fromEntries(Object.entries(errors).filter(([field, msgs]) => ESSENTIAL.has(field) || !msgs.every((m) => MISSING_KIND.has(m.th))));
}

function sourceTime(v: unknown): Date | null {
  return readTimestamp(v) ?? null;
}

export const packageImport = defineAction({
  name: 'package_import',
  readOnly: false,
  itemKeys: ['records'],
  summary:
    'Import a batch of CKAN package dicts (as package_show returns them) in one transaction. Each record is validated ' +
    'against the standard; failed records are reported with their field errors and skipped, the rest are written. ' +
    'Missing organisations and groups named by a record are created when the caller may create them.',
  params: {
    records: { type: 'array', description: `package dicts, at most ${MAX_IMPORT_BATCH}`, required: true },
    owner_org: { type: 'string', description: 'organisation (id or name) for records whose organisation is missing or unknown' },
    allow_incomplete: { type: 'boolean', description: 'store records that only lack required fields as drafts' },
  },
  async run(ctx, input): Promise<ImportResult> {
    const records = Array.isArray(input.records) ? input.records : undefined;
    const fallbackRef = typeof input.owner_org === 'string' ? input.owner_org.trim() : '';
    const fallback = fallbackRef ? await findGroup(ctx.db, fallbackRef, true) : undefined;
    const fallbackOrg = fallback?.state === 'active' ? fallback : undefined;
    const paramErrors = new ErrorBag();
    if (!records) paramErrors.add('records', input.records === undefined ? M.missing() : M.notList());
    else if (records.length > MAX_IMPORT_BATCH) paramErrors.add('records', M.tooLong(MAX_IMPORT_BATCH));
    if (fallbackRef && !fallbackOrg) paramErrors.add('owner_org', M.orgNotFound());
    const allowIncomplete = boolParam(input, 'allow_incomplete', false);
    if (paramErrors.has() || !records) {
      ctx.authorize('package_import', { owner_org: fallbackOrg?.id ?? null });
      throw new ValidationError(paramErrors.errors);
    }
    return importBatch(ctx, records, fallbackOrg, allowIncomplete);
  },
});

interface Checked {
  c: ImportCandidate;
  bag: ErrorBag;
  /** A record marked draft, or any record under allow_incomplete, may be stored incomplete. */
  draftAllowed: boolean;
  /** The caller may write to the record's organisation (false also when there is none). */
  allowed: boolean;
}

interface BatchContext {
  ctx: ActionContext;
  std: Standard;
  dir: GroupDirectory;
  fallback: GroupRow | undefined;
  allowIncomplete: boolean;
  mayCreateOrgs: boolean;
  mayCreateGroups: boolean;
}

/** Everything prepareDataset checks without the database, plus the record's organisation and its right to it. */
function checkRecord(b: BatchContext, index: number, dict: Record<string, unknown>): Checked {
  const { ctx, std } = b;
  const bag = new ErrorBag();
  const input = normalizePackage(std, dict);
  const org = chooseOrganization(b.dir, dict, b.fallback, b.mayCreateOrgs);
  let orgId = '';
  let allowed = false;
  if ('th' in org) bag.add('owner_org', org);
  else {
    orgId = org.id;
    allowed = org.planned ? b.mayCreateOrgs : ctx.can('package_import', { owner_org: org.id });
    if (allowed) input.owner_org = org.planned ? org.planned.name : org.id;
    else bag.add('owner_org', M.orgNotAllowed());
  }
  const draftRequested = dict.state === 'draft';
  const draftAllowed = draftRequested || b.allowIncomplete;
  const v = validateDataset(std, input, bag, { partial: draftRequested });
  if (v.name === undefined && !bag.has('name')) bag.add('name', M.missing());
  if (!v.title && v.name && draftAllowed && !bag.has('title')) v.title = v.name;
  if (v.private === undefined) v.private = false;
  applyCategoryRules(std, v, bag);
  const groups = v.groups?.length ? chooseGroups(b.dir, v.groups, dict.groups, b.mayCreateGroups, bag) : [];
  if (groups.length && allowed && !ctx.can('group_dataset_add', { owner_org: orgId })) bag.add('groups', { th: 'ไม่มีสิทธิ์จัดชุดข้อมูลเข้ากลุ่ม', en: 'You may not add datasets to groups' });
  const resources = (v.resources ?? []).map((r, i) => {
    if (!r || typeof r !== 'object' || Array.isArray(r)) {
      bag.add(`resources[${i}]`, M.notString());
      return { metadata: {} };
    }
    return validateResource(std, v.data_type ?? '', r as Record<string, unknown>, bag, { prefix: `resources[${i}].`, partial: draftRequested });
  });
  return { c: { index, v, orgId, groups, resources, draft: draftRequested, created: sourceTime(dict.metadata_created) }, bag, draftAllowed, allowed };
}

async function importBatch(ctx: ActionContext, records: unknown[], fallback: GroupRow | undefined, allowIncomplete: boolean): Promise<ImportResult> {
  const result: ImportResult = { imported: [], failed: [], organizations_created: [], groups_created: [] };
  const objects = records.map((r) => (r && typeof r === 'object' && !Array.isArray(r) ? (r as Record<string, unknown>) : null));
  // runAction leaves records to us (itemKeys): a control character or absurd nesting fails its record, not the batch.
  const dicts = objects.map((d, index) => {
    const p = d ? inputProblems(d) : null;
    if (!d || !p || (!p.tooDeep && !Object.keys(p.errors).length)) return d;
    const errors = p.tooDeep ? { record: [{ th: `ข้อมูลซ้อนกันเกิน ${MAX_INPUT_DEPTH} ชั้น`, en: `Nested deeper than ${MAX_INPUT_DEPTH} levels` }] } : p.errors;
    result.failed.push({ index, name: typeof d.name === "string" && !Object.hasOwn(p.errors, "name") ? d.name : null, errors: localizeErrors(errors, ctx.lang) });
    return undefined;
  });
  await tuneForBulkWrite(ctx.db);
  const dir = await GroupDirectory.load(ctx.db, dicts.flatMap((d) => (d ? groupRefsOf(d) : [])));
  const b: BatchContext = { ctx, std: currentStandard(), dir, fallback, allowIncomplete, mayCreateOrgs: ctx.can('organization_create'), mayCreateGroups: ctx.can('group_create') };

  const checked: Checked[] = [];
  for (const [index, dict] of dicts.entries()) {
    if (dict) checked.push(checkRecord(b, index, dict));
    else if (dict === null) result.failed.push({ index, name: null, errors: localizeErrors({ record: [{ th: 'แต่ละรายการต้องเป็นออบเจกต์ JSON', en: 'Each record must be a JSON object' }] }, ctx.lang) });
  }
  // One policy answer for the batch: allowed if any record may be imported (each was checked above).
  const subject = checked.find((x) => x.allowed) ?? checked.find((x) => x.c.orgId);
  ctx.authorize('package_import', { owner_org: subject?.c.orgId ?? fallback?.id ?? null });

  // Only records the caller may write are checked against the store: the others fail anyway, and
  // answering "name taken" for them would turn a forbidden organisation into an oracle.
  const writable = checked.filter((x) => x.allowed);
  if (writable.some((x) => x.c.v.name || x.c.v.id) && (await hiddenClashesLeft(ctx)) <= 0) throw ValidationError.field('records', M.tooManyProbes());
  const clashes = await findClashes(ctx, writable.map(({ c }) => c));
  const accepted: ImportCandidate[] = [];
  let hidden = 0;
  for (const { c, bag, draftAllowed, allowed } of checked) {
    if (allowed) hidden += clashes.check(c, bag);
    if (hidden > MAX_HIDDEN_CLASHES_PER_CALL) {
      recordHiddenClashes(ctx, hidden);
      throw ValidationError.field('records', M.tooManyProbes());
    }
    if (bag.has()) {
      if (!draftAllowed || !onlyMissing(bag.errors)) {
        result.failed.push({ index: c.index, name: c.v.name ?? null, errors: localizeErrors(draftAllowed ? failingOnly(bag.errors) : bag.errors, ctx.lang) });
        continue;
      }
      c.draft = true;
    }
    clashes.reserve(c);
    accepted.push(c);
  }
  recordHiddenClashes(ctx, hidden);
  const plannedById = new Map([...dir.planned.values()].map((p) => [p.id, p]));
  for (const c of accepted) {
    for (const g of c.groups) if (g.planned) g.planned.used = true;
    const org = plannedById.get(c.orgId);
    if (org) org.used = true;
  }
  const planned = [...dir.planned.values()].filter((p) => p.used);
  const { rows, created } = await writeImported(ctx, accepted, planned);
  for (const [i, c] of accepted.entries()) result.imported.push({ index: c.index, id: rows[i]!.id, name: rows[i]!.name, state: rows[i]!.state });
  result.organizations_created = created.filter((p) => p.isOrganization).map((p) => p.name);
  result.groups_created = created.filter((p) => !p.isOrganization).map((p) => p.name);
  result.failed.sort((a, b) => a.index - b.index);
  return result;
}
