import crypto from 'node:crypto';
import { defineAction } from '../../actions/registry.ts';
import type { ActionContext } from '../../actions/context.ts';
import { ErrorBag, NotFoundError, ValidationError } from '../../actions/errors.ts';
import { filterParam, naturalNumber } from '../../actions/params.ts';
import { checkCode, checkText, type Code } from '../../actions/governance/agreements-shared.ts';
import type { Selectable } from 'kysely';
import type { ExchangeItemsTable } from '../schema.ts';
import codes from './codes.json' with { type: 'json' };

/**
 * The registry of exchange data items (seed 003: collect, define, analyse, name and group the
 * items agencies exchange). Every change is a new version with a full snapshot, written in the
 * same transaction as the audit row; mappings remember the version they were made against.
 */
export const ITEM_CODES = codes as unknown as Record<'data_type' | 'item_group', Code[]>;
export type ItemRow = Selectable<ExchangeItemsTable>;

const NAME = /^[a-z][a-z0-9_]{1,62}$/;
const EDITABLE = ['label_th', 'label_en', 'definition_th', 'definition_en', 'data_type', 'format', 'pattern', 'item_group', 'standard', 'example', 'personal_data'] as const;

export function presentItem(r: ItemRow): Record<string, unknown> {
  return {
    id: r.id, name: r.name, version: r.version, state: r.state, label_th: r.label_th, label_en: r.label_en, definition_th: r.definition_th, definition_en: r.definition_en,
    data_type: r.data_type, format: r.format, pattern: r.pattern, item_group: r.item_group, standard: r.standard, example: r.example, personal_data: r.personal_data,
    created: new Date(r.created).toISOString(), modified: new Date(r.modified).toISOString(),
  };
}

function snapshot(r: ItemRow): Record<string, unknown> {
  const { id: _i, created: _c, modified: _m, modified_by: _b, ...rest } = presentItem(r) as Record<string, unknown>;
  return rest;
}

export async function findItem(ctx: ActionContext, ref: unknown, lock = false): Promise<ItemRow> {
  if (typeof ref !== 'string' || !ref.trim()) throw ValidationError.field('id', { th: 'กรุณาระบุรายการข้อมูล', en: 'An item name or id is required' });
  const key = ref.trim();
  let q = ctx.db.selectFrom('exchange_items').selectAll();
  q = /^[0-9a-f-]{36}$/i.test(key) ? q.where('id', '=', key.toLowerCase()) : q.where('name', '=', key);
  const row = await (lock ? q.forUpdate() : q).executeTakeFirst();
  if (!row) throw new NotFoundError({ th: 'ไม่พบรายการข้อมูลนี้', en: 'No such exchange data item' });
  return row;
}

function readValues(input: Record<string, unknown>, partial: boolean): Partial<Record<(typeof EDITABLE)[number], string | boolean>> {
  const bag = new ErrorBag();
  const out: Partial<Record<(typeof EDITABLE)[number], string | boolean>> = {};
  const has = (k: string) => !partial || input[k] !== undefined;
  for (const k of ['label_th', 'label_en', 'definition_th', 'definition_en'] as const) if (has(k)) out[k] = checkText(bag, k, input[k], { required: true, max: k.startsWith('label') ? 200 : 4000 });
  for (const k of ['format', 'standard', 'example'] as const) if (has(k)) out[k] = checkText(bag, k, input[k], { max: 500 });
  if (has('data_type')) out.data_type = checkCode(bag, 'data_type', ITEM_CODES.data_type, input.data_type) ?? undefined;
  if (has('item_group')) out.item_group = checkCode(bag, 'item_group', ITEM_CODES.item_group, input.item_group) ?? undefined;
  if (has('pattern')) {
    const p = checkText(bag, 'pattern', input.pattern, { max: 300 });
    // A pattern is a check for values partners send; it must compile and must not be a catastrophic one of nested repeats.
    if (p) {
      try {
        new RegExp(p, 'u');
        if (/\([^)]*[+*][^)]*\)[+*{]/.test(p)) bag.add('pattern', { th: 'รูปแบบมีการซ้ำซ้อนที่อาจทำงานช้ามาก', en: 'The pattern nests repeats that could run very slowly' });
      } catch {
        bag.add('pattern', { th: 'รูปแบบ (regular expression) ไม่ถูกต้อง', en: 'Not a valid regular expression' });
      }
    }
    out.pattern = p;
  }
  if (has('personal_data')) {
    const v = input.personal_data;
    if (v === undefined || v === null || v === '') out.personal_data = false;
    else if (typeof v === 'boolean') out.personal_data = v;
    else if (v === 'true' || v === 'false') out.personal_data = v === 'true';
    else bag.add('personal_data', { th: 'ต้องเป็น true หรือ false', en: 'Must be true or false' });
  }
  bag.throwIfAny();
  return out;
}

async function writeVersion(ctx: ActionContext, row: ItemRow, note: string): Promise<void> {
  const who = ctx.actor.kind === 'user' ? ctx.actor.user : null;
  await ctx.db.insertInto('exchange_item_versions').values({ item_id: row.id, version: row.version, snapshot: JSON.stringify(snapshot(row)), changed_by: who?.id ?? null, changed_by_name: who?.name ?? ctx.actor.kind, note, at: ctx.now }).execute();
}

export const itemList = defineAction({
  name: 'exchange_item_list',
  readOnly: true,
  summary: 'The exchange data item registry (the data standard for exchange): filter by group, q (name, label, definition), state (active by default, or all).',
  params: { group: { type: 'string', description: 'item group' }, q: { type: 'string', description: 'words in the name, labels or definitions' }, state: { type: 'string', description: 'active (default), retired or all' } },
  async run(ctx, input) {
    ctx.authorize('exchange_item_list');
    let q = ctx.db.selectFrom('exchange_items').selectAll();
    const group = filterParam(input, 'group');
    if (group) q = q.where('item_group', '=', group);
    const state = filterParam(input, 'state') ?? 'active';
    if (state !== 'all') q = q.where('state', '=', state === 'retired' ? 'retired' : 'active');
    const words = filterParam(input, 'q', 10_000)?.trim();
    if (words) {
      const like = `%${words.slice(0, 100).replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      q = q.where((eb) => eb.or(['name', 'label_th', 'label_en', 'definition_th', 'definition_en'].map((c) => eb(eb.ref(c as 'name'), 'ilike', like))));
    }
    const limit = naturalNumber(input, 'limit', 1000) ?? 500;
    const rows = await q.orderBy('item_group').orderBy('name').limit(limit).execute();
    return rows.map(presentItem);
  },
});

export const itemShow = defineAction({
  name: 'exchange_item_show',
  readOnly: true,
  summary: 'One exchange data item with its versions and the resource fields mapped to it that the caller may see.',
  params: { id: { type: 'string', description: 'item name or id', required: true } },
  async run(ctx, input) {
    ctx.authorize('exchange_item_show');
    const row = await findItem(ctx, input.id);
    const versions = await ctx.db.selectFrom('exchange_item_versions').selectAll().where('item_id', '=', row.id).orderBy('version', 'desc').execute();
    return {
      ...presentItem(row),
      versions: versions.map((v) => ({ version: v.version, at: new Date(v.at).toISOString(), changed_by: v.changed_by_name, note: v.note, snapshot: v.snapshot })),
    };
  },
});

export const itemCreate = defineAction({
  name: 'exchange_item_create',
  readOnly: false,
  summary: 'Add an exchange data item (name a-z0-9_, Thai and English label and definition, type, format, optional pattern, group, source standard, example, personal data). Data stewards.',
  async run(ctx, input) {
    ctx.authorize('exchange_item_create');
    const bag = new ErrorBag();
    const name = typeof input.name === 'string' ? input.name.trim() : '';
    if (!NAME.test(name)) bag.add('name', { th: 'ชื่อรายการต้องเป็น a-z 0-9 และ _ ขึ้นต้นด้วยตัวอักษร 2–63 ตัว', en: 'The name is 2–63 of a-z, 0-9 and _, starting with a letter' });
    else if (await ctx.db.selectFrom('exchange_items').select('id').where('name', '=', name).executeTakeFirst()) bag.add('name', { th: 'มีรายการชื่อนี้แล้ว', en: 'An item of this name exists' });
    let v: ReturnType<typeof readValues> = {};
    try {
      v = readValues(input, false);
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      for (const [k, msgs] of Object.entries(e.errors)) for (const m of msgs) bag.add(k, m);
    }
    bag.throwIfAny();
    const row = await ctx.db.insertInto('exchange_items').values({
      id: crypto.randomUUID(), name, version: 1, label_th: v.label_th as string, label_en: v.label_en as string, definition_th: v.definition_th as string, definition_en: v.definition_en as string,
      data_type: v.data_type as string, format: (v.format as string) ?? '', pattern: (v.pattern as string) ?? '', item_group: v.item_group as string, standard: (v.standard as string) ?? '',
      example: (v.example as string) ?? '', personal_data: v.personal_data === true, created: ctx.now, modified: ctx.now, modified_by: ctx.actor.kind === 'user' ? ctx.actor.user.id : null,
    // The check above answers the usual case; the insert itself decides between requests at once (no unique-violation 500).
    }).onConflict((oc) => oc.column('name').doNothing()).returningAll().executeTakeFirst();
    if (!row) throw ValidationError.field('name', { th: 'มีรายการชื่อนี้แล้ว', en: 'An item of this name exists' });
    await writeVersion(ctx, row, typeof input.note === 'string' ? input.note.slice(0, 500) : '');
    await ctx.audit({ action: 'exchange_item_create', object_type: 'exchange_item', object_id: row.id, detail: { name, version: 1 } });
    return presentItem(row);
  },
});

export const itemUpdate = defineAction({
  name: 'exchange_item_update',
  readOnly: false,
  summary: 'Change an exchange data item: a new version (give `version` to refuse a stale edit); `state` retired/active retires or restores it. Data stewards.',
  async run(ctx, input) {
    ctx.authorize('exchange_item_update');
    const row = await findItem(ctx, input.id, true);
    if (input.version !== undefined && Number(input.version) !== row.version) {
      throw ValidationError.field('version', { th: `รายการนี้ถูกแก้ไขแล้ว (ฉบับที่ ${row.version}) กรุณาโหลดใหม่`, en: `The item changed meanwhile (now version ${row.version}); reload it` });
    }
    if (input.name !== undefined && input.name !== row.name) throw ValidationError.field('name', { th: 'เปลี่ยนชื่อรายการไม่ได้ ให้เพิ่มรายการใหม่และเลิกใช้รายการเดิม', en: 'The name cannot change; add a new item and retire this one' });
    const v = readValues(input, true);
    const set: Record<string, unknown> = {};
    for (const k of EDITABLE) if (v[k] !== undefined && v[k] !== row[k]) set[k] = v[k];
    if (input.state !== undefined) {
      if (input.state !== 'active' && input.state !== 'retired') throw ValidationError.field('state', { th: 'สถานะต้องเป็น active หรือ retired', en: 'State is active or retired' });
      if (input.state !== row.state) set.state = input.state;
    }
    if (!Object.keys(set).length) return presentItem(row);
    const next = await ctx.db.updateTable('exchange_items').set({ ...set, version: row.version + 1, modified: ctx.now, modified_by: ctx.actor.kind === 'user' ? ctx.actor.user.id : null }).where('id', '=', row.id).returningAll().executeTakeFirstOrThrow();
    await writeVersion(ctx, next, typeof input.note === 'string' ? input.note.slice(0, 500) : '');
    await ctx.audit({ action: 'exchange_item_update', object_type: 'exchange_item', object_id: row.id, detail: { name: row.name, version: next.version, fields: Object.keys(set) } });
    return presentItem(next);
  },
});
