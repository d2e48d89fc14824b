import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { api, datasetInput, makeOrg, makeUser, sys, testEnv, type TestEnv } from '../helpers.ts';

/**
 * Visibility inside the query: for every role, results, count and every facet count include
 * only what the caller may see, and private or sensitive datasets change no number an outsider
 * can see.
 */
let env: TestEnv;
const tokens: Record<string, string> = {};
const FACETS = ['organization', 'groups', 'tags', 'res_format', 'license_id', 'data_type', 'data_category', 'data_classification', 'update_frequency_unit', 'geo_coverage'];

const INTERNAL = { data_category: 'ข้อมูลใช้ภายใน', data_classification: 'ชั้นเผยแพร่ภายในองค์กร', private: true };
const PERSONAL = { data_category: 'ข้อมูลส่วนบุคคล', data_classification: 'ลับ', private: true };

/** Every dataset shares the word แรงงาน and the tag แรงงาน, and has a tag of its own. */
function labourDataset(org: string, key: string, extra: Record<string, unknown> = {}) {
  return datasetInput(org, {
    name: key.toLowerCase(),
    title: `จำนวนกำลังแรงงาน ${key}`,
    tags: ['แรงงาน', `tag-${key}`],
    resources: [{ name: `ไฟล์ ${key}`, url: `https://example.go.th/${key}.csv`, format: key.endsWith('2') ? 'XLSX' : 'CSV' }],
    ...extra,
  });
}

before(async () => {
  env = await testEnv();
  await makeOrg(env, 'org-a', 'กรมแรงงาน ก');
  await makeOrg(env, 'org-b', 'กรมแรงงาน ข');
  await sys(env, 'group_create', { name: 'labour', title: 'แรงงานและการจ้างงาน' });
  tokens.memberA = (await makeUser(env, 'member-a', { org: 'org-a', role: 'member' })).token;
  tokens.editorA = (await makeUser(env, 'editor-a', { org: 'org-a', role: 'editor' })).token;
  tokens.grantee = (await makeUser(env, 'grantee')).token;
  tokens.outsider = (await makeUser(env, 'outsider')).token;
  tokens.sysadmin = (await makeUser(env, 'root', { sysadmin: true })).token;
  await sys(env, 'package_create', labourDataset('org-a', 'A1', { groups: [{ name: 'labour' }] }));
  await sys(env, 'package_create', labourDataset('org-a', 'A2', { ...INTERNAL, groups: [{ name: 'labour' }] }));
  await sys(env, 'package_create', labourDataset('org-a', 'A3', PERSONAL));
  await sys(env, 'package_create', labourDataset('org-a', 'A4', { state: 'draft' }));
  await sys(env, 'package_create', labourDataset('org-a', 'A5'));
  await sys(env, 'package_delete', { id: 'a5' });
  await sys(env, 'package_create', labourDataset('org-b', 'B1'));
  await sys(env, 'package_create', labourDataset('org-b', 'B2', INTERNAL));
  await sys(env, 'dataset_grant_create', { id: 'b2', user: 'grantee', scope: 'metadata' });
});
after(() => env.close());

async function searchAs(who: string, params: Record<string, unknown> = {}) {
  const r = await api(env, 'package_search', { q: 'แรงงาน', rows: 100, 'facet.field': FACETS, 'facet.limit': -1, include_private: true, include_drafts: true, ...params }, { token: tokens[who] });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return r.json.result;
}

const EXPECTED: Record<string, string[]> = {
  anonymous: ['a1', 'b1'],
  outsider: ['a1', 'b1'],
  memberA: ['a1', 'a2', 'b1'],
  editorA: ['a1', 'a2', 'a3', 'a4', 'b1'],
  grantee: ['a1', 'b1', 'b2'],
  sysadmin: ['a1', 'a2', 'a3', 'a4', 'b1', 'b2'],
};

test('each role sees exactly its datasets, and every count and facet agrees', async () => {
  for (const [who, names] of Object.entries(EXPECTED)) {
    const r = await searchAs(who);
    assert.deepEqual(r.results.map((x: any) => x.name).sort(), names, who);
    assert.equal(r.count, names.length, who);
    // Each dataset has its own tag: the tag facet lists exactly the visible ones.
    const ownTags = Object.keys(r.facets.tags).filter((t) => t.startsWith('tag-')).sort();
    assert.deepEqual(ownTags, names.map((n) => `tag-${n.toUpperCase()}`), who);
    assert.equal(r.facets.tags['แรงงาน'], names.length, who);
    for (const field of FACETS) {
      const total = Object.values(r.facets[field] as Record<string, number>).reduce((a, b) => a + b, 0);
      if (['organization', 'license_id', 'data_type', 'data_category', 'data_classification', 'update_frequency_unit', 'geo_coverage'].includes(field)) assert.equal(total, names.length, `${who} ${field}`);
      else assert.ok(total <= names.length * 2, `${who} ${field}`);
    }
    assert.equal(r.facets.groups.labour ?? 0, names.filter((n) => n === 'a1' || n === 'a2').length, `${who} groups`);
    assert.equal(r.facets.res_format.XLSX ?? 0, names.filter((n) => n.endsWith('2')).length, `${who} res_format`);
    const categories = Object.keys(r.facets.data_category).sort();
    assert.deepEqual(categories, [...new Set(r.results.map((x: any) => x.data_category))].sort(), who);
  }
});

test('without include_private and include_drafts, signed-in users see public datasets only (CKAN default)', async () => {
  for (const who of ['memberA', 'editorA', 'grantee', 'sysadmin']) {
    const r = await api(env, 'package_search', { q: 'แรงงาน', 'facet.field': ['tags'] }, { token: tokens[who] });
    assert.deepEqual(r.json.result.results.map((x: any) => x.name).sort(), ['a1', 'b1'], who);
  }
  const drafts = await searchAs('editorA', { include_drafts: false });
  assert.ok(!drafts.results.some((x: any) => x.name === 'a4'));
  const deleted = await searchAs('sysadmin', { include_deleted: true });
  assert.ok(deleted.results.some((x: any) => x.name === 'a5'));
});

/** What an outsider can observe through search-related actions. */
async function outsiderView(): Promise<unknown> {
  const out: Record<string, unknown> = {};
  for (const who of ['anonymous', 'outsider']) {
    const token = tokens[who];
    const ask = async (action: string, body: Record<string, unknown>) => {
      const r = await api(env, action, body, { token });
      return r.json.result ?? r.json.error;
    };
    const strip = (r: any) => ({ count: r.count, names: r.results.map((x: any) => x.name), facets: r.facets });
    out[who] = {
      labour: strip(await ask('package_search', { q: 'แรงงาน', 'facet.field': FACETS, 'facet.limit': -1, include_private: true })),
      all: strip(await ask('package_search', { 'facet.field': FACETS, 'facet.limit': -1, include_private: true, include_drafts: true })),
      typo: strip(await ask('package_search', { q: 'แรงงาณ', include_private: true })),
      partial: strip(await ask('package_search', { q: 'ความลับพิเ', include_private: true })),
      secret: strip(await ask('package_search', { q: 'ความลับพิเศษ', include_private: true })),
      tags: await ask('tag_autocomplete', { query: 'tag' }),
      tagList: await ask('tag_list', {}),
      packages: await ask('package_autocomplete', { q: 'จำนวน' }),
      similar: ((await ask('package_similar', { id: 'a1' })) as any[]).map((x) => x.name),
    };
  }
  return out;
}

test('a private or sensitive dataset never changes a number an outsider can see', async () => {
  const before = await outsiderView();
  await sys(env, 'package_create', labourDataset('org-a', 'S1', { ...PERSONAL, title: 'ความลับพิเศษ จำนวนกำลังแรงงาน แรงงาณ', tags: ['แรงงาน', 'tag-secret'] }));
  await sys(env, 'package_create', labourDataset('org-b', 'S2', { ...INTERNAL, notes: 'แรงงาณ ความลับพิเศษ', groups: [{ name: 'labour' }] }));
  await sys(env, 'package_create', labourDataset('org-b', 'S3', { state: 'draft', title: 'ความลับพิเศษ ร่าง' }));
  const afterView = await outsiderView();
  assert.deepEqual(afterView, before);
  // The insiders do see them, so the datasets were really there to leak.
  const editor = await searchAs('sysadmin', { q: 'ความลับพิเศษ' });
  assert.equal(editor.count, 3);
});

test('membership and grant changes show in the very next search', async () => {
  const names = async (who: string) => (await searchAs(who, { 'facet.field': [] })).results.map((x: any) => x.name).sort();
  assert.deepEqual(await names('outsider'), ['a1', 'b1']);
  await sys(env, 'organization_member_create', { id: 'org-a', username: 'outsider', role: 'member' });
  assert.deepEqual(await names('outsider'), ['a1', 'a2', 'b1']);
  await sys(env, 'organization_member_create', { id: 'org-a', username: 'outsider', role: 'editor' });
  assert.ok((await names('outsider')).includes('a3'));
  await sys(env, 'organization_member_delete', { id: 'org-a', username: 'outsider' });
  assert.deepEqual(await names('outsider'), ['a1', 'b1']);

  const grant = await sys(env, 'dataset_grant_create', { id: 'b2', user: 'outsider', scope: 'metadata' });
  assert.ok((await names('outsider')).includes('b2'));
  await sys(env, 'dataset_grant_revoke', { id: grant.id });
  assert.ok(!(await names('outsider')).includes('b2'));
  await sys(env, 'dataset_grant_create', { id: 'b2', user: 'outsider', scope: 'metadata', expires_at: '2000-01-01T00:00:00Z' });
  assert.ok(!(await names('outsider')).includes('b2'), 'an expired grant shows nothing');
});
