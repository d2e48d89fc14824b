import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { as, datasetInput, testEnv, STORE_KIND, type TestEnv } from '../helpers.ts';
import { governanceWorld, step, type Gov } from './cases-fixture.ts';
import { PageClient } from '../web/client.ts';

/** The dashboard's "waiting for me" lists the governance cases where the signed-in user may act now. */
describe(`[${STORE_KIND}] dashboard: work waiting for me`, () => {
  let env: TestEnv;
  let g: Gov;
  before(async () => {
    env = await testEnv({}, { web: true });
    g = await governanceWorld(env);
  });
  after(() => env.close());

  const dashboard = async (who: string) => {
    const c = new PageClient(env.app);
    await c.signIn(who, 'correct horse battery');
    const page = await c.get('/dashboard');
    assert.equal(page.statusCode, 200);
    return page.body;
  };

  it('a submitted publication waits for the data owner, then for the CDO; never for the creator or a stranger', async () => {
    // Created by the creator, so it is among "my datasets" on their dashboard.
    const d = await as(env, g.actors.creator!, 'package_create', datasetInput('dopa', { title: 'ทะเบียนที่รอพิจารณา' }));
    await as(env, g.actors.creator!, 'resource_create', { package_id: d.id, name: 'ข้อมูล', url: 'https://example.go.th/data.csv', format: 'CSV', data_dictionary: [{ name: 'province', type: 'text', description_th: 'จังหวัด', description_en: 'Province', unit: '', example: 'เชียงใหม่' }] });
    const c = await as(env, g.actors.creator!, 'case_create', { process: 'publication', dataset: d.name, inputs: { audience: 'external' } });
    const link = `href="/governance/cases/${c.id}"`;
    assert.ok((await dashboard('owner')).includes(link), 'the owner is asked');
    const mine = await dashboard('creator');
    assert.ok(!mine.includes(link), 'the creator cannot approve their own submission');
    assert.match(mine, new RegExp(`${d.title}</a></td>\\s*<td><span class="badge badge-state badge-under_review">อยู่ระหว่างพิจารณาเผยแพร่`), 'the creator sees the dataset under review');
    assert.ok(!(await dashboard('stranger')).includes(link), 'a stranger sees nothing');
    await step(env, g.actors.owner!, c.id, 'approve');
    assert.ok(!(await dashboard('owner')).includes(link), 'done by the owner');
    const cdo = await dashboard('cdo');
    assert.ok(cdo.includes(link), 'now the CDO');
    assert.match(cdo, new RegExp(`${c.number}`));
  });
});
