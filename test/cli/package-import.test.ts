import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { as, datasetInput, makeOrg, makeUser, sys, testEnv, type TestEnv } from '../helpers.ts';
import { AuthorizationError, ValidationError } from '../../src/actions/errors.ts';
import type { Actor } from '../../src/access/actor.ts';
import type { ImportResult } from '../../src/import/action.ts';
import { verifyAuditChain } from '../../src/actions/audit.ts';
import { runAction } from '../../src/actions/registry.ts';
import { SYSTEM } from '../../src/access/actor.ts';

/** The package_import action itself: policy per record, database rules across the batch, one transaction. */
describe('package_import action', () => {
  let env: TestEnv;
  let editor: Actor;
  before(async () => {
    env = await testEnv();
    await makeOrg(env, 'org-a');
    await makeOrg(env, 'org-b');
    ({ actor: editor } = await makeUser(env, 'importer', { org: 'org-a', role: 'editor' }));
  });
  after(() => env.close());

  test('an editor imports into their organisation only; other records fail with a reason', async () => {
    const records = [
      datasetInput('org-a', { name: 'imp-a1' }),
      datasetInput('org-b', { name: 'imp-b1' }),
      { ...datasetInput('org-a', { name: 'imp-new' }), owner_org: undefined, organization: { name: 'brand-new-org', title: 'หน่วยงานใหม่' } },
    ];
    const r = await as<ImportResult>(env, editor, 'package_import', { records });
    assert.deepEqual(r.imported.map((x) => x.name), ['imp-a1']);
    assert.deepEqual(
      r.failed.map((f) => [f.index, Object.keys(f.errors)]),
      [
        [1, ['owner_org']],
        [2, ['owner_org']],
      ],
    );
    assert.equal(r.failed[0]!.errors.owner_org![0], 'คุณไม่มีสิทธิ์เพิ่มชุดข้อมูลในหน่วยงานนี้', 'errors come in the caller\'s language (Thai by default)');
    assert.deepEqual(r.organizations_created, [], 'only those who may create organisations get new ones');
    const row = await env.services.store.db.selectFrom('datasets').select(['creator_user_id', 'state']).where('name', '=', 'imp-a1').executeTakeFirstOrThrow();
    assert.equal(row.creator_user_id, editor.kind === 'user' ? editor.user.id : null);
    assert.equal(row.state, 'active');
  });

  test('anonymous callers and bad parameters are refused as a whole', async () => {
    await assert.rejects(as(env, { kind: 'anonymous' }, 'package_import', { records: [datasetInput('org-a')] }), AuthorizationError);
    await assert.rejects(sys(env, 'package_import', {}), (e: unknown) => e instanceof ValidationError && 'records' in e.errors);
    await assert.rejects(sys(env, 'package_import', { records: new Array(5001).fill({}) }), (e: unknown) => e instanceof ValidationError && 'records' in e.errors);
    await assert.rejects(sys(env, 'package_import', { records: [], owner_org: 'no-such-org' }), (e: unknown) => e instanceof ValidationError && 'owner_org' in e.errors);
  });

  test('slugs, titles and ids are unique across the store and within the batch', async () => {
    const first = datasetInput('org-a', { name: 'imp-dup', title: 'ชุดข้อมูลซ้ำ' });
    const r = await runAction<ImportResult>(env.services, 'package_import', {
      records: [
        first,
        datasetInput('org-a', { name: 'imp-dup' }),
        datasetInput('org-a', { title: 'ชุดข้อมูลซ้ำ' }),
        datasetInput('org-a', { name: 'imp-a1' }),
        'not a dict',
      ],
    }, { actor: SYSTEM, lang: 'en' });
    assert.deepEqual(r.imported.map((x) => x.index), [0]);
    assert.deepEqual(
      r.failed.map((f) => [f.index, Object.entries(f.errors).map(([k, m]) => `${k}: ${m[0]!}`)]),
      [
        [1, ['name: That URL is already in use.']],
        [2, ['title: That title is already in use.']],
        [3, ['name: That URL is already in use.']],
        [4, ['record: Each record must be a JSON object']],
      ],
    );
  });

  test('a record marked draft is checked partially; history, audit chain and search follow every record', async () => {
    const r = await sys<ImportResult>(env, 'package_import', { records: [{ name: 'imp-draft', owner_org: 'org-a', state: 'draft', tags: ['ร่าง'] }] });
    assert.deepEqual(r.imported.map((x) => [x.name, x.state]), [['imp-draft', 'draft']]);
    const show = await sys<Record<string, unknown>>(env, 'package_show', { id: 'imp-draft' });
    assert.equal(show.title, 'imp-draft', 'a draft without a title takes its slug, as package_create does');
    const history = await sys<Array<{ activity_type: string; data: { package: { name: string; title: string } } }>>(env, 'package_activity_list', { id: 'imp-a1' });
    assert.equal(history.length, 1);
    assert.equal(history[0]!.activity_type, 'new package');
    assert.equal(history[0]!.data.package.name, 'imp-a1', 'the first version is the snapshot of what was imported');
    assert.ok(history[0]!.data.package.title);
    assert.equal(await verifyAuditChain(env.services.store.db), null);
    const audit = await env.services.store.db.selectFrom('audit_log').select(['action', 'object_type']).where('action', '=', 'package_create').execute();
    assert.equal(audit.length, 3, 'one audit row per imported dataset');
    const found = await sys<{ results: Array<{ name: string }> }>(env, 'package_search', { q: 'name:imp-a1' });
    assert.deepEqual(found.results.map((d) => d.name), ['imp-a1']);
  });

  test('two imports creating the same organisation at once end with one organisation', async () => {
    const record = (name: string) => ({ ...datasetInput('x', { name }), owner_org: undefined, organization: { name: 'shared-new-org', title: 'หน่วยงานร่วม' } });
    const [a, b] = await Promise.all([
      sys<ImportResult>(env, 'package_import', { records: [record('race-1')] }),
      sys<ImportResult>(env, 'package_import', { records: [record('race-2')] }),
    ]);
    assert.equal(a.imported.length + b.imported.length, 2);
    assert.deepEqual([...a.organizations_created, ...b.organizations_created], ['shared-new-org']);
    const orgs = await env.services.store.db.selectFrom('groups').select('id').where('name', '=', 'shared-new-org').execute();
    assert.equal(orgs.length, 1);
    const owners = await env.services.store.db.selectFrom('datasets').select('owner_org').where('name', 'in', ['race-1', 'race-2']).execute();
    assert.deepEqual(owners.map((o) => o.owner_org), [orgs[0]!.id, orgs[0]!.id]);
    assert.equal(await verifyAuditChain(env.services.store.db), null);
  });
});
