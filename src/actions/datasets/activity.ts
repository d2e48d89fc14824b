import { sql, type RawBuilder } from 'kysely';
import { defineAction } from '../registry.ts';
import type { ActionContext } from '../context.ts';
import type { FieldChange } from '../../store/schema.ts';
import type { DatasetSubject } from '../../policies/dataset.ts';
import { visibleDatasets } from '../../access/visibility.ts';
import { readPaging } from '../params.ts';
import { requireDataset } from './load.ts';
import { noteRead } from '../disclosure.ts';

/**
 * The columns the visibility SQL reads, taken from a version's snapshot instead of the live row:
 * each version is judged by what it was (its category, privacy, state and organisation then).
 * A snapshot missing a field is judged as private and deleted: deny by default.
 */
export function versionColumns(data: RawBuilder<unknown>, id: RawBuilder<unknown>) {
  return sql`(SELECT ${id} AS id,
      COALESCE(${data}->'package'->>'state', 'deleted') AS state,
      COALESCE((${data}->'package'->>'private')::boolean, true) AS private,
      COALESCE(${data}->'package'->>'data_category', '') AS data_category,
      COALESCE(${data}->'package'->>'data_classification', '') AS data_classification,
      NULLIF(${data}->'package'->>'owner_org', '')::uuid AS owner_org)`;
}

interface ActivityRow {
  id: string;
  timestamp: Date | string;
  user_id: string | null;
  object_id: string;
  activity_type: string;
  version: number;
  data: { package?: Record<string, unknown> };
  changes: FieldChange[];
  user_name: string | null;
  user_fullname: string | null;
  /** The version's own classification (versionColumns): a non-public one is a disclosure to note. */
  v_state: string;
  v_private: boolean;
  v_category: string;
  v_classification: string;
  prev_exists: boolean;
  prev_visible: boolean;
  prev_state: string | null;
  prev_private: boolean | null;
  prev_category: string | null;
  prev_classification: string | null;
  prev_owner_org: string | null;
  prev_private_resources: string[] | null;
}

type Snapshot = Record<string, unknown>;

function versionSubject(pkg: Snapshot, fileGrant: boolean): DatasetSubject {
  return {
    owner_org: typeof pkg.owner_org === 'string' ? pkg.owner_org : null,
    state: typeof pkg.state === 'string' ? pkg.state : 'deleted',
    private: pkg.private !== false,
    data_category: typeof pkg.data_category === 'string' ? pkg.data_category : '',
    data_classification: typeof pkg.data_classification === 'string' ? pkg.data_classification : '',
    visible: true,
    fileGrant,
  };
}

export const packageActivityList = defineAction({
  name: 'package_activity_list',
  readOnly: true,
  summary:
    "A dataset's history: one entry per change, newest first, with who, when and what changed. Each version is shown " +
    'as it was classified then: versions the caller could not have seen are left out, and so are changes from them.',
  params: { id: { type: 'string', description: 'dataset id or name', required: true }, limit: { type: 'integer', description: 'at most 100' }, offset: { type: 'integer', description: 'start' } },
  async run(ctx, input) {
    const { row, subject } = await requireDataset(ctx, input, 'package_activity_list');
    const { limit, offset } = readPaging(input, 31, 100);
    // Those who may edit the dataset now hold its whole record; everyone else sees the versions the
    // visibility SQL would have let them see, judged on each snapshot.
    const editorNow = ctx.can('package_update', subject);
    const opts = { includeDrafts: true, includeDeleted: true };
    const rows = (
      await sql<ActivityRow>`
        SELECT a.id, a.timestamp, a.user_id, a.object_id, a.activity_type, a.version, a.data, a.changes,
          u.name AS user_name, u.fullname AS user_fullname,
          d.state AS v_state, d.private AS v_private, d.data_category AS v_category, d.data_classification AS v_classification,
          prev.data IS NOT NULL AS prev_exists,
          (prev.data IS NOT NULL AND ${editorNow ? sql`TRUE` : visibleDatasets(ctx.actor, 'pd', opts)}) AS prev_visible,
          pd.state AS prev_state, pd.private AS prev_private, pd.data_category AS prev_category,
          pd.data_classification AS prev_classification, pd.owner_org AS prev_owner_org,
          (SELECT array_agg(r->>'id') FROM jsonb_array_elements(
              CASE WHEN jsonb_typeof(prev.data->'package'->'resources') = 'array' THEN prev.data->'package'->'resources' ELSE '[]'::jsonb END) r
            WHERE r->>'resource_private' = 'True') AS prev_private_resources
        FROM activity a
        LEFT JOIN users u ON u.id = a.user_id
        CROSS JOIN LATERAL ${versionColumns(sql`a.data`, sql`a.object_id`)} d
        LEFT JOIN LATERAL (
          SELECT p.data FROM activity p WHERE p.object_id = a.object_id AND p.version < a.version
          ORDER BY p.version DESC, p.timestamp DESC LIMIT 1
        ) prev ON true
        CROSS JOIN LATERAL ${versionColumns(sql`prev.data`, sql`a.object_id`)} pd
        WHERE a.object_id = ${row.id} AND ${editorNow ? sql`TRUE` : visibleDatasets(ctx.actor, 'd', opts)}
        ORDER BY a.timestamp DESC, a.version DESC
        LIMIT ${limit} OFFSET ${offset}`.execute(ctx.db)
    ).rows;

    const staff = ctx.can('staff_identities', { orgs: [row.owner_org] });
    const currentOrg = row.owner_org ? await ctx.db.selectFrom('groups').select(['name', 'title']).where('id', '=', row.owner_org).executeTakeFirst() : undefined;
    const fileGrant = subject.fileGrant === true;
    return rows.map((a) => {
      noteRead(ctx, { id: a.object_id, state: a.v_state, private: a.v_private, data_category: a.v_category, data_classification: a.v_classification }, 'metadata', { type: 'activity', id: a.id });
      const pkg: Snapshot = { ...(a.data?.package ?? {}) };
      const then = versionSubject(pkg, fileGrant);
      const before: DatasetSubject = {
        owner_org: a.prev_owner_org,
        state: a.prev_state ?? 'deleted',
        private: a.prev_private !== false,
        data_category: a.prev_category ?? '',
        data_classification: a.prev_classification ?? '',
        visible: a.prev_visible,
        fileGrant,
      };
      const files = ctx.can('dataset_files', then) && (!a.prev_exists || ctx.can('dataset_files', before));
      const privateResources = editorNow || ctx.can('package_update', then);
      const resources = Array.isArray(pkg.resources) ? (pkg.resources as Snapshot[]) : [];
      // A resource private in this version or in the one before stays hidden, also once it is deleted.
      const hidden = new Set(privateResources ? [] : [...resources.filter((r) => r.resource_private === 'True').map((r) => String(r.id)), ...(a.prev_private_resources ?? [])]);
      pkg.resources = resources.filter((r) => !hidden.has(String(r.id))).map((r) => (files ? r : { ...r, url: '', url_restricted: true }));
      // Changes carry the previous version's values: shown only when that version could be seen too.
      const withheld = a.prev_exists && !a.prev_visible;
      const changes = withheld
        ? []
        : a.changes.filter((c) => {
            const res = /^resources\[([^\]]+)\]/.exec(c.field);
            if (res && hidden.has(res[1]!)) return false;
            if (!files && /\.url$/.test(c.field)) return false;
            return staff || c.field !== 'creator_user_id';
          });
      if (!staff) pkg.creator_user_id = null;
      // Visitors who may not see staff identities see the organisation the dataset belonged to then.
      const orgThen = pkg.organization && typeof pkg.organization === 'object' ? (pkg.organization as Record<string, unknown>) : undefined;
      const orgName = String(orgThen?.title || currentOrg?.title || orgThen?.name || currentOrg?.name || '') || null;
      const who = a.user_id === null ? null : staff ? a.user_fullname || a.user_name : orgName;
      return {
        id: a.id,
        timestamp: a.timestamp instanceof Date ? a.timestamp.toISOString().replace('Z', '') : a.timestamp,
        // Staff identities only for colleagues (ckan.auth.public_user_details=false); others see the organisation.
        user_id: staff ? a.user_id : null,
        user_name: staff ? a.user_name : null,
        user_display_name: who,
        object_id: a.object_id,
        activity_type: a.activity_type,
        version: a.version,
        data: { package: pkg },
        changes,
        ...(withheld ? { changes_withheld: true } : {}),
      };
    });
  },
});
