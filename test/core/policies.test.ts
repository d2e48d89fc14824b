import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { allActions, defineAction, registerActions, runAction, MissingAuthorizationError } from '../../src/actions/registry.ts';
import { policies } from '../../src/policies/index.ts';
import { loadActions } from '../../src/actions/index.ts';
import { ANONYMOUS } from '../../src/access/actor.ts';
import { testEnv, STORE_KIND, type TestEnv } from '../helpers.ts';

let env: TestEnv;
before(async () => {
  env = await testEnv();
});
after(() => env.close());

test('every registered action has an authorization policy of the same name', () => {
  loadActions();
  const missing = allActions().map((a) => a.name).filter((name) => !policies[name]);
  assert.deepEqual(missing, [], `actions without a policy: ${missing.join(', ')}`);
  assert.ok(allActions().length >= 40, 'the registry is populated');
});

test(`[${STORE_KIND}] an action that returns without asking its policy fails and its writes roll back`, async () => {
  registerActions([
    defineAction({
      name: 'test_forgot_policy',
      readOnly: false,
      summary: 'test',
      async run(ctx) {
        await ctx.db.insertInto('settings').values({ key: 'leak', value: JSON.stringify(true) }).execute();
        return 'done';
      },
    }),
  ]);
  await assert.rejects(() => runAction(env.services, 'test_forgot_policy', {}, { actor: ANONYMOUS }), MissingAuthorizationError);
  const row = await env.services.store.db.selectFrom('settings').select('key').where('key', '=', 'leak').executeTakeFirst();
  assert.equal(row, undefined);
});

test(`[${STORE_KIND}] a rule that nobody wrote denies`, async () => {
  registerActions([
    defineAction({
      name: 'test_unknown_rule',
      readOnly: true,
      summary: 'test',
      async run(ctx) {
        ctx.authorize('no_such_rule');
        return 'allowed';
      },
    }),
  ]);
  await assert.rejects(() => runAction(env.services, 'test_unknown_rule', {}, { actor: { kind: 'system' } }), { name: 'AuthorizationError' });
});
