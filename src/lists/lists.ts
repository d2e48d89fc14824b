import crypto from 'node:crypto';
import { sql } from 'kysely';
import { defineAction, type ActionDef } from '../actions/registry.ts';
import type { ActionContext } from '../actions/context.ts';
import { NotFoundError, ValidationError } from '../actions/errors.ts';
import { findDataset, requireDataset, UUID } from '../actions/datasets/load.ts';
import { packageDicts } from '../actions/datasets/present.ts';
import { visibleDatasets } from '../access/visibility.ts';
import { readPaging, stringParam } from '../actions/params.ts';
import { userId } from '../access/actor.ts';
import { ckanTime } from '../util/time.ts';
import { M } from '../standard/messages.ts';

/**
 * Named personal lists of datasets ("รายการของฉัน"), private to their owner: another user's list
 * answers as if it did not exist, even to a sysadmin. Entries the owner can no longer see are left
 * out of every answer, counts included (the visibility SQL), and come back if the right does.
 */

const notFound = () => new NotFoundError({ th: 'ไม่พบรายการนี้', en: 'List not found' });

function owner(ctx: ActionContext, rule: string): string {
  ctx.authorize(rule);
  return userId(ctx.actor)!;
}

function readTitle(input: Record<string, unknown>): string {
  const title = (stringParam(input, 'title') ?? '').trim();
  if (!title) throw ValidationError.field('title', M.missing());
  if (title.length > 200) throw ValidationError.field('title', { th: 'ชื่อรายการยาวได้ไม่เกิน 200 ตัวอักษร', en: 'At most 200 characters' });
  return title;
}

async function ownList(ctx: ActionContext, input: Record<string, unknown>, user: string) {
  const id = stringParam(input, 'id')?.trim();
  if (!id) throw ValidationError.field('id', M.missing());
  if (!UUID.test(id)) throw notFound();
  const list = await ctx.db.selectFrom('user_lists').selectAll().where('id', '=', id.toLowerCase()).where('owner_id', '=', user).executeTakeFirst();
  if (!list) throw notFound();
  return list;
}

async function titleFree(ctx: ActionContext, user: string, title: string, except?: string): Promise<void> {
  const clash = await ctx.db
    .selectFrom('user_lists')
    .select('id')
    .where('owner_id', '=', user)
    .where(sql`lower(title)`, '=', title.toLowerCase())
    .$if(!!except, (q) => q.where('id', '<>', except!))
    .executeTakeFirst();
  if (clash) throw ValidationError.field('title', { th: 'คุณมีรายการชื่อนี้อยู่แล้ว', en: 'You already have a list with this title' });
}

/** The owner's lists with the number of entries they may still see. */
async function listRows(ctx: ActionContext, user: string, onlyId?: string) {
  const rows = await sql<{ id: string; title: string; created: Date; modified: Date; dataset_count: string }>`
    SELECT l.id, l.title, l.created, l.modified,
      (SELECT count(*) FROM user_list_items i JOIN datasets d ON d.id = i.dataset_id WHERE i.list_id = l.id AND ${visibleDatasets(ctx.actor, 'd')}) AS dataset_count
    FROM user_lists l WHERE l.owner_id = ${user} ${onlyId ? sql`AND l.id = ${onlyId}` : sql``}
    ORDER BY lower(l.title), l.id`.execute(ctx.db);
  return rows.rows.map((r) => ({ id: r.id, title: r.title, created: ckanTime(r.created), modified: ckanTime(r.modified), dataset_count: Number(r.dataset_count) }));
}

export const userListCreate = defineAction({
  name: 'user_list_create',
  readOnly: false,
  summary: 'Create a named personal list of datasets (private to the signed-in caller).',
  params: { title: { type: 'string', description: 'the list’s title, unique among the caller’s lists', required: true } },
  async run(ctx, input) {
    const user = owner(ctx, 'user_list_create');
    const title = readTitle(input);
    await titleFree(ctx, user, title);
    const id = crypto.randomUUID();
    await ctx.db.insertInto('user_lists').values({ id, owner_id: user, title, created: ctx.now, modified: ctx.now }).execute();
    await ctx.audit({ action: 'user_list_create', object_type: 'user_list', object_id: id });
    return (await listRows(ctx, user, id))[0];
  },
});

export const userListUpdate = defineAction({
  name: 'user_list_update',
  readOnly: false,
  summary: 'Rename one of the caller’s lists.',
  params: { id: { type: 'string', description: 'list id', required: true }, title: { type: 'string', description: 'new title', required: true } },
  async run(ctx, input) {
    const user = owner(ctx, 'user_list_update');
    const list = await ownList(ctx, input, user);
    const title = readTitle(input);
    await titleFree(ctx, user, title, list.id);
    await ctx.db.updateTable('user_lists').set({ title, modified: ctx.now }).where('id', '=', list.id).execute();
    await ctx.audit({ action: 'user_list_update', object_type: 'user_list', object_id: list.id });
    return (await listRows(ctx, user, list.id))[0];
  },
});

export const userListDelete = defineAction({
  name: 'user_list_delete',
  readOnly: false,
  summary: 'Delete one of the caller’s lists (the datasets stay).',
  params: { id: { type: 'string', description: 'list id', required: true } },
  async run(ctx, input) {
    const user = owner(ctx, 'user_list_delete');
    const list = await ownList(ctx, input, user);
    await ctx.db.deleteFrom('user_lists').where('id', '=', list.id).execute();
    await ctx.audit({ action: 'user_list_delete', object_type: 'user_list', object_id: list.id });
    return null;
  },
});

export const userListDatasetAdd = defineAction({
  name: 'user_list_dataset_add',
  readOnly: false,
  summary: 'Add a dataset the caller may see to one of their lists.',
  params: { id: { type: 'string', description: 'list id', required: true }, dataset: { type: 'string', description: 'dataset id or name', required: true } },
  async run(ctx, input) {
    // The dataset's rule asks for a signed-in caller who may see it.
    const { row } = await requireDataset(ctx, input, 'user_list_dataset_add', 'dataset');
    const user = userId(ctx.actor)!;
    const list = await ownList(ctx, input, user);
    await ctx.db.insertInto('user_list_items').values({ list_id: list.id, dataset_id: row.id, added: ctx.now }).onConflict((oc) => oc.doNothing()).execute();
    await ctx.audit({ action: 'user_list_dataset_add', object_type: 'user_list', object_id: list.id, detail: { dataset_id: row.id } });
    await ctx.db.updateTable('user_lists').set({ modified: ctx.now }).where('id', '=', list.id).execute();
    return (await listRows(ctx, user, list.id))[0];
  },
});

export const userListDatasetRemove = defineAction({
  name: 'user_list_dataset_remove',
  readOnly: false,
  summary: 'Remove a dataset from one of the caller’s lists (also one they can no longer see).',
  params: { id: { type: 'string', description: 'list id', required: true }, dataset: { type: 'string', description: 'dataset id or name', required: true } },
  async run(ctx, input) {
    const user = owner(ctx, 'user_list_dataset_remove');
    const list = await ownList(ctx, input, user);
    const ref = stringParam(input, 'dataset')?.trim();
    if (!ref) throw ValidationError.field('dataset', M.missing());
    const row = await findDataset(ctx.db, ref);
    if (row) await ctx.db.deleteFrom('user_list_items').where('list_id', '=', list.id).where('dataset_id', '=', row.id).execute();
    await ctx.audit({ action: 'user_list_dataset_remove', object_type: 'user_list', object_id: list.id, detail: { dataset_id: row?.id ?? null } });
    await ctx.db.updateTable('user_lists').set({ modified: ctx.now }).where('id', '=', list.id).execute();
    return (await listRows(ctx, user, list.id))[0];
  },
});

export const userListList = defineAction({
  name: 'user_list_list',
  readOnly: true,
  summary: 'The caller’s lists with how many entries they may see; with `dataset`, whether each holds it.',
  params: { dataset: { type: 'string', description: 'dataset id or name: adds `contains` to each list' } },
  async run(ctx, input) {
    const user = owner(ctx, 'user_list_list');
    const lists = await listRows(ctx, user);
    const ref = stringParam(input, 'dataset')?.trim();
    if (!ref) return lists;
    const row = await findDataset(ctx.db, ref);
    const holding = new Set(row ? (await ctx.db.selectFrom('user_list_items').select('list_id').where('dataset_id', '=', row.id).where('list_id', 'in', lists.length ? lists.map((l) => l.id) : [crypto.randomUUID()]).execute()).map((r) => r.list_id) : []);
    return lists.map((l) => ({ ...l, contains: holding.has(l.id) }));
  },
});

export const userListShow = defineAction({
  name: 'user_list_show',
  readOnly: true,
  summary: 'One of the caller’s lists with the datasets in it they may see (package dicts, newest first).',
  params: { id: { type: 'string', description: 'list id', required: true }, limit: { type: 'integer', description: 'page size' }, offset: { type: 'integer', description: 'start' } },
  async run(ctx, input) {
    const user = owner(ctx, 'user_list_show');
    const list = await ownList(ctx, input, user);
    const { limit, offset } = readPaging(input, 100, 1000);
    const rows = await ctx.db
      .selectFrom('user_list_items as i')
      .innerJoin('datasets as d', 'd.id', 'i.dataset_id')
      .selectAll('d')
      .where('i.list_id', '=', list.id)
      .where(visibleDatasets(ctx.actor, 'd'))
      .orderBy('i.added', 'desc')
      .orderBy('d.name')
      .limit(limit)
      .offset(offset)
      .execute();
    return { ...(await listRows(ctx, user, list.id))[0], datasets: await packageDicts(ctx, rows) };
  },
});

export const listActions: ActionDef[] = [userListCreate, userListUpdate, userListDelete, userListDatasetAdd, userListDatasetRemove, userListList, userListShow];
