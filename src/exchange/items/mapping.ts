import { defineAction } from '../../actions/registry.ts';
import type { ActionContext } from '../../actions/context.ts';
import { ErrorBag, NotFoundError, ValidationError } from '../../actions/errors.ts';
import { datasetSubject, findDataset } from '../../actions/datasets/load.ts';
import type { Db, Tx } from '../../store/db.ts';
import type { DataDictionaryField } from '../../store/schema.ts';

/**
 * Data-dictionary fields of a resource mapped to exchange data items: the resource page shows the
 * mapping, and the DataStore API (item_names) answers in item names, so a partner needs no
 * per-agency mapping. A mapping keeps the item's version it was made against.
 */
const notFound = () => new NotFoundError({ th: 'ไม่พบทรัพยากร', en: 'Resource not found' });
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `lock`: a change of the mapping holds the resource row, so two at once cannot both take one item or both insert one field's row. */
async function loadResource(ctx: ActionContext, ref: unknown, rule: string, lock = false) {
  const id = typeof ref === 'string' && UUID.test(ref) ? ref.toLowerCase() : null;
  const q = ctx.db.selectFrom('resources').select(['id', 'dataset_id', 'state', 'data_dictionary']).where('id', '=', id ?? '');
  const res = id ? await (lock ? q.forNoKeyUpdate() : q).executeTakeFirst() : undefined;
  const ds = res ? await findDataset(ctx.db, res.dataset_id) : undefined;
  const subject = ds ? await datasetSubject(ctx, ds) : undefined;
  if (!res || !ds || !subject || res.state === 'deleted' || !subject.visible) {
    try { ctx.authorize(rule, subject ?? { owner_org: null, visible: false }); } catch { /* 404 either way */ }
    throw notFound();
  }
  ctx.authorize(rule, subject);
  return { res, dataset: ds };
}

export interface FieldMapping {
  field: string;
  item: { name: string; label_th: string; label_en: string; version: number; current_version: number; state: string } | null;
}

export async function mappingOf(db: Tx | Db, resourceId: string): Promise<Map<string, { name: string; label_th: string; label_en: string; version: number; current_version: number; state: string }>> {
  const rows = await db.selectFrom('exchange_item_mappings as m').innerJoin('exchange_items as i', 'i.id', 'm.item_id')
    .select(['m.field', 'm.item_version', 'i.name', 'i.label_th', 'i.label_en', 'i.version', 'i.state']).where('m.resource_id', '=', resourceId).execute();
  return new Map(rows.map((r) => [r.field, { name: r.name, label_th: r.label_th, label_en: r.label_en, version: r.item_version, current_version: r.version, state: r.state }]));
}

export const mappingShow = defineAction({
  name: 'exchange_item_mapping_show',
  readOnly: true,
  summary: 'The resource\'s data-dictionary fields and the exchange data item each one maps to (with the item version the mapping was made against).',
  params: { resource_id: { type: 'string', description: 'resource id', required: true } },
  async run(ctx, input) {
    const { res } = await loadResource(ctx, input.resource_id, 'exchange_item_mapping_show');
    const map = await mappingOf(ctx.db, res.id);
    const dict = (res.data_dictionary as DataDictionaryField[] | null) ?? [];
    return { resource_id: res.id, fields: dict.map((d): FieldMapping => ({ field: d.name, item: map.get(d.name) ?? null })) };
  },
});

export const mappingSet = defineAction({
  name: 'exchange_item_mapping_set',
  readOnly: false,
  summary: 'Map a resource\'s data-dictionary fields to exchange data items: `mappings` is {field: item name} (an empty name removes that field\'s mapping). Data stewards and editors of the owning organisation.',
  params: { resource_id: { type: 'string', description: 'resource id', required: true }, mappings: { type: 'object', description: 'data-dictionary field → item name', required: true } },
  async run(ctx, input) {
    const { res } = await loadResource(ctx, input.resource_id, 'exchange_item_mapping_set', true);
    const m = input.mappings;
    if (!m || typeof m !== 'object' || Array.isArray(m)) throw ValidationError.field('mappings', { th: 'ต้องเป็นออบเจกต์ ฟิลด์ → ชื่อรายการ', en: 'Give an object: field → item name' });
    const fields = new Set(((res.data_dictionary as DataDictionaryField[] | null) ?? []).map((d) => d.name));
    const bag = new ErrorBag();
    const want: { field: string; item: string | null }[] = [];
    for (const [field, item] of Object.entries(m as Record<string, unknown>)) {
      if (!fields.has(field)) bag.add(`mappings.${field.slice(0, 80)}`, { th: 'ไม่มีฟิลด์นี้ในพจนานุกรมข้อมูลของทรัพยากร', en: 'No such field in the resource\'s data dictionary' });
      else if (item === '' || item === null) want.push({ field, item: null });
      else if (typeof item !== 'string') bag.add(`mappings.${field}`, { th: 'ระบุชื่อรายการข้อมูล', en: 'Give an item name' });
      else want.push({ field, item: item.trim() });
    }
    const names = [...new Set(want.map((w) => w.item).filter((x): x is string => !!x))];
    const items = names.length ? await ctx.db.selectFrom('exchange_items').select(['id', 'name', 'version', 'state']).where('name', 'in', names).execute() : [];
    const byName = new Map(items.map((i) => [i.name, i]));
    const used = new Map<string, string>();
    for (const w of want) {
      if (!w.item) continue;
      const it = byName.get(w.item);
      if (!it || it.state !== 'active') bag.add(`mappings.${w.field}`, { th: `ไม่พบรายการข้อมูล "${w.item.slice(0, 80)}" ที่ใช้งานอยู่`, en: `No active exchange data item "${w.item.slice(0, 80)}"` });
      else if (used.has(w.item)) bag.add(`mappings.${w.field}`, { th: `รายการ ${w.item} ถูกใช้กับฟิลด์ ${used.get(w.item)} แล้ว`, en: `Item ${w.item} is already mapped to field ${used.get(w.item)}` });
      else used.set(w.item, w.field);
    }
    bag.throwIfAny();
    // Items already held by fields this request leaves alone are taken too: one field per item.
    const current = await mappingOf(ctx.db, res.id);
    for (const [field, it] of current) {
      if (want.some((w) => w.field === field)) continue;
      const clash = used.get(it.name);
      if (clash) bag.add(`mappings.${clash}`, { th: `รายการ ${it.name} ถูกใช้กับฟิลด์ ${field} แล้ว`, en: `Item ${it.name} is already mapped to field ${field}` });
    }
    bag.throwIfAny();
    for (const w of want) {
      await ctx.db.deleteFrom('exchange_item_mappings').where('resource_id', '=', res.id).where('field', '=', w.field).execute();
      const it = w.item ? byName.get(w.item)! : null;
      if (it) await ctx.db.insertInto('exchange_item_mappings').values({ resource_id: res.id, field: w.field, item_id: it.id, item_version: it.version, created: ctx.now, created_by: ctx.actor.kind === 'user' ? ctx.actor.user.id : null }).execute();
    }
    await ctx.audit({ action: 'exchange_item_mapping_set', object_type: 'resource', object_id: res.id, detail: { mappings: Object.fromEntries(want.map((w) => [w.field, w.item])) } });
    const map = await mappingOf(ctx.db, res.id);
    return { resource_id: res.id, fields: [...fields].map((f): FieldMapping => ({ field: f, item: map.get(f) ?? null })) };
  },
});

/**
 * For datastore_search with item_names: field ids → item names, from the dictionary field each
 * column was loaded from (its label). Only mapped columns are renamed; the others keep their ids.
 */
export async function columnItemNames(db: Tx | Db, resourceId: string, columns: { id: string; label: string }[]): Promise<Map<string, string>> {
  const map = await mappingOf(db, resourceId);
  const out = new Map<string, string>();
  for (const c of columns) {
    const it = map.get(c.label.trim()) ?? map.get(c.id);
    if (it) out.set(c.id, it.name);
  }
  return out;
}

/** Renames a datastore_search answer's fields (and object records' keys) to item names. */
export function renameAnswer(answer: Record<string, unknown>, names: Map<string, string>): Record<string, unknown> {
  if (!names.size) return answer;
  const fields = (answer.fields as { id: string; info?: Record<string, unknown> }[]).map((f) => (names.has(f.id) ? { ...f, id: names.get(f.id)!, info: { ...f.info, field_id: f.id } } : f));
  let records = answer.records;
  if (answer.records_format === 'objects' && Array.isArray(records)) records = records.map((r: Record<string, unknown>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [names.get(k) ?? k, v])));
  return { ...answer, fields, records, item_names: true };
}

/** Translates item names in `filters` and `fields` of a datastore_search input back to column ids. */
export function inputFromItemNames(input: Record<string, unknown>, names: Map<string, string>): Record<string, unknown> {
  const back = new Map([...names].map(([col, item]) => [item, col]));
  const out: Record<string, unknown> = { ...input };
  let filters = input.filters;
  if (typeof filters === 'string') {
    try {
      filters = JSON.parse(filters);
    } catch {
      return out; // readSearch reports the bad JSON
    }
  }
  if (filters && typeof filters === 'object' && !Array.isArray(filters)) {
    const f = Object.create(null) as Record<string, unknown>;
    for (const [k, v] of Object.entries(filters as Record<string, unknown>)) f[back.get(k) ?? k] = v;
    out.filters = f;
  }
  const fl = input.fields;
  if (typeof fl === 'string') out.fields = fl.split(',').map((s) => back.get(s.trim()) ?? s.trim()).join(',');
  else if (Array.isArray(fl)) out.fields = fl.map((s) => (typeof s === 'string' ? back.get(s) ?? s : s));
  return out;
}
