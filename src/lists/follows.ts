import { defineAction, type ActionDef } from '../actions/registry.ts';
import type { ActionContext } from '../actions/context.ts';
import { AuthorizationError, NotFoundError, ValidationError } from '../actions/errors.ts';
import { findDataset, requireDataset } from '../actions/datasets/load.ts';
import { packageDicts } from '../actions/datasets/present.ts';
import { visibleDatasets } from '../access/visibility.ts';
import { readPaging, stringParam } from '../actions/params.ts';
import { userId } from '../access/actor.ts';
import { ckanTime } from '../util/time.ts';
import { M } from '../standard/messages.ts';

/**
 * CKAN's follow API for datasets (2.10 names and shapes). Following needs a signed-in user who may
 * see the dataset; a followed dataset the user can no longer see drops out of every answer (the
 * lists and their counts filter with the visibility SQL), and the followee lists are the user's own.
 */

/** The signed-in caller's id; the action's rule denies anyone else. */
function me(ctx: ActionContext, rule: string): string {
  ctx.authorize(rule);
  return userId(ctx.actor)!;
}

/** The user a followee action names (`id`, default the caller): only the caller themself. */
async function followeeOwner(ctx: ActionContext, input: Record<string, unknown>, rule: string): Promise<string> {
  const self = me(ctx, rule);
  const ref = stringParam(input, 'id');
  if (ref === undefined || ref === '' || ref === self || ref === (ctx.actor.kind === 'user' ? ctx.actor.user.name : '')) return self;
  const u = await ctx.db.selectFrom('users').select('id').where((eb) => eb.or([eb('name', '=', ref), ...(/^[0-9a-f-]{36}$/i.test(ref) ? [eb('id', '=', ref.toLowerCase())] : [])])).executeTakeFirst();
  if (!u) throw new NotFoundError();
  if (u.id !== self) throw new AuthorizationError();
  return self;
}

/** The datasets `user` follows that the caller may see (SQL). */
function followedVisible(ctx: ActionContext, user: string) {
  return ctx.db
    .selectFrom('dataset_follows as f')
    .innerJoin('datasets as d', 'd.id', 'f.dataset_id')
    .where('f.user_id', '=', user)
    .where(visibleDatasets(ctx.actor, 'd'));
}

export const followDataset = defineAction({
  name: 'follow_dataset',
  readOnly: false,
  summary: 'Follow a dataset (signed-in users, datasets they may see).',
  params: { id: { type: 'string', description: 'dataset id or name', required: true } },
  async run(ctx, input) {
    const { row } = await requireDataset(ctx, input, 'follow_dataset');
    const user = userId(ctx.actor)!;
    const done = await ctx.db.insertInto('dataset_follows').values({ user_id: user, dataset_id: row.id, created: ctx.now }).onConflict((oc) => oc.doNothing()).returning('created').executeTakeFirst();
    if (!done) throw ValidationError.field('message', { th: 'คุณติดตามชุดข้อมูลนี้อยู่แล้ว', en: `You are already following ${row.name}` });
    await ctx.audit({ action: 'follow_dataset', object_type: 'dataset', object_id: row.id });
    return { follower_id: user, object_id: row.id, datetime: ckanTime(ctx.now) };
  },
});

export const unfollowDataset = defineAction({
  name: 'unfollow_dataset',
  readOnly: false,
  summary: 'Stop following a dataset (also one the caller can no longer see).',
  params: { id: { type: 'string', description: 'dataset id or name', required: true } },
  async run(ctx, input) {
    const user = me(ctx, 'unfollow_dataset');
    const ref = stringParam(input, 'id')?.trim();
    if (!ref) throw ValidationError.field('id', M.missing());
    const row = await findDataset(ctx.db, ref);
    // Only the caller's own follow row is touched, so naming a dataset they cannot see discloses nothing.
    const gone = row ? await ctx.db.deleteFrom('dataset_follows').where('user_id', '=', user).where('dataset_id', '=', row.id).executeTakeFirst() : undefined;
    if (!gone || Number(gone.numDeletedRows) === 0) throw new NotFoundError({ th: 'คุณไม่ได้ติดตามชุดข้อมูลนี้', en: 'You are not following this dataset' });
    await ctx.audit({ action: 'unfollow_dataset', object_type: 'dataset', object_id: row!.id });
    return null;
  },
});

export const amFollowingDataset = defineAction({
  name: 'am_following_dataset',
  readOnly: true,
  summary: 'Whether the signed-in caller follows the dataset.',
  params: { id: { type: 'string', description: 'dataset id or name', required: true } },
  async run(ctx, input) {
    const { row } = await requireDataset(ctx, input, 'am_following_dataset');
    const user = userId(ctx.actor)!;
    return !!(await ctx.db.selectFrom('dataset_follows').select('user_id').where('user_id', '=', user).where('dataset_id', '=', row.id).executeTakeFirst());
  },
});

export const datasetFollowerCount = defineAction({
  name: 'dataset_follower_count',
  readOnly: true,
  // A hot page read: no BEGIN/COMMIT round trips (registry.ts); a disclosure row is its one write.
  transaction: 'statement',
  summary: 'How many users follow the dataset (as visible as the dataset).',
  params: { id: { type: 'string', description: 'dataset id or name', required: true } },
  async run(ctx, input) {
    const { row } = await requireDataset(ctx, input, 'dataset_follower_count');
    const r = await ctx.db.selectFrom('dataset_follows').select((eb) => eb.fn.countAll<string>().as('n')).where('dataset_id', '=', row.id).executeTakeFirstOrThrow();
    return Number(r.n);
  },
});

/** CKAN's dataset_follower_list: who follows a dataset; sysadmins only, as in CKAN (follows are personal). */
export const datasetFollowerList = defineAction({
  name: 'dataset_follower_list',
  readOnly: true,
  summary: 'The users who follow a dataset (sysadmins only, as in CKAN).',
  params: { id: { type: 'string', description: 'dataset id or name', required: true } },
  async run(ctx, input) {
    const { row } = await requireDataset(ctx, input, 'dataset_follower_list');
    const users = await ctx.db
      .selectFrom('dataset_follows as f')
      .innerJoin('users as u', 'u.id', 'f.user_id')
      .select(['u.id', 'u.name', 'u.fullname'])
      .where('f.dataset_id', '=', row.id)
      .where('u.state', '=', 'active')
      .orderBy('u.name')
      .execute();
    return users.map((u) => ({ id: u.id, name: u.name, display_name: u.fullname || u.name }));
  },
});

export const datasetFolloweeCount = defineAction({
  name: 'dataset_followee_count',
  readOnly: true,
  summary: 'How many datasets the caller follows and may still see.',
  params: { id: { type: 'string', description: 'user id or name (default: the caller; only the caller)' } },
  run: (ctx, input) => followedCount(ctx, input, 'dataset_followee_count'),
});

/**
 * CKAN's followee_count: how many objects of any kind the user follows. Datasets are the only kind
 * followed here, so it is dataset_followee_count under CKAN's other name (clients call either).
 */
export const followeeCount = defineAction({
  name: 'followee_count',
  readOnly: true,
  summary: 'How many objects the caller follows (CKAN’s followee_count; datasets only here, those the caller may still see).',
  params: { id: { type: 'string', description: 'user id or name (default: the caller; only the caller)' } },
  run: (ctx, input) => followedCount(ctx, input, 'followee_count'),
});

/** The caller's followed datasets they may still see, counted (both of CKAN's names for it). */
async function followedCount(ctx: ActionContext, input: Record<string, unknown>, rule: string): Promise<number> {
  const user = await followeeOwner(ctx, input, rule);
  const r = await followedVisible(ctx, user).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

async function followees(ctx: ActionContext, input: Record<string, unknown>, rule: string) {
  const user = await followeeOwner(ctx, input, rule);
  const { limit, offset } = readPaging(input, 100, 1000);
  const rows = await followedVisible(ctx, user).selectAll('d').orderBy('f.created', 'desc').orderBy('d.name').limit(limit).offset(offset).execute();
  return packageDicts(ctx, rows);
}

export const datasetFolloweeList = defineAction({
  name: 'dataset_followee_list',
  readOnly: true,
  summary: 'The datasets the caller follows and may still see (package dicts, newest first).',
  params: { id: { type: 'string', description: 'user id or name (default: the caller; only the caller)' }, limit: { type: 'integer', description: 'page size' }, offset: { type: 'integer', description: 'start' } },
  run: (ctx, input) => followees(ctx, input, 'dataset_followee_list'),
});

/** CKAN's followee_list: everything the user follows as {type, display_name, dict}; here datasets. */
export const followeeList = defineAction({
  name: 'followee_list',
  readOnly: true,
  summary: 'Everything the caller follows, as CKAN answers it ({type, display_name, dict}); datasets only here.',
  params: { id: { type: 'string', description: 'user id or name (default: the caller; only the caller)' }, q: { type: 'string', description: 'filter on the display name' } },
  async run(ctx, input) {
    const q = (stringParam(input, 'q') ?? '').trim().toLowerCase();
    const dicts = (await followees(ctx, input, 'followee_list')) as Array<Record<string, unknown>>;
    return dicts
      .map((d) => ({ type: 'dataset', display_name: String(d.title || d.name), dict: d }))
      .filter((f) => !q || f.display_name.toLowerCase().includes(q));
  },
});

export const followActions: ActionDef[] = [followDataset, unfollowDataset, amFollowingDataset, datasetFollowerCount, datasetFollowerList, datasetFolloweeCount, followeeCount, datasetFolloweeList, followeeList];
