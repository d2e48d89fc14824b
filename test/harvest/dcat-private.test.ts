import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { testEnv, sys, makeOrg, datasetInput, makeUser, api, type TestEnv } from '../helpers.ts';
import { runHarvest } from '../../src/harvest/run.ts';

/**
 * A DCAT harvest with a member's credentials reads the agency's private datasets too (the catalog
 * shows each caller what it may see). Such an entry stays private where it is harvested: it must
 * not become public there because DCAT has no word for "private" (thgdc:private carries it).
 */
let ag: TestEnv;
let reg: TestEnv;

before(async () => {
  ag = await testEnv({}, { web: true });
  await makeOrg(ag, 'ag-org');
  const { token } = await makeUser(ag, 'ag-admin', { org: 'ag-org', role: 'admin' });
  const file = [{ name: 'ไฟล์', url: 'https://agency.example.go.th/f.csv', format: 'CSV' }];
  await sys(ag, 'package_create', datasetInput('ag-org', { name: 'not-yet-public', title: 'ยังไม่เผยแพร่', private: true, resources: file }));
  await sys(ag, 'package_create', datasetInput('ag-org', { name: 'already-public', title: 'เผยแพร่แล้ว', resources: file }));
  const url = await ag.app.listen({ port: 0, host: '127.0.0.1' });
  ag.config.siteUrl = url;
  reg = await testEnv();
  await makeOrg(reg, 'reg-org');
  await sys(reg, 'harvest_source_create', { name: 'with-token', url: `${url}/catalog.ttl`, source_type: 'dcat', owner_org: 'reg-org', credentials: token });
});
after(async () => {
  await reg.close();
  await ag.close();
});

test("the agency's private dataset arrives private; the public one public", async () => {
  const job = await runHarvest(reg.services, 'with-token', { pollMs: 20 });
  assert.equal(job.stats.added, 2, JSON.stringify(job.stats));
  const rows = await reg.services.store.db.selectFrom('datasets').select(['title', 'private']).where('state', '=', 'active').orderBy('title').execute();
  assert.deepEqual(rows.map((r) => [r.title, r.private]), [['ยังไม่เผยแพร่', true], ['เผยแพร่แล้ว', false]]);
  const anon = await api(reg, 'package_search', { q: '*:*' });
  assert.deepEqual(anon.json.result.results.map((r: { title: string }) => r.title), ['เผยแพร่แล้ว']);
});
