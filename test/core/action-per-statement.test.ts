import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { testEnv, makeUser, makeOrg, datasetInput, api, STORE_KIND, type TestEnv } from '../helpers.ts';
import { defineAction, registerActions, runAction, MissingAuthorizationError } from '../../src/actions/registry.ts';
import { AuthorizationError } from '../../src/actions/errors.ts';
import { SYSTEM } from '../../src/access/actor.ts';
import { runLoads, search, upload } from '../datastore/helpers.ts';
import { tableName } from '../../src/datastore/ident.ts';

/**
 * runAction's `transaction: 'statement'` (hot reads such as the exchange gateway): no surrounding
 * transaction, so each write commits alone. What must still hold: no write before the policy was
 * asked, an error after a committed audit row still reaches the caller, a write action cannot opt
 * out of its transaction, and auditFrom's row is a valid leaf in one statement with its source.
 */
let env: TestEnv;
const K = `[${STORE_KIND}]`;
const rows = async (action: string) => Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM audit_log WHERE action = ${action}`.execute(env.services.store.db)).rows[0]!.n);

registerActions([
  defineAction({
    name: 'test_stmt_audit_first', readOnly: true, internal: true, transaction: 'statement', summary: 'audits before asking its policy',
    async run(ctx) {
      await ctx.audit({ action: 'test_stmt_audit_first', object_type: 'test', object_id: null });
      ctx.authorize('audit_verify');
      return 1;
    },
  }),
  defineAction({
    name: 'test_stmt_refused', readOnly: true, internal: true, transaction: 'statement', summary: 'audits a refusal, then fails',
    async run(ctx) {
      ctx.authorize('audit_verify');
      await ctx.audit({ action: 'test_stmt_refused', object_type: 'test', object_id: null });
      ctx.failAfterCommit(new AuthorizationError());
      return null;
    },
  }),
  defineAction({
    name: 'test_stmt_from', readOnly: true, internal: true, transaction: 'statement', summary: 'a write and its audit row in one statement',
    async run(ctx, input) {
      ctx.authorize('audit_verify');
      const n = Number(input.n);
      const r = await sql<{ n: number }>`WITH src AS (SELECT g FROM generate_series(1, ${n}) g), a AS (${ctx.auditFrom({ action: 'test_stmt_from', object_type: 'test', object_id: null, detail: { fixed: 'ค่า' } }, 'src', sql`jsonb_build_object('seen', (SELECT count(*) FROM src))`)})
        SELECT count(*)::int AS n FROM src`.execute(ctx.db);
      return r.rows[0]!.n;
    },
  }),
  defineAction({
    name: 'test_stmt_write', readOnly: false, internal: true, transaction: 'statement', summary: 'a write action asking for no transaction',
    async run(ctx) {
      ctx.authorize('audit_verify');
      await ctx.audit({ action: 'test_stmt_write', object_type: 'test', object_id: null });
      throw new Error('after the write');
    },
  }),
]);

before(async () => { env = await testEnv(); });
after(() => env.close());

test(`${K} per statement: a write before the policy is refused and leaves nothing`, async () => {
  await assert.rejects(runAction(env.services, 'test_stmt_audit_first', {}, { actor: SYSTEM }), MissingAuthorizationError);
  assert.equal(await rows('test_stmt_audit_first'), 0);
});

test(`${K} per statement: an audited refusal commits and the caller still gets the error`, async () => {
  await assert.rejects(runAction(env.services, 'test_stmt_refused', {}, { actor: SYSTEM }), AuthorizationError);
  assert.equal(await rows('test_stmt_refused'), 1);
});

test(`${K} auditFrom: one row per source row, detail merged, and audit_verify accepts the leaves`, async () => {
  assert.equal(await runAction(env.services, 'test_stmt_from', { n: 0 }, { actor: SYSTEM }), 0);
  assert.equal(await rows('test_stmt_from'), 0);
  assert.equal(await runAction(env.services, 'test_stmt_from', { n: 2 }, { actor: SYSTEM }), 2);
  const got = await sql<{ detail: Record<string, unknown> }>`SELECT detail FROM audit_log WHERE action = 'test_stmt_from'`.execute(env.services.store.db);
  assert.deepEqual(got.rows.map((r) => r.detail), [{ fixed: 'ค่า', seen: 2 }, { fixed: 'ค่า', seen: 2 }]);
  const v = await runAction<{ intact: boolean; problems: number }>(env.services, 'audit_verify', {}, { actor: SYSTEM });
  assert.equal(v.intact, true, JSON.stringify(v));
  assert.equal(v.problems, 0);
});

test(`${K} a write action keeps its transaction even if it asks for none`, async () => {
  await assert.rejects(runAction(env.services, 'test_stmt_write', {}, { actor: SYSTEM }), /after the write/);
  assert.equal(await rows('test_stmt_write'), 0);
});

test(`${K} a DataStore table removed between its description and its rows is a 404, not a 500`, async () => {
  await makeOrg(env, 'nso');
  const token = (await makeUser(env, 'editor1', { org: 'nso' })).token;
  assert.equal((await api(env, 'package_create', datasetInput('nso', { name: 'gone' }), { token })).status, 200);
  const id = (await upload(env, token, { package_id: 'gone', name: 'gone' }, 'a.csv', 'a,b\n1,2\n')).id;
  await runLoads(env);
  assert.equal((await search(env, { resource_id: id })).status, 200);
  // What a concurrent datastore_delete committing after the description was read leaves behind.
  await sql.raw(`DROP TABLE ${tableName(id)}`).execute(env.services.store.db);
  const r = await search(env, { resource_id: id });
  assert.equal(r.status, 404, JSON.stringify(r.json));
});
