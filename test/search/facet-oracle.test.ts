import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { actorFor, api, type TestEnv } from '../helpers.ts';
import { visibleDatasets, type VisibilityOptions } from '../../src/access/visibility.ts';
import { corpusWithRoles, ROLES, type Role } from './fixtures.ts';

/**
 * package_search's count and facet counts against a brute-force count: every dataset of the real
 * corpus (public, internal, personal, drafts, deleted) read with the row-by-row visibility
 * condition over datasets, facets counted here in JavaScript. One oracle per role.
 */
let env: TestEnv;
let tokens: Partial<Record<Role, string>> = {};
const FACETS = ['organization', 'groups', 'tags', 'res_format', 'license_id', 'data_type', 'data_category', 'data_classification', 'update_frequency_unit', 'geo_coverage'];
let commonTag = '';

before(async () => {
  ({ env, tokens } = await corpusWithRoles());
  commonTag = (await sql<{ t: string }>`SELECT t FROM datasets, unnest(tags) AS t GROUP BY t ORDER BY count(*) DESC, t LIMIT 1`.execute(env.services.store.db)).rows[0]!.t;
});
after(() => env?.close());

interface Row {
  id: string;
  org: string | null;
  tags: string[];
  formats: string[];
  groups: string[];
  license_id: string;
  data_type: string;
  data_category: string;
  data_classification: string;
  update_frequency_unit: string | null;
  geo_coverage: string | null;
}

async function bruteForce(role: Role, opts: VisibilityOptions): Promise<Row[]> {
  const actor = role === 'anonymous' ? ({ kind: 'anonymous' } as const) : await actorFor(env, role === 'sysadmin' ? 'root' : role === 'collaborator' ? 'collab' : role);
  const r = await sql<Row>`
    SELECT d.id, o.name AS org, d.tags, d.license_id, d.data_type, d.data_category, d.data_classification,
      d.metadata->>'update_frequency_unit' AS update_frequency_unit, d.metadata->>'geo_coverage' AS geo_coverage,
      ARRAY(SELECT DISTINCT upper(r.format) FROM resources r WHERE r.dataset_id = d.id AND r.state = 'active' AND r.format <> '') AS formats,
      ARRAY(SELECT g.name FROM dataset_groups dg JOIN groups g ON g.id = dg.group_id AND g.state = 'active' WHERE dg.dataset_id = d.id) AS groups
    FROM datasets d LEFT JOIN groups o ON o.id = d.owner_org
    WHERE ${visibleDatasets(actor, 'd', opts)}`.execute(env.services.store.db);
  return r.rows;
}

function countFacets(rows: Row[]): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = Object.fromEntries(FACETS.map((f) => [f, {}]));
  const add = (f: string, v: string | null | undefined) => {
    if (v) out[f]![v] = (out[f]![v] ?? 0) + 1;
  };
  for (const r of rows) {
    add('organization', r.org);
    for (const t of new Set(r.tags)) add('tags', t);
    for (const f of r.formats) add('res_format', f);
    for (const g of new Set(r.groups)) add('groups', g);
    for (const f of ['license_id', 'data_type', 'data_category', 'data_classification', 'update_frequency_unit', 'geo_coverage'] as const) add(f, r[f]);
  }
  return out;
}

const CASES: Array<{ label: string; params: Record<string, unknown>; opts: VisibilityOptions; tag?: boolean }> = [
  { label: 'everything the caller may see', params: { include_private: true, include_drafts: true }, opts: { includePrivate: true, includeDrafts: true } },
  { label: 'one tag', params: { include_private: true }, opts: { includePrivate: true }, tag: true },
  { label: 'CKAN default (public only)', params: {}, opts: { includePrivate: false } },
];

for (const role of ROLES) {
  test(`${role}: count and every facet count equal a brute-force count`, async () => {
    for (const c of CASES) {
      let rows = await bruteForce(role, c.opts);
      if (c.tag) rows = rows.filter((r) => r.tags.includes(commonTag));
      const params = { q: '*:*', rows: 0, 'facet.field': FACETS, 'facet.limit': -1, ...c.params, ...(c.tag ? { fq: `tags:"${commonTag}"` } : {}) };
      const r = await api(env, 'package_search', params, { token: tokens[role] });
      assert.equal(r.status, 200, JSON.stringify(r.json));
      assert.ok(rows.length > 0, `${role} ${c.label}: the oracle sees something`);
      assert.equal(r.json.result.count, rows.length, `${role} ${c.label}: count`);
      assert.deepEqual(r.json.result.facets, countFacets(rows), `${role} ${c.label}: facets`);
    }
  });
}

test('the roles differ, so the oracle tests something', async () => {
  const counts = await Promise.all(ROLES.map(async (role) => (await bruteForce(role, { includePrivate: true, includeDrafts: true })).length));
  assert.equal(new Set(counts).size >= 5, true, JSON.stringify(counts));
});
