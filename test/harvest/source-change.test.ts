import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { testEnv, sys, makeOrg, type TestEnv } from '../helpers.ts';
import { runHarvest } from '../../src/harvest/run.ts';
import { realRecords, startReplay, type Replay } from './ckan-replay.ts';

/**
 * A source pointed at another catalog (or read as another type) starts over: its next run reads
 * the whole new catalog, not only what changed there since the old one's last run (that would
 * leave out every older record of the new catalog). Bad paging settings are field errors.
 */
let env: TestEnv;
let oldCatalog: Replay;
let newCatalog: Replay;
const records = realRecords(8);

before(async () => {
  env = await testEnv();
  await makeOrg(env, 'sc-org');
  oldCatalog = await startReplay(records.slice(0, 4));
  // Records last modified years ago, as most of data.go.th's are.
  newCatalog = await startReplay(records.slice(4).map((r) => ({ ...r, metadata_modified: '2020-01-01T00:00:00' })));
});
after(async () => {
  await oldCatalog.close();
  await newCatalog.close();
  await env.close();
});

test('after the URL changes, the next run takes every record of the new catalog', async () => {
  await sys(env, 'harvest_source_create', { name: 'sc-source', url: oldCatalog.url, source_type: 'ckan', owner_org: 'sc-org' });
  assert.equal((await runHarvest(env.services, 'sc-source', { pollMs: 20 })).stats.added, 4);
  await sys(env, 'harvest_source_update', { id: 'sc-source', url: newCatalog.url });
  const job = await runHarvest(env.services, 'sc-source', { pollMs: 20 });
  assert.equal(job.stats.added, 4, JSON.stringify(job.stats));
  assert.ok(!newCatalog.requests.some((r) => decodeURIComponent(r).includes('metadata_modified:[')), 'asked only for changes');
});

test('page_rows and batch_size out of range are field errors, not a failing run', async () => {
  for (const config of [{ page_rows: -1 }, { page_rows: 'many' }, { page_rows: 1e9 }, { batch_size: 0 }, { batch_size: -5 }, { batch_size: 1e9 }]) {
    await assert.rejects(sys(env, 'harvest_source_create', { name: 'sc-bad', url: oldCatalog.url, source_type: 'ckan', owner_org: 'sc-org', config }), (e: any) => e.name === 'ValidationError' && !!e.errors.config, JSON.stringify(config));
    await assert.rejects(sys(env, 'harvest_source_update', { id: 'sc-source', config }), (e: any) => e.name === 'ValidationError' && !!e.errors.config, JSON.stringify(config));
  }
  const ok = await sys(env, 'harvest_source_create', { name: 'sc-good', url: oldCatalog.url, source_type: 'ckan', owner_org: 'sc-org', config: { page_rows: 500, batch_size: 100 } });
  assert.equal(ok.name, 'sc-good');
});
