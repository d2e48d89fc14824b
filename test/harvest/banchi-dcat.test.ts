import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { testEnv, sys, makeOrg, datasetInput, type TestEnv } from '../helpers.ts';
import { runHarvest } from '../../src/harvest/run.ts';
import { currentStandard } from '../../src/standard/index.ts';

/** Harvest from another banchi over loopback: its CKAN Action API, and its DCAT output as Turtle and JSON-LD files. */
describe('harvest from another banchi and from DCAT files', () => {
  let agency: TestEnv;
  let registry: TestEnv;
  let dcatRegistry: TestEnv;
  let agencyUrl = '';
  let files: http.Server;
  let filesUrl = '';
  const names: string[] = [];
  const served: Record<string, { type: string; body: string }> = {};
  const originals = new Map<string, Record<string, any>>();

  before(async () => {
    agency = await testEnv();
    await makeOrg(agency, 'agency', 'กรมตัวอย่าง');
    const types = currentStandard().file.data_types;
    for (let i = 0; i < 6; i++) names.push((await sys(agency, 'package_create', datasetInput('agency', { data_type: types[i % 2]!.value, data_language: ['ไทย'], resources: [{ name: `ไฟล์ ${i}`, url: `https://agency.example.go.th/f${i}.csv`, format: 'CSV' }] }))).name);
    await sys(agency, 'package_create', datasetInput('agency', { name: 'internal-only', data_category: 'ข้อมูลใช้ภายใน', data_classification: 'ชั้นเผยแพร่ภายในองค์กร' }));
    agencyUrl = await agency.app.listen({ port: 0, host: '127.0.0.1' });
    // Two DCAT files built from the agency's own DCAT output: three datasets in Turtle, three in JSON-LD.
    const ttl: string[] = [];
    const graph: unknown[] = [];
    for (const [i, n] of names.entries()) {
      originals.set(n, await sys(agency, 'package_show', { id: n }));
      if (i < 3) ttl.push((await agency.app.inject({ url: `/dataset/${n}.ttl` })).body);
      else graph.push(...(await agency.app.inject({ url: `/dataset/${n}.jsonld` })).json()['@graph']);
    }
    served['/a.ttl'] = { type: 'text/turtle', body: ttl.join('\n') };
    served['/b.jsonld'] = { type: 'application/ld+json', body: JSON.stringify({ '@graph': graph }) };
    files = http.createServer((req, res) => {
      const f = served[req.url ?? ''];
      if (!f) return res.writeHead(404).end();
      res.writeHead(200, { 'content-type': f.type }).end(f.body);
    });
    await new Promise<void>((r) => files.listen(0, '127.0.0.1', r));
    filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
    registry = await testEnv();
    await makeOrg(registry, 'nso', 'สำนักงานสถิติแห่งชาติ');
    dcatRegistry = await testEnv();
    await makeOrg(dcatRegistry, 'nso', 'สำนักงานสถิติแห่งชาติ');
  });
  after(async () => {
    await new Promise((r) => files.close(r));
    await registry.close();
    await dcatRegistry.close();
    await agency.close();
  });

  test('a second banchi through its CKAN Action API: public entries only, then an unchanged re-harvest', async () => {
    await sys(registry, 'harvest_source_create', { name: 'agency-banchi', url: agencyUrl, source_type: 'ckan', owner_org: 'nso' });
    const first = await runHarvest(registry.services, 'agency-banchi');
    assert.deepEqual(first.stats, { added: 6, updated: 0, 'not modified': 0, errored: 0, deleted: 0 });
    for (const n of names) assert.equal((await sys(registry, 'package_show', { id: n })).organization.name, 'nso');
    await assert.rejects(sys(registry, 'package_show', { id: 'internal-only' }), { name: 'NotFoundError' });
    const again = await runHarvest(registry.services, 'agency-banchi');
    assert.deepEqual(again.stats, { added: 0, updated: 0, 'not modified': 6, errored: 0, deleted: 0 });
    // The agency edits one entry and deletes another.
    await sys(agency, 'package_patch', { id: names[0], notes: 'ปรับปรุงคำอธิบาย' });
    await sys(agency, 'package_delete', { id: names[1] });
    const third = await runHarvest(registry.services, 'agency-banchi');
    assert.deepEqual(third.stats, { added: 0, updated: 1, 'not modified': 4, errored: 0, deleted: 1 });
    assert.equal((await sys(registry, 'package_show', { id: names[0] })).notes, 'ปรับปรุงคำอธิบาย');
  });

  test('DCAT files in Turtle and JSON-LD', async () => {
    await sys(dcatRegistry, 'harvest_source_create', { name: 'ttl-file', url: `${filesUrl}/a.ttl`, source_type: 'dcat', owner_org: 'nso' });
    await sys(dcatRegistry, 'harvest_source_create', { name: 'jsonld-file', url: `${filesUrl}/b.jsonld`, source_type: 'dcat', owner_org: 'nso' });
    const a = await runHarvest(dcatRegistry.services, 'ttl-file');
    const b = await runHarvest(dcatRegistry.services, 'jsonld-file');
    const errors = await dcatRegistry.services.store.db.selectFrom('harvest_objects').select('errors').where('report_status', '=', 'errored').execute();
    assert.deepEqual(errors, []);
    assert.equal(a.stats.added, 3);
    assert.equal(b.stats.added, 3);
    for (const n of names) {
      const local = await sys(dcatRegistry, 'package_show', { id: n });
      const original = originals.get(n)!;
      for (const f of ['title', 'notes', 'data_type', 'maintainer', 'maintainer_email', 'update_frequency_unit', 'geo_coverage', 'data_source', 'license_id']) assert.deepEqual(local[f], original[f], `${n} ${f}`);
      assert.deepEqual(local.objective, original.objective);
      assert.deepEqual(local.tags.map((t: { name: string }) => t.name).sort(), original.tags.map((t: { name: string }) => t.name).sort());
      assert.equal(local.resources[0].url, original.resources[0].url);
    }
    // A file that drops a dataset: it is withdrawn.
    served['/a.ttl'] = { type: 'text/turtle', body: (await agency.app.inject({ url: `/dataset/${names[0]}.ttl` })).body };
    const again = await runHarvest(dcatRegistry.services, 'ttl-file');
    assert.equal(again.stats.deleted, 2);
  });
});
