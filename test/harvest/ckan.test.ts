import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testEnv, sys, makeOrg, makeUser, as, api, type TestEnv } from '../helpers.ts';
import { runHarvest } from '../../src/harvest/run.ts';
import { realRecords, startReplay, type Replay } from './ckan-replay.ts';

/** Harvest from a loopback CKAN replaying real data.go.th records: paging, isolation, consent, incremental, withdrawal. */
describe('harvest from a CKAN Action API', () => {
  let env: TestEnv;
  let replay: Replay;
  const good = realRecords(260);
  const broken: unknown[] = [
    '{"name": "broken-json", "title": ', // not JSON at all
    { ...good[1]!, id: 'off-list', name: 'off-list-code', title: 'ค่านอกรายการ', data_category: 'ข้อมูลลับสุดยอดพิเศษ' },
    { ...good[2]!, id: 'missing-required', name: 'missing-required', title: 'ขาดฟิลด์บังคับ', maintainer_email: undefined, maintainer: undefined },
  ];
  const noConsent = [
    { ...good[3]!, id: 'no-consent', name: 'no-consent', title: 'ไม่ยินยอม', allow_harvest: 'False' },
    { ...good[4]!, id: 'referenced', name: 'referenced', title: 'อ้างอิงจากบัญชีอื่น', reference_url_catalog: 'https://other.example.go.th/dataset/x' },
  ];

  before(async () => {
    env = await testEnv();
    await makeOrg(env, 'nso', 'สำนักงานสถิติแห่งชาติ');
    replay = await startReplay([...good, ...broken, ...noConsent]);
  });
  after(async () => {
    await replay.close();
    await env.close();
  });

  test('only organisation admins and sysadmins manage sources', async () => {
    const { actor: editor } = await makeUser(env, 'editor1', { org: 'nso', role: 'editor' });
    await assert.rejects(as(env, editor, 'harvest_source_create', { name: 'x1', url: replay.url, source_type: 'ckan', owner_org: 'nso' }), { name: 'AuthorizationError' });
    const { token } = await makeUser(env, 'admin1', { org: 'nso', role: 'admin' });
    const r = await api(env, 'harvest_source_create', { name: 'agency-ckan', title: 'บัญชีข้อมูลหน่วยงาน', url: replay.url, source_type: 'ckan', frequency: 'daily', owner_org: 'nso', config: '{"page_rows": 100}', credentials: 'secret-token-123' }, { token });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.equal(r.json.result.frequency, 'DAILY');
    assert.equal(r.json.result.has_credentials, true);
    assert.ok(!JSON.stringify(r.json).includes('secret-token-123'));
    const bad = await api(env, 'harvest_source_create', { name: 'bad', url: 'ftp://x', source_type: 'oai', frequency: 'YEARLY', owner_org: 'nso' }, { token });
    assert.equal(bad.status, 409);
    assert.deepEqual(Object.keys(bad.json.error).filter((k) => k !== '__type').sort(), ['frequency', 'source_type', 'url']);
    const list = await api(env, 'harvest_source_list', undefined, { token: (await makeUser(env, 'nobody')).token });
    assert.deepEqual(list.json.result, []);
  });

  test('a first run takes every consenting record, pages through, keeps bad records with their error', async () => {
    const job = await runHarvest(env.services, 'agency-ckan');
    assert.equal(job.status, 'Finished');
    assert.deepEqual(job.stats, { added: good.length, updated: 0, 'not modified': 0, errored: 3, deleted: 0 });
    assert.ok(replay.requests.filter((r) => r.includes('package_search')).length >= 3, 'paged');
    const objects = await env.services.store.db.selectFrom('harvest_objects').selectAll().where('job_id', '=', job.id).where('report_status', '=', 'errored').execute();
    const byGuid = Object.fromEntries(objects.map((o) => [o.guid, o]));
    assert.match(JSON.stringify(byGuid['invalid:' + good.length]?.errors ?? objects.find((o) => o.guid.startsWith('invalid'))!.errors), /JSON/);
    assert.ok(byGuid['off-list']!.errors!.data_category);
    assert.ok(byGuid['missing-required']!.errors!.maintainer_email || byGuid['missing-required']!.errors!.maintainer);
    const shown = await sys(env, 'harvest_object_show', { id: byGuid['off-list']!.id });
    assert.equal(JSON.parse(shown.content).name, 'off-list-code');
    // The real covid-19-daily record arrives with its fields, owned by the source's organisation, with history and search rows.
    const c = await sys(env, 'package_show', { id: 'covid-19-daily' });
    assert.equal(c.organization.name, 'nso');
    assert.equal(c.data_type, (good[0] as { data_type: string }).data_type);
    const search = await sys(env, 'package_search', { q: 'covid', rows: 5 });
    assert.ok(search.results.some((d: { name: string }) => d.name === 'covid-19-daily'));
    const act = await env.services.store.db.selectFrom('activity').select('id').where('object_id', '=', c.id).execute();
    assert.equal(act.length, 1);
    // Raw payload beside the dataset, with the run that saw it.
    const rec = await env.services.store.db.selectFrom('harvest_records').selectAll().where('dataset_id', '=', c.id).executeTakeFirstOrThrow();
    assert.equal(rec.last_job_id, job.id);
    assert.equal((rec.raw as { name: string }).name, 'covid-19-daily');
    for (const n of ['no-consent', 'referenced']) await assert.rejects(sys(env, 'package_show', { id: n }), { name: 'NotFoundError' });
  });

  test('an unchanged incremental re-harvest asks only for changes and reports not modified', async () => {
    replay.requests.length = 0;
    const t0 = performance.now();
    const job = await runHarvest(env.services, 'agency-ckan');
    const ms = performance.now() - t0;
    assert.ok(replay.requests.some((r) => decodeURIComponent(r).includes('metadata_modified:[')), replay.requests.join('\n'));
    assert.deepEqual(job.stats, { added: 0, updated: 0, 'not modified': good.length, errored: 0, deleted: 0 });
    assert.ok(ms < 5000, `${ms} ms`);
  });

  test('changes, withdrawals and consent withdrawn are seen on the next run', async () => {
    const changed = good[5] as Record<string, unknown>;
    changed.notes = 'คำอธิบายใหม่ของชุดข้อมูล';
    changed.metadata_modified = new Date().toISOString();
    const gone = good[6] as Record<string, unknown>;
    replay.records = replay.records.filter((r) => r !== gone);
    const refused = good[7] as Record<string, unknown>;
    refused.allow_harvest = 'False';
    refused.metadata_modified = new Date().toISOString();
    const job = await runHarvest(env.services, 'agency-ckan');
    assert.equal(job.stats.updated, 1);
    assert.equal(job.stats.deleted, 2);
    assert.equal(job.stats.errored, 0);
    assert.equal(job.stats['not modified'], good.length - 3);
    const d = await sys(env, 'package_show', { id: changed.name as string });
    assert.equal(d.notes, 'คำอธิบายใหม่ของชุดข้อมูล');
    const recs = await env.services.store.db.selectFrom('harvest_records').select(['guid', 'state', 'dataset_id']).where('guid', 'in', [gone.id as string, refused.id as string]).execute();
    assert.deepEqual(recs.map((r) => r.state), ['withdrawn', 'withdrawn']);
    // Withdrawn, not deleted: the dataset and its history stay.
    assert.equal((await sys(env, 'package_show', { id: gone.name as string })).state, 'active');
  });

  test('job list, abort and clear', async () => {
    const jobs = await sys(env, 'harvest_job_list', { source_id: 'agency-ckan' });
    assert.equal(jobs.length, 3);
    const j = await sys(env, 'harvest_job_create', { source_id: 'agency-ckan' });
    assert.equal(j.status, 'New');
    await assert.rejects(sys(env, 'harvest_job_create', { source_id: 'agency-ckan' }), { name: 'ValidationError' });
    const aborted = await sys(env, 'harvest_job_abort', { id: j.id });
    assert.equal(aborted.status, 'Finished');
    assert.equal(aborted.aborted, true);
    const cleared = await sys(env, 'harvest_source_clear', { id: 'agency-ckan' });
    assert.equal(cleared.datasets_deleted, good.length);
    assert.equal((await sys(env, 'harvest_source_show', { id: 'agency-ckan' })).status.job_count, 0);
  });
});
