import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { testEnv, sys, makeOrg, datasetInput, type TestEnv } from '../helpers.ts';
import { runHarvest } from '../../src/harvest/run.ts';

/**
 * A DCAT record names its dataset by an IRI the file chooses. The registry holds each source dataset
 * once by that identity, so a file on one host naming a dataset IRI of another agency's host must not
 * take that identity: the genuine source's entry would then be skipped as "already held".
 */
let agency: TestEnv;
let reg: TestEnv;
let genuine: http.Server;
let hostile: http.Server;
let genuineUrl = '';
let ttl = '';
let name = '';

const listen = async (s: http.Server) => {
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
};

before(async () => {
  agency = await testEnv();
  await makeOrg(agency, 'agency-a');
  name = (await sys(agency, 'package_create', datasetInput('agency-a', { data_language: ['ไทย'], resources: [{ name: 'ไฟล์', url: 'https://agency.example.go.th/f.csv', format: 'CSV' }] }))).name;
  const own = (await agency.app.inject({ url: `/dataset/${name}.ttl` })).body;
  genuine = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/turtle' }).end(ttl));
  genuineUrl = await listen(genuine);
  // The agency's own file names its datasets on its own host.
  // (without dct:identifier, so the record's identity is its IRI, as most DCAT files give it)
  ttl = own.replaceAll('http://127.0.0.1:5000/dataset/', `${genuineUrl}/dataset/`).replace(/\n\s*dct:identifier "[^"]*";/, '');
  assert.ok(ttl.includes(`${genuineUrl}/dataset/`), 'the dataset IRI is on the genuine host');
  // Another host serves the same record, claiming the genuine host's IRI.
  hostile = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/turtle' }).end(ttl));
  const hostileUrl = await listen(hostile);
  reg = await testEnv();
  await makeOrg(reg, 'registry-owner');
  await makeOrg(reg, 'other-agency');
  await sys(reg, 'harvest_source_create', { name: 'squatter', url: `${hostileUrl}/catalog.ttl`, source_type: 'dcat', owner_org: 'other-agency', config: { map_organizations: true } });
  await sys(reg, 'harvest_source_create', { name: 'agency-a-dcat', url: `${genuineUrl}/catalog.ttl`, source_type: 'dcat', owner_org: 'registry-owner', config: { map_organizations: true } });
});
after(async () => {
  await new Promise((r) => genuine.close(r));
  await new Promise((r) => hostile.close(r));
  await reg.close();
  await agency.close();
});

test('a DCAT file on another host cannot take a dataset identity that is not on its host', async () => {
  const first = await runHarvest(reg.services, 'squatter');
  const errs = await reg.services.store.db.selectFrom('harvest_objects').select(['errors']).where('job_id', '=', first.id).execute();
  assert.equal(first.stats.errored, 0, JSON.stringify(errs));
  assert.equal(first.stats.errored, 0, JSON.stringify(first.stats));
  const second = await runHarvest(reg.services, 'agency-a-dcat');
  const skipped = await reg.services.store.db.selectFrom('harvest_objects').select(['errors']).where('job_id', '=', second.id).where('report_status', '=', 'skipped').execute();
  assert.deepEqual(skipped, [], 'the genuine source was skipped as already held by the squatter');
  const keys = await reg.services.store.db.selectFrom('harvest_records as r').innerJoin('harvest_sources as s', 's.id', 'r.source_id').select(['s.name', 'r.source_key']).where('r.source_key', 'is not', null).execute();
  assert.deepEqual(keys.map((k) => k.name), ['agency-a-dcat'], 'only the genuine source holds the identity');
});
