import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { defineAction, type ActionDef } from '../actions/registry.ts';
import type { ActionContext } from '../actions/context.ts';
import { findDataset, findGroup } from '../actions/datasets/load.ts';
import { NotFoundError, ValidationError, type Msg } from '../actions/errors.ts';
import { isOpenData, visibleDatasets } from '../access/visibility.ts';
import { userId } from '../access/actor.ts';
import { M } from '../standard/messages.ts';
import { ckanTime } from '../util/time.ts';
import type { GroupRow } from '../store/schema.ts';

/** The OIT open-data items (processes.md P11) as data: code, title, the evidence expected. */
export interface OitItem {
  code: string;
  title: Msg;
  evidence: Msg;
}

export const OIT_ITEMS: readonly OitItem[] = (JSON.parse(fs.readFileSync(path.join(import.meta.dirname, 'oit-items.json'), 'utf8')) as { items: OitItem[] }).items;

const text = (v: unknown) => (typeof v === 'string' ? v.trim() : '');

/** The agency an organisation belongs to: the top of its hierarchy (the checklist is the agency's, not a unit's). */
async function agencyOf(ctx: ActionContext, input: Record<string, unknown>): Promise<GroupRow> {
  const ref = text(input.organization ?? input.id);
  if (!ref) throw ValidationError.field('organization', M.missing());
  const org = await findGroup(ctx.db, ref, true);
  if (!org || org.state !== 'active') throw new NotFoundError();
  const top = await sql<{ id: string }>`
    WITH RECURSIVE up(id, parent_id, depth) AS (
      SELECT id, parent_id, 0 FROM groups WHERE id = ${org.id}::uuid
      UNION ALL SELECT g.id, g.parent_id, u.depth + 1 FROM groups g JOIN up u ON g.id = u.parent_id WHERE u.depth < 50
    ) SELECT id FROM up WHERE parent_id IS NULL LIMIT 1`.execute(ctx.db);
  const id = top.rows[0]?.id ?? org.id;
  return id === org.id ? org : ((await ctx.db.selectFrom('groups').selectAll().where('id', '=', id).executeTakeFirst()) ?? org);
}

/** SQL: the agency and every unit under it (one definition for linking and for reading links). */
function agencyUnits(agencyId: string) {
  return sql`(WITH RECURSIVE tree(id) AS (SELECT ${agencyId}::uuid UNION SELECT g.id FROM groups g JOIN tree t ON g.parent_id = t.id) SELECT id FROM tree)`;
}

/** Is the dataset owned by the agency or one of its units? */
async function ownedByAgency(ctx: ActionContext, agencyId: string, ownerOrg: string | null): Promise<boolean> {
  if (!ownerOrg) return false;
  const r = await sql<{ ok: number }>`SELECT 1 AS ok WHERE ${ownerOrg}::uuid IN ${agencyUnits(agencyId)}`.execute(ctx.db);
  return r.rows.length > 0;
}

function itemOf(input: Record<string, unknown>): OitItem {
  const code = text(input.item).toUpperCase();
  if (!code) throw ValidationError.field('item', M.missing());
  const item = OIT_ITEMS.find((i) => i.code === code);
  if (!item) throw ValidationError.field('item', { th: `ไม่มีรายการ OIT ${code} (มี ${OIT_ITEMS.map((i) => i.code).join(', ')})`, en: `No OIT item ${code} (known: ${OIT_ITEMS.map((i) => i.code).join(', ')})` });
  return item;
}

/**
 * oit_checklist_show: the agency's OIT items, each with its linked dataset when the caller may see
 * it; an item linked to an entry the caller may not see is reported as linked but not public.
 */
export const oitChecklistShow = defineAction({
  name: 'oit_checklist_show',
  readOnly: true,
  summary: 'The OIT open-data checklist (O2, O5, O7, O9, O16, O22) of an agency (the top organisation of the one named): each item with its linked dataset, and the items still missing.',
  params: { organization: { type: 'string', description: 'organisation id or name (its top organisation is the agency)', required: true } },
  async run(ctx, input) {
    ctx.authorize('oit_checklist_show', {});
    const agency = await agencyOf(ctx, input);
    const links = await ctx.db
      .selectFrom('oit_links as l')
      .innerJoin('datasets as d', 'd.id', 'l.dataset_id')
      .select(['l.item', 'l.linked_at', 'd.id', 'd.name', 'd.title', 'd.state', 'd.private', 'd.data_category', 'd.data_classification', sql<boolean>`${visibleDatasets(ctx.actor, 'd')}`.as('visible')])
      .where('l.org_id', '=', agency.id)
      // A link answers an item only while its dataset is still the agency's own, as oit_item_link
      // requires it to be: one moved to another agency since then no longer counts (judged now, in SQL).
      .where(sql<boolean>`d.owner_org IN ${agencyUnits(agency.id)}`)
      .execute();
    const byItem = new Map(links.map((l) => [l.item, l]));
    const items = OIT_ITEMS.map((i) => {
      const l = byItem.get(i.code);
      const shown = l && l.visible;
      return {
        code: i.code,
        title: i.title[ctx.lang],
        title_th: i.title.th,
        title_en: i.title.en,
        evidence: i.evidence[ctx.lang],
        linked: !!l && l.state === 'active',
        dataset: shown ? { id: l.id, name: l.name, title: l.title, open_data: isOpenData(l) } : null,
        linked_at: shown ? ckanTime(l.linked_at) : null,
      };
    });
    return {
      organization: { id: agency.id, name: agency.name, title: agency.title },
      items,
      missing: items.filter((i) => !i.linked).map((i) => i.code),
      may_edit: ctx.can('oit_item_link', { org_id: agency.id }),
    };
  },
});

/** oit_item_link: the agency's admins name the dataset that answers one OIT item (one of the agency's own). */
export const oitItemLink = defineAction({
  name: 'oit_item_link',
  readOnly: false,
  summary: "Link an OIT item of an agency to one of the agency's datasets (the agency's admins).",
  params: {
    organization: { type: 'string', description: 'organisation id or name (its top organisation is the agency)', required: true },
    item: { type: 'string', description: 'OIT item code: O2, O5, O7, O9, O16 or O22', required: true },
    dataset_id: { type: 'string', description: 'dataset id or name', required: true },
  },
  async run(ctx, input) {
    const agency = await agencyOf(ctx, input);
    ctx.authorize('oit_item_link', { org_id: agency.id });
    const item = itemOf(input);
    const ref = text(input.dataset_id ?? input.dataset);
    if (!ref) throw ValidationError.field('dataset_id', M.missing());
    const ds = await findDataset(ctx.db, ref);
    if (!ds || ds.state !== 'active' || !(await ownedByAgency(ctx, agency.id, ds.owner_org))) {
      throw ValidationError.field('dataset_id', { th: 'ต้องเป็นชุดข้อมูลที่เผยแพร่แล้วของหน่วยงานนี้', en: "Must be a published dataset of this agency" });
    }
    const row = { dataset_id: ds.id, linked_by: userId(ctx.actor), linked_at: ctx.now };
    await ctx.db.insertInto('oit_links').values({ org_id: agency.id, item: item.code, ...row }).onConflict((oc) => oc.columns(['org_id', 'item']).doUpdateSet(row)).execute();
    await ctx.audit({ action: 'oit_item_link', object_type: 'organization', object_id: agency.id, detail: { item: item.code, dataset_id: ds.id } });
    return { organization: agency.id, item: item.code, dataset_id: ds.id, open_data: isOpenData(ds) };
  },
});

export const oitItemUnlink = defineAction({
  name: 'oit_item_unlink',
  readOnly: false,
  summary: 'Remove the dataset linked to an OIT item of an agency (the agency\'s admins).',
  params: {
    organization: { type: 'string', description: 'organisation id or name', required: true },
    item: { type: 'string', description: 'OIT item code', required: true },
  },
  async run(ctx, input) {
    const agency = await agencyOf(ctx, input);
    ctx.authorize('oit_item_unlink', { org_id: agency.id });
    const item = itemOf(input);
    const gone = await ctx.db.deleteFrom('oit_links').where('org_id', '=', agency.id).where('item', '=', item.code).returning('dataset_id').executeTakeFirst();
    await ctx.audit({ action: 'oit_item_unlink', object_type: 'organization', object_id: agency.id, detail: { item: item.code, dataset_id: gone?.dataset_id ?? null } });
    return { organization: agency.id, item: item.code, removed: !!gone };
  },
});

export const oitActions: ActionDef[] = [oitChecklistShow, oitItemLink, oitItemUnlink];
