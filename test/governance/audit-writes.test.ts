import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { api, datasetInput, makeOrg, makeUser, sys, testEnv, STORE_KIND, type TestEnv } from '../helpers.ts';
import { SYSTEM } from '../../src/access/actor.ts';
import { defineAction, registerActions, runAction, allActions } from '../../src/actions/registry.ts';

/**
 * Every write leaves an audit row in its own transaction: its own row where the action writes one,
 * runAction's default row otherwise (action, what it named, the other keys' names, never their
 * values), none only for writes marked audit: false (job bookkeeping).
 */
describe(`[${STORE_KIND}] audit of writes`, () => {
  let env: TestEnv;
  let token: string;
  const rows = async (action: string) =>
    env.services.store.db.selectFrom('audit_log').select(['action', 'object_type', 'object_id', 'actor_name', 'detail']).where('action', '=', action).orderBy('seq').execute();

  before(async () => {
    env = await testEnv();
    await makeOrg(env, 'nso');
    ({ token } = await makeUser(env, 'editor1', { org: 'nso', role: 'admin' }));
    await makeUser(env, 'someone');
    registerActions([
      defineAction({ name: 'test_write_plain', readOnly: false, internal: true, summary: 't', async run(ctx) { ctx.authorize('always_for_tests'); return 1; } }),
      defineAction({ name: 'test_write_quiet', readOnly: false, internal: true, audit: false, summary: 't', async run(ctx) { ctx.authorize('always_for_tests'); return 1; } }),
      defineAction({ name: 'test_write_own', readOnly: false, internal: true, summary: 't', async run(ctx) { ctx.authorize('always_for_tests'); await ctx.audit({ action: 'test_write_own', object_type: 'site', object_id: null, detail: { mine: true } }); return 1; } }),
    ]);
  });
  after(() => env.close());

  it('runAction writes one default row for a write without its own; none for audit: false; one for a write that audits itself', async () => {
    const { policies } = await import('../../src/policies/index.ts');
    (policies as Record<string, unknown>).always_for_tests = () => true;
    await runAction(env.services, 'test_write_plain', { id: '6f1c2b7e-3d9a-4c55-9b1e-0a2b3c4d5e6f', name: 'x', password: 'hunter2-secret', secret: { a: 1 } }, { actor: SYSTEM });
    await runAction(env.services, 'test_write_quiet', {}, { actor: SYSTEM });
    await runAction(env.services, 'test_write_own', {}, { actor: SYSTEM });
    const plain = await rows('test_write_plain');
    assert.equal(plain.length, 1);
    assert.equal(plain[0]!.object_id, '6f1c2b7e-3d9a-4c55-9b1e-0a2b3c4d5e6f');
    assert.deepEqual(plain[0]!.detail, { id: '6f1c2b7e-3d9a-4c55-9b1e-0a2b3c4d5e6f', name: 'x', keys: ['password', 'secret'] });
    assert.ok(!JSON.stringify(plain[0]!.detail).includes('hunter2'), 'values of other keys never go into the row');
    assert.equal((await rows('test_write_quiet')).length, 0);
    assert.deepEqual((await rows('test_write_own')).map((r) => r.detail), [{ mine: true }]);
  });

  it('membership changes, package_revise and DataStore writes are audited (as the caller, in the write)', async () => {
    assert.equal((await api(env, 'member_create', { id: 'nso', object: 'someone', object_type: 'user', capacity: 'editor' }, { token })).status, 200);
    assert.equal((await api(env, 'member_delete', { id: 'nso', object: 'someone', object_type: 'user' }, { token })).status, 200);
    await sys(env, 'package_create', datasetInput('nso', { name: 'revise-me' }));
    assert.equal((await api(env, 'package_revise', { match: { name: 'revise-me' }, update: { notes: 'ใหม่' } }, { token })).status, 200);
    const res = await api(env, 'resource_create', { package_id: 'revise-me', name: 'table', url: 'https://example.go.th/x', format: 'CSV' }, { token });
    const rid = res.json.result.id;
    assert.equal((await api(env, 'datastore_create', { resource_id: rid, fields: [{ id: 'code', type: 'text' }], primary_key: ['code'], records: [{ code: 'a' }] }, { token })).status, 200);
    assert.equal((await api(env, 'datastore_upsert', { resource_id: rid, records: [{ code: 'b' }] }, { token })).status, 200);
    assert.equal((await api(env, 'datastore_delete', { resource_id: rid, filters: { code: 'a' } }, { token })).status, 200);
    // package_revise writes the dataset's own update row (package_update), as package_patch does.
    for (const action of ['member_create', 'member_delete', 'package_update', 'datastore_create', 'datastore_upsert', 'datastore_delete']) {
      const r = await rows(action);
      assert.ok(r.length >= 1, `${action} left no audit row`);
      assert.equal(r[r.length - 1]!.actor_name, 'editor1', action);
    }
    const up = (await rows('datastore_upsert')).at(-1)!;
    assert.equal(up.object_id, rid);
    assert.ok(!JSON.stringify(up.detail).includes('"b"'), 'record values stay out of the row');
    // A write that fails leaves nothing, its audit row included.
    const before = (await rows('datastore_upsert')).length;
    assert.equal((await api(env, 'datastore_upsert', { resource_id: rid, method: 'update', records: [{ code: 'zz' }] }, { token })).status, 409);
    assert.equal((await rows('datastore_upsert')).length, before);
  });

  it('only job bookkeeping is exempt', () => {
    const quiet = allActions({ internal: true }).filter((d) => !d.readOnly && d.audit === false).map((d) => d.name).sort();
    assert.deepEqual(quiet, ['harvest_gather_finish', 'harvest_gather_page', 'harvest_maintain', 'monitor_late_check', 'notification_mark_read', 'test_write_quiet']);
  });
});
