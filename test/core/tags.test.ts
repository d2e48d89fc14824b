import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { testEnv, sys, makeOrg, datasetInput, STORE_KIND, type TestEnv } from '../helpers.ts';
import { ValidationError } from '../../src/actions/errors.ts';

/** Tags as agencies write them: punctuation of real data.go.th tags is kept and searchable. */
describe(`[${STORE_KIND}] tag alphabet`, () => {
  let env: TestEnv;
  before(async () => {
    env = await testEnv();
    await makeOrg(env, 'pcd', 'กรมควบคุมมลพิษ');
  });
  after(() => env.close());

  it('keeps tags with ( ) % > / & and finds them by a facet filter', async () => {
    const tags = ['ร้านไปรษณีย์ไทย(ปณร)', 'ซัลเฟอร์ > 2%', 'PM2.5/PM10', 'น้ำ & อากาศ', 'เด็ก < 5 ปี'];
    const ds = await sys(env, 'package_create', datasetInput('pcd', { tags: tags.map((name) => ({ name })) }));
    assert.deepEqual(ds.tags.map((t: { name: string }) => t.name).sort(), [...tags].sort());
    for (const t of tags) {
      const r = await sys(env, 'package_search', { fq: `tags:"${t}"` });
      assert.equal(r.count, 1, t);
    }
  });

  it('still refuses a comma (the tag_string separator), quotes and control characters, with a field error', async () => {
    for (const bad of ['a"b', 'back\\slash', 'semi;colon', 'แรงงาน<script>', '<b>ตัวหนา</b>']) {
      await assert.rejects(sys(env, 'package_create', datasetInput('pcd', { tags: [{ name: bad }] })), (e) => e instanceof ValidationError && !!e.errors.tags, bad);
    }
    const split = await sys(env, 'package_create', datasetInput('pcd', { tag_string: 'สถิติ,แรงงาน' }));
    assert.deepEqual(split.tags.map((t: { name: string }) => t.name).sort(), ['สถิติ', 'แรงงาน'].sort());
  });
});
