import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { testEnv, sys, as, api, makeUser, makeOrg, datasetInput, STORE_KIND, type TestEnv } from '../helpers.ts';
import type { Actor } from '../../src/access/actor.ts';
import { runAction } from '../../src/actions/registry.ts';
import { ValidationError } from '../../src/actions/errors.ts';
import type { ImportResult } from '../../src/import/action.ts';
import { HIDDEN_CLASHES_PER_WINDOW, resetProbeBudgets } from '../../src/access/probe-budget.ts';

/** Issue 7, findings 4, 16 (package_import errors) and the same class elsewhere: no answer differs for hidden and missing entries. */
let env: TestEnv;
let editorA: { actor: Actor; token: string };
const PERSONAL = { data_category: 'ข้อมูลส่วนบุคคล', data_classification: 'ลับ' };
const NEUTRAL = 'That URL cannot be used; please choose another.';
const HIDDEN = Array.from({ length: 15 }, (_, i) => `hidden-b-${i}`);

before(async () => {
  env = await testEnv();
  await makeOrg(env, 'org-a', 'หน่วยงาน ก');
  await makeOrg(env, 'org-b', 'หน่วยงาน ข');
  editorA = await makeUser(env, 'editor_a', { org: 'org-a', role: 'editor' });
  await sys(env, 'package_create', datasetInput('org-b', { name: 'secret-b', title: 'ทะเบียนลับของหน่วยงาน ข', ...PERSONAL }));
  await sys(env, 'package_create', datasetInput('org-b', { name: 'trashed-b' }));
  await sys(env, 'package_delete', { id: 'trashed-b' });
  await sys(env, 'package_create', datasetInput('org-b', { name: 'public-b', title: 'ชุดข้อมูลเปิดของหน่วยงาน ข' }));
  await sys(env, 'package_import', { records: HIDDEN.map((name) => datasetInput('org-b', { name, ...PERSONAL })) });
});
after(() => env.close());
beforeEach(() => resetProbeBudgets(env.services.store.db));

const create = (over: Record<string, unknown>) => api(env, 'package_create', datasetInput('org-a', over), { token: editorA.token, lang: 'en' });

test(`[${STORE_KIND}] a slug clash says "in use" or "in the trash" only for entries the caller may see`, async () => {
  const secret = await create({ name: 'secret-b' });
  const trashed = await create({ name: 'trashed-b' });
  assert.equal(secret.status, 409);
  assert.deepEqual(secret.json.error.name, [NEUTRAL]);
  assert.deepEqual(trashed.json.error.name, [NEUTRAL], 'a deleted entry of another organisation answers like a sensitive one');
  assert.deepEqual((await create({ name: 'public-b' })).json.error.name, ['That URL is already in use.']);
  // Within one's own organisation the precise answer stays.
  await as(env, editorA.actor, 'package_create', datasetInput('org-a', { name: 'own-trashed' }));
  await as(env, editorA.actor, 'package_delete', { id: 'own-trashed' });
  assert.deepEqual((await create({ name: 'own-trashed' })).json.error.name, ['That URL is already in trash.']);
});

test(`[${STORE_KIND}] titles are unique within the owning organisation, and another organisation's titles cannot be probed`, async () => {
  const same = await create({ name: 'a-uses-b-title', title: 'ทะเบียนลับของหน่วยงาน ข' });
  assert.equal(same.status, 200, 'another organisation may hold the same title');
  const dup = await create({ title: 'ทะเบียนลับของหน่วยงาน ข' });
  assert.deepEqual(dup.json.error.title, ['That title is already in use.']);
  // A move to an organisation the caller may not write is refused before any uniqueness check.
  const move = await api(env, 'package_patch', { id: 'a-uses-b-title', owner_org: 'org-b', title: 'ชุดข้อมูลเปิดของหน่วยงาน ข' }, { token: editorA.token, lang: 'en' });
  assert.equal(move.status, 403);
  const moveFree = await api(env, 'package_patch', { id: 'a-uses-b-title', owner_org: 'org-b', title: 'ชื่อที่ไม่มีใครใช้' }, { token: editorA.token, lang: 'en' });
  assert.deepEqual(moveFree.json, move.json);
});

test(`[${STORE_KIND}] package_import answers in the caller's language and says nothing about records it may not write`, async () => {
  const r = await runAction<ImportResult>(env.services, 'package_import', {
    records: [
      datasetInput('org-a', { name: 'secret-b' }),
      datasetInput('org-b', { name: 'public-b', title: 'ทะเบียนลับของหน่วยงาน ข' }),
      datasetInput('org-a', { name: 'import-ok' }),
    ],
  }, { actor: editorA.actor, lang: 'en' });
  assert.deepEqual(r.imported.map((x) => x.name), ['import-ok']);
  assert.deepEqual(JSON.parse(JSON.stringify(r.failed)), [
    { index: 0, name: 'secret-b', errors: { name: [NEUTRAL] } },
    { index: 1, name: 'public-b', errors: { owner_org: ['You cannot add a dataset to this organization'] } },
  ]);
  const viaApi = await api(env, 'package_import', { records: [datasetInput('org-b', {}), datasetInput('org-a', {})] }, { token: editorA.token, lang: 'th' });
  assert.deepEqual(viaApi.json.result.failed[0].errors, { owner_org: ['คุณไม่มีสิทธิ์เพิ่มชุดข้อมูลในหน่วยงานนี้'] });
});

test(`[${STORE_KIND}] bulk probing is bounded: per call, then per caller`, async () => {
  const guesses = [...HIDDEN.slice(0, 11), ...Array.from({ length: 40 }, (_, i) => `free-guess-${i}`)];
  const records = guesses.map((name) => datasetInput('org-a', { name }));
  await assert.rejects(
    runAction(env.services, 'package_import', { records }, { actor: editorA.actor, lang: 'en' }),
    (e: unknown) => e instanceof ValidationError && Object.keys(e.errors).join() === 'records',
    'more than ten hidden clashes in one call: the call is refused as a whole, with no answer per record',
  );
  assert.equal(await env.services.store.db.selectFrom('datasets').select('id').where('name', '=', 'free-guess-0').executeTakeFirst(), undefined);
  // Across calls: once a caller has had its share of hidden-clash answers, every name check is refused alike.
  for (let spent = 11; spent < HIDDEN_CLASHES_PER_WINDOW; spent += 10) {
    await runAction(env.services, 'package_import', { records: HIDDEN.slice(0, 10).map((name) => datasetInput('org-a', { name })) }, { actor: editorA.actor }).catch(() => null);
  }
  const clash = await create({ name: 'secret-b' });
  const free = await create({ name: 'never-used-name' });
  assert.equal(free.status, 409);
  assert.deepEqual(free.json.error.name, clash.json.error.name, 'a free name and a taken one now answer the same');
  assert.match(free.json.error.name[0], /Too many attempts/);
  // Other callers are not affected.
  const other = await makeUser(env, 'editor_a2', { org: 'org-a', role: 'editor' });
  assert.equal((await api(env, 'package_create', datasetInput('org-a', { name: 'never-used-name' }), { token: other.token })).status, 200);
});

test(`[${STORE_KIND}] deleted organisations and groups answer as if they never existed`, async () => {
  await sys(env, 'organization_create', { name: 'closed-agency', title: 'หน่วยงานที่ยุบแล้ว' });
  await sys(env, 'organization_delete', { id: 'closed-agency' });
  await sys(env, 'group_create', { name: 'old-theme', title: 'หัวข้อเก่า' });
  await sys(env, 'group_delete', { id: 'old-theme' });
  for (const [action, gone, never] of [['organization_show', 'closed-agency', 'never-agency'], ['group_show', 'old-theme', 'never-theme'], ['member_list', 'closed-agency', 'never-agency'], ['member_list', 'old-theme', 'never-theme']] as const) {
    const a = await api(env, action, undefined, { query: { id: gone } });
    const b = await api(env, action, undefined, { query: { id: never } });
    assert.equal(a.status, 404, `${action} ${gone}`);
    assert.deepEqual(a.json, b.json, action);
    const signedIn = await api(env, action, undefined, { query: { id: gone }, token: editorA.token });
    assert.equal(signedIn.status, 404, `${action} ${gone} (signed in)`);
  }
  assert.equal((await sys<{ state: string }>(env, 'organization_show', { id: 'closed-agency' })).state, 'deleted', 'sysadmins still see it');
});
