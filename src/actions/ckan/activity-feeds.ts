import { sql, type RawBuilder, type SqlBool } from 'kysely';
import { defineAction } from '../registry.ts';
import type { ActionContext } from '../context.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import { M } from '../../standard/messages.ts';
import { visibleDatasets } from '../../access/visibility.ts';
import { memberOrgs, userId } from '../../access/actor.ts';
import { versionColumns } from '../datasets/activity.ts';
import { findGroup } from '../datasets/load.ts';
import { readPaging, stringParam } from '../params.ts';
import { noteRead } from '../disclosure.ts';

interface FeedRow {
  id: string;
  timestamp: Date | string;
  user_id: string | null;
  object_id: string;
  activity_type: string;
  version: number;
  pkg: Record<string, unknown> | null;
  user_name: string | null;
  user_fullname: string | null;
  v_state: string;
  v_private: boolean;
  v_category: string;
  v_classification: string;
}

const OPTS = { includeDrafts: true, includeDeleted: true };

/**
 * Activity across datasets, each entry judged by its own version's snapshot with the same visibility
 * SQL as package_activity_list (a version the caller could not have seen is left out, also from
 * counts). Entries carry a summary of the dataset then (id, name, title, organisation, state): the
 * full snapshot, its resources and field changes stay with package_activity_list, which also
 * judges the version before.
 */
export async function activityFeed(ctx: ActionContext, where: RawBuilder<SqlBool>, input: Record<string, unknown>) {
  const { limit, offset } = readPaging(input, 31, 100);
  const rows = (
    await sql<FeedRow>`
      SELECT a.id, a.timestamp, a.user_id, a.object_id, a.activity_type, a.version,
        jsonb_build_object('id', a.data->'package'->'id', 'name', a.data->'package'->'name', 'title', a.data->'package'->'title',
          'type', a.data->'package'->'type', 'owner_org', a.data->'package'->'owner_org', 'private', a.data->'package'->'private',
          'state', a.data->'package'->'state', 'metadata_modified', a.data->'package'->'metadata_modified',
          'organization', a.data->'package'->'organization'->'title') AS pkg,
        u.name AS user_name, u.fullname AS user_fullname,
        d.state AS v_state, d.private AS v_private, d.data_category AS v_category, d.data_classification AS v_classification
      FROM activity a
      LEFT JOIN users u ON u.id = a.user_id
      CROSS JOIN LATERAL ${versionColumns(sql`a.data`, sql`a.object_id`)} d
      WHERE ${where} AND ${visibleDatasets(ctx.actor, 'd', OPTS)}
      ORDER BY a.timestamp DESC, a.id DESC
      LIMIT ${limit} OFFSET ${offset}`.execute(ctx.db)
  ).rows;
  return rows.map((a) => {
    // A summary of a version outside the public category (its title, name) is a disclosure too.
    noteRead(ctx, { id: a.object_id, state: a.v_state, private: a.v_private, data_category: a.v_category, data_classification: a.v_classification }, 'metadata', { type: 'activity', id: a.id });
    const pkg = { ...(a.pkg ?? {}) };
    const orgTitle = typeof pkg.organization === 'string' ? pkg.organization : null;
    delete pkg.organization;
    const staff = ctx.can('staff_identities', { orgs: [typeof pkg.owner_org === 'string' ? pkg.owner_org : null] });
    return {
      id: a.id,
      timestamp: a.timestamp instanceof Date ? a.timestamp.toISOString().replace('Z', '') : a.timestamp,
      // Staff identities only for colleagues (ckan.auth.public_user_details=false); others see the organisation.
      user_id: staff ? a.user_id : null,
      user_name: staff ? a.user_name : null,
      user_display_name: a.user_id === null ? null : staff ? a.user_fullname || a.user_name : orgTitle,
      object_id: a.object_id,
      activity_type: a.activity_type,
      version: a.version,
      data: { package: pkg },
    };
  });
}

const PAGING = { limit: { type: 'integer' as const, description: 'at most 100 (default 31)' }, offset: { type: 'integer' as const, description: 'start' } };

export const organizationActivityList = defineAction({
  name: 'organization_activity_list',
  readOnly: true,
  summary: "Changes to an organisation's datasets, newest first; each version judged as it was classified then.",
  params: { id: { type: 'string', description: 'organisation id or name', required: true }, ...PAGING },
  async run(ctx, input) {
    const ref = stringParam(input, 'id')?.trim();
    const org = ref ? await findGroup(ctx.db, ref, true) : undefined;
    ctx.authorize('organization_activity_list', org ?? { state: 'active' }); // a missing organisation is a 404, not a 403
    if (!ref) throw ValidationError.field('id', M.missing());
    if (!org) throw new NotFoundError();
    return activityFeed(ctx, sql<SqlBool>`d.owner_org = ${org.id}::uuid`, input);
  },
});

export const recentlyChangedPackagesActivityList = defineAction({
  name: 'recently_changed_packages_activity_list',
  readOnly: true,
  summary: 'The latest dataset changes across the catalog that the caller may see, newest first.',
  params: PAGING,
  async run(ctx, input) {
    ctx.authorize('recently_changed_packages_activity_list');
    return activityFeed(ctx, sql<SqlBool>`TRUE`, input);
  },
});

export const dashboardActivityList = defineAction({
  name: 'dashboard_activity_list',
  readOnly: true,
  summary: "The signed-in user's news: their own changes and changes to datasets of their organisations, newest first.",
  params: PAGING,
  async run(ctx, input) {
    ctx.authorize('dashboard_activity_list');
    const me = userId(ctx.actor);
    if (!me) return [];
    return activityFeed(ctx, sql<SqlBool>`(a.user_id = ${me}::uuid OR d.owner_org = ANY(${memberOrgs(ctx.actor)}::uuid[]))`, input);
  },
});
