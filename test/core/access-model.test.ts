import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { testEnv, sys, as, api, actorFor, makeUser, makeOrg, datasetInput, STORE_KIND, type TestEnv } from '../helpers.ts';
import { ANONYMOUS } from '../../src/access/actor.ts';
import { PageClient } from '../web/client.ts';
import { PASSWORD } from '../web/seed.ts';

/** Issue 7, findings 3, 15 and 16: rights come from current roles only; lists are bounded; the hierarchy and logos are guarded. */
let env: TestEnv;
const PERSONAL = { data_category: 'ข้อมูลส่วนบุคคล', data_classification: 'ลับ' };

before(async () => {
  env = await testEnv({}, { web: true });
  await makeOrg(env, 'ministry', 'กระทรวงตัวอย่าง');
  await makeOrg(env, 'dept', 'กรมตัวอย่าง', 'ministry');
  await makeOrg(env, 'other-ministry', 'กระทรวงอื่น');
});
after(() => env.close());

const status = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
    return 'ok';
  } catch (e) {
    return (e as Error).name;
  }
};

test(`[${STORE_KIND}] a user removed from the organisation keeps no right from having created its datasets`, async () => {
  const { actor: before } = await makeUser(env, 'leaver', { org: 'dept', role: 'editor' });
  const draft = await as(env, before, 'package_create', datasetInput('dept', { name: 'leaver-draft', state: 'draft', tags: ['ลาออก-ร่าง'] }));
  await as(env, before, 'package_create', datasetInput('dept', { name: 'leaver-personal', title: 'ข้อมูลบุคคลของผู้ลาออก', tags: ['ลาออก-บุคคล'], ...PERSONAL }));
  await as(env, before, 'package_create', datasetInput('dept', { name: 'leaver-open', tags: ['ลาออก-เปิด'] }));
  await sys(env, 'organization_member_delete', { id: 'dept', username: 'leaver' });
  const gone = await actorFor(env, 'leaver');

  // No write: edit, publish, add a resource, delete, on a draft or a published entry they created.
  assert.notEqual(await status(as(env, gone, 'package_patch', { id: 'leaver-draft', notes: 'แก้หลังออก' })), 'ok');
  assert.notEqual(await status(as(env, gone, 'package_patch', { id: 'leaver-draft', state: 'active' })), 'ok', 'no publishing under the organisation\'s name');
  assert.notEqual(await status(as(env, gone, 'resource_create', { package_id: draft.id, name: 'ไฟล์', url: 'https://example.org/a.csv', format: 'CSV' })), 'ok');
  assert.notEqual(await status(as(env, gone, 'package_update', datasetInput('dept', { name: 'leaver-open', notes: 'แก้' }))), 'ok');
  assert.notEqual(await status(as(env, gone, 'package_delete', { id: 'leaver-open' })), 'ok');
  const row = await env.services.store.db.selectFrom('datasets').select(['state', 'notes']).where('name', '=', 'leaver-draft').executeTakeFirstOrThrow();
  assert.equal(row.state, 'draft');

  // No read beyond what anonymous callers get: not the personal entry, not the draft, in no list or count.
  assert.equal(await status(as(env, gone, 'package_show', { id: 'leaver-personal' })), 'NotFoundError');
  assert.notEqual(await status(as(env, gone, 'package_show', { id: 'leaver-draft' })), 'ok');
  const search = await as<{ count: number; results: Array<{ name: string }> }>(env, gone, 'package_search', { q: '*:*', include_private: true, include_drafts: true, rows: 100 });
  const anon = await as<{ count: number }>(env, ANONYMOUS, 'package_search', { q: '*:*', rows: 100 });
  assert.deepEqual(search.results.map((r) => r.name).sort(), ['leaver-open']);
  assert.equal(search.count, anon.count);
  const org = await as<{ package_count: number }>(env, gone, 'organization_show', { id: 'dept' });
  assert.equal(org.package_count, 1);
  const tags = await as<string[]>(env, gone, 'tag_list', { query: 'ลาออก' });
  assert.deepEqual(tags, ['ลาออก-เปิด']);
  const mine = await as<{ datasets: Array<{ name: string }> }>(env, gone, 'user_show', { include_datasets: true });
  assert.deepEqual(mine.datasets.map((d) => d.name), ['leaver-open'], 'their own page lists only what they may still see');
});

test(`[${STORE_KIND}] a draft saved without a category answers 404 to those who may not see it, like a sensitive entry`, async () => {
  const { actor: ed } = await makeUser(env, 'drafter', { org: 'dept', role: 'editor' });
  const { actor: outsider } = await makeUser(env, 'outsider', { org: 'other-ministry', role: 'editor' });
  await as(env, ed, 'package_create', { name: 'no-category-draft', owner_org: 'dept', state: 'draft', tags: ['ร่าง'] });
  for (const who of [ANONYMOUS, outsider]) {
    assert.equal(await status(as(env, who, 'package_show', { id: 'no-category-draft' })), 'NotFoundError');
    assert.equal(await status(as(env, who, 'package_patch', { id: 'no-category-draft', notes: 'x' })), 'NotFoundError');
  }
  const viaApi = await api(env, 'package_show', undefined, { query: { id: 'no-category-draft' } });
  const missing = await api(env, 'package_show', undefined, { query: { id: 'no-such-draft' } });
  assert.equal(viaApi.status, 404);
  assert.deepEqual(viaApi.json, missing.json);
  assert.equal(await status(as(env, ed, 'package_show', { id: 'no-category-draft' })), 'ok');
});

test(`[${STORE_KIND}] the user page lists the user's datasets the visitor may see, their drafts for themself`, async () => {
  const { actor: ed } = await makeUser(env, 'pageuser', { org: 'dept', role: 'editor' });
  await as(env, ed, 'package_create', datasetInput('dept', { name: 'pageuser-open', title: 'ชุดข้อมูลเปิดของผู้ใช้หน้า' }));
  await as(env, ed, 'package_create', datasetInput('dept', { name: 'pageuser-draft', title: 'ฉบับร่างของผู้ใช้หน้า', state: 'draft' }));
  const self = await as<{ datasets: Array<{ name: string }> }>(env, ed, 'user_show', { id: 'pageuser', include_datasets: true });
  assert.deepEqual(self.datasets.map((d) => d.name).sort(), ['pageuser-draft', 'pageuser-open']);
  const { actor: colleague } = await makeUser(env, 'pagecolleague', { org: 'dept', role: 'member' });
  const seen = await as<{ datasets: Array<{ name: string }> }>(env, colleague, 'user_show', { id: 'pageuser', include_datasets: true });
  assert.deepEqual(seen.datasets.map((d) => d.name), ['pageuser-open'], 'a colleague sees no drafts');
  const c = new PageClient(env.app);
  await c.signIn('pageuser', PASSWORD);
  const page = await c.get('/user/pageuser');
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /ชุดข้อมูลเปิดของผู้ใช้หน้า/);
  assert.match(page.body, /ฉบับร่างของผู้ใช้หน้า/);
});

test(`[${STORE_KIND}] moving an organisation needs admin rights on its old parent and its new one`, async () => {
  await makeOrg(env, 'moved-dept', 'กรมที่จะย้าย', 'ministry');
  const { actor: deptAdmin } = await makeUser(env, 'deptadmin', { org: 'moved-dept', role: 'admin' });
  await sys(env, 'organization_member_create', { id: 'other-ministry', username: 'deptadmin', role: 'admin' });
  const deptAdminBoth = await actorFor(env, 'deptadmin');
  const { actor: ministryAdmin } = await makeUser(env, 'ministryadmin', { org: 'ministry', role: 'admin' });
  const parentOf = async () => (await sys<{ parent: { name: string } | null }>(env, 'organization_show', { id: 'moved-dept' })).parent?.name ?? null;

  assert.equal(await status(as(env, deptAdmin, 'organization_patch', { id: 'moved-dept', parent: '' })), 'AuthorizationError', 'not out from under the ministry');
  assert.equal(await status(as(env, deptAdminBoth, 'organization_patch', { id: 'moved-dept', parent: 'other-ministry' })), 'AuthorizationError', 'not without the old parent\'s rights');
  assert.equal(await status(as(env, ministryAdmin, 'organization_patch', { id: 'moved-dept', parent: 'other-ministry' })), 'AuthorizationError', 'not without the new parent\'s rights');
  assert.equal(await status(as(env, ministryAdmin, 'organization_patch', { id: 'moved-dept', parent: '' })), 'AuthorizationError', 'only a sysadmin makes it top-level');
  assert.equal(await parentOf(), 'ministry');
  // Other changes by the department's own admin still work, and so does a move by someone with both rights.
  await as(env, deptAdmin, 'organization_patch', { id: 'moved-dept', description: 'คำอธิบายใหม่' });
  await sys(env, 'organization_member_create', { id: 'other-ministry', username: 'ministryadmin', role: 'admin' });
  await as(env, await actorFor(env, 'ministryadmin'), 'organization_patch', { id: 'moved-dept', parent: 'other-ministry' });
  assert.equal(await parentOf(), 'other-ministry');
});

test(`[${STORE_KIND}] organisation logos are absolute http(s) URLs or paths on this site, never protocol-relative`, async () => {
  for (const bad of ['//evil.example/logo.png', '/\\evil.example/logo.png', '/\t/evil.example/x.png', 'javascript:alert(1)', 'evil.example/logo.png']) {
    const r = await api(env, 'organization_patch', { id: 'dept', image_url: bad }, { token: (await makeUser(env, `logo-${crypto.randomBytes(3).toString('hex')}`, { sysadmin: true })).token });
    assert.equal(r.status, 409, bad);
    assert.ok(r.json.error.image_url, bad);
  }
  for (const good of ['/uploads/logo.png', 'https://www.example.go.th/logo.png', 'http://example.go.th/l.png']) {
    const g = await sys<{ image_url: string }>(env, 'organization_patch', { id: 'dept', image_url: good });
    assert.equal(g.image_url, good);
  }
});

test(`[${STORE_KIND}] tags, resources, groups, extras, choices and dictionary fields are bounded with field errors`, async () => {
  const { token } = await makeUser(env, 'bounded', { org: 'dept', role: 'editor' });
  const create = (over: Record<string, unknown>) => api(env, 'package_create', datasetInput('dept', over), { token, lang: 'en' });
  const many = <T,>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));

  const started = performance.now();
  const huge = await create({ tags: many(60_000, (i) => `คำ${i}`) });
  assert.equal(huge.status, 409);
  assert.deepEqual(huge.json.error.tags, ['At most 100 items are allowed']);
  assert.ok(performance.now() - started < 3000, 'refused without reading every tag');
  assert.equal((await create({ tags: many(100, (i) => `คำสำคัญ${i}`) })).status, 200, 'the bound itself is allowed');
  const checks: Array<[Record<string, unknown>, string]> = [
    [{ tags: many(101, (i) => `คำ${i}`) }, 'tags'],
    [{ tags: undefined, tag_string: many(101, (i) => `t${i}`).join(',') }, 'tags'],
    [{ resources: many(501, (i) => ({ name: `r${i}`, url: 'https://example.org/a.csv' })) }, 'resources'],
    [{ groups: many(101, (i) => `g${i}`) }, 'groups'],
    [{ extras: many(101, (i) => ({ key: `k${i}`, value: 'v' })) }, 'extras'],
    [{ data_format: many(101, () => 'CSV') }, 'data_format'],
  ];
  for (const [over, field] of checks) {
    const r = await create(over);
    assert.equal(r.status, 409, field);
    assert.deepEqual(r.json.error[field], ['At most ' + (field === 'resources' ? 500 : 100) + ' items are allowed'], field);
  }
  const th = await api(env, 'package_create', datasetInput('dept', { tags: many(101, (i) => `คำ${i}`) }), { token, lang: 'th' });
  assert.deepEqual(th.json.error.tags, ['มีได้ไม่เกิน 100 รายการ']);

  const ds = await sys<{ id: string }>(env, 'package_create', datasetInput('dept', { name: 'full-of-resources' }));
  const dict = await api(env, 'resource_create', { package_id: ds.id, name: 'พจนานุกรม', url: 'https://example.org/a.csv', data_dictionary: many(2001, (i) => ({ name: `f${i}` })) }, { token, lang: 'en' });
  assert.equal(dict.status, 409);
  assert.deepEqual(dict.json.error.data_dictionary, ['At most 2000 items are allowed']);
  const extras = await api(env, 'resource_create', { package_id: ds.id, name: 'ส่วนขยาย', url: 'https://example.org/a.csv', ...Object.fromEntries(many(101, (i) => [`x${i}`, 'v'] as const)) }, { token, lang: 'en' });
  assert.equal(extras.status, 409);
  assert.deepEqual(extras.json.error.extras, ['At most 100 items are allowed']);
  // A dataset at its resource bound takes no more through resource_create either.
  await env.services.store.db
    .insertInto('resources')
    .values(many(500, (i) => ({ id: crypto.randomUUID(), dataset_id: ds.id, position: i, name: `r${i}`, description: '', format: 'CSV', url: 'https://example.org/a.csv', hash: '', metadata: '{}', data_dictionary: '[]', created: new Date(), metadata_modified: new Date() })))
    .execute();
  const more = await api(env, 'resource_create', { package_id: ds.id, name: 'เกิน', url: 'https://example.org/b.csv' }, { token, lang: 'en' });
  assert.equal(more.status, 409);
  assert.deepEqual(more.json.error.resources, ['At most 500 items are allowed']);
  // Groups one at a time (member_create) stop at the same bound as a groups list.
  const groupIds = many(100, () => crypto.randomUUID());
  await env.services.store.db.insertInto('groups').values(groupIds.map((id, i) => ({ id, name: `bulk-group-${i}`, title: `กลุ่ม ${i}`, description: '', image_url: '', is_organization: false, parent_id: null, extras: '{}', created: new Date(), modified: new Date() }))).execute();
  await env.services.store.db.insertInto('dataset_groups').values(groupIds.map((group_id) => ({ dataset_id: ds.id, group_id }))).execute();
  await sys(env, 'group_create', { name: 'one-too-many', title: 'กลุ่มที่เกิน' });
  const group = await api(env, 'member_create', { id: 'one-too-many', object: ds.id, object_type: 'package', capacity: 'public' }, { token, lang: 'en' });
  assert.equal(group.status, 409);
  assert.deepEqual(group.json.error.groups, ['At most 100 items are allowed']);
  const orgExtras = await api(env, 'organization_patch', { id: 'dept', extras: many(101, (i) => ({ key: `k${i}`, value: 'v' })) }, { token: (await makeUser(env, 'bounds-root', { sysadmin: true })).token, lang: 'en' });
  assert.equal(orgExtras.status, 409);
  assert.deepEqual(orgExtras.json.error.extras, ['At most 100 items are allowed']);
});


