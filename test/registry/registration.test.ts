import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testEnv, sys, as, makeOrg, makeUser, actorFor, datasetInput, api, type TestEnv } from '../helpers.ts';
import { runHarvest } from '../../src/harvest/run.ts';
import { refreshDirty } from '../../src/quality/store.ts';

/**
 * Registration on a registry banchi harvesting two agency banchis over loopback: every transition of
 * registration.json (reject → revised → approve, modified, revoke), the gdpublish- copy, the status
 * API as a thai_gdc catalog calls it, and two agencies with the same title.
 */
describe('registration states on a registry', () => {
  let a: TestEnv;
  let b: TestEnv;
  let reg: TestEnv;
  let aUrl = '';
  let bUrl = '';
  let aHost = '';
  // Actors are loaded when used: an agency duty reaches the organisations the harvest creates below it.
  const who = (name: string) => ({ name });
  const title = 'จำนวนประชากรจากการทะเบียน รายจังหวัด';

  before(async () => {
    a = await testEnv();
    b = await testEnv();
    await makeOrg(a, 'dopa', 'กรมการปกครอง');
    await makeOrg(b, 'moph', 'กระทรวงสาธารณสุข');
    await sys(a, 'package_create', datasetInput('dopa', { name: 'population', title, resources: [{ name: 'ไฟล์ CSV', url: 'https://dopa.example.go.th/pop.csv', format: 'CSV' }] }));
    await sys(a, 'package_create', datasetInput('dopa', { name: 'households' }));
    await sys(b, 'package_create', datasetInput('moph', { name: 'population', title }));
    aUrl = await a.app.listen({ port: 0, host: '127.0.0.1' });
    bUrl = await b.app.listen({ port: 0, host: '127.0.0.1' });
    aHost = new URL(aUrl).host;
    reg = await testEnv({ siteKind: 'registry' });
    await makeOrg(reg, 'nso', 'สำนักงานสถิติแห่งชาติ');
    await makeOrg(reg, 'agency-a', 'กรมการปกครอง (บัญชีข้อมูล)');
    await makeOrg(reg, 'agency-b', 'กระทรวงสาธารณสุข (บัญชีข้อมูล)');
    for (const [user, org, role] of [['reviewer', 'nso', 'catalog_reviewer'], ['registrar', 'nso', 'registrar'], ['officer-a', 'agency-a', 'registration_officer'], ['officer-b', 'agency-b', 'registration_officer'], ['categorizer', 'nso', 'categorizer']] as const) {
      await makeUser(reg, user);
      await sys(reg, 'duty_create', { id: org, username: user, role });
    }
    await sys(reg, 'harvest_source_create', { name: 'dopa-catalog', url: aUrl, source_type: 'ckan', owner_org: 'agency-a' });
    await assert.rejects(sys(reg, 'harvest_source_create', { name: 'bad-kind', url: bUrl, source_type: 'ckan', owner_org: 'agency-b', config: { catalog_kind: 'village' } }), (e: any) => e.name === 'ValidationError' && /catalog_kind/.test(JSON.stringify(e.errors.config)));
    await sys(reg, 'harvest_source_create', { name: 'moph-catalog', url: bUrl, source_type: 'ckan', owner_org: 'agency-b', config: { catalog_kind: 'area' } });
  });
  after(async () => {
    await reg.close();
    await a.close();
    await b.close();
  });

  const reviewer = who('reviewer');
  const registrar = who('registrar');
  const officerA = who('officer-a');
  const officerB = who('officer-b');
  const categorizer = who('categorizer');
  const run = async (u: { name: string }, action: string, input: Record<string, unknown>) => as(reg, await actorFor(reg, u.name), action, input);
  const state = async (id: string) => (await run(registrar, 'registration_show', { id })).state as string;
  const step = (actor: { name: string }, ids: string[], transition: string, reason?: string) => run(actor, 'registration_transition', { ids, transition, reason });

  test('harvest gives each record a registration (WAIT) in a local organisation per agency organisation; the same title from two agencies arrives twice', async () => {
    assert.equal((await runHarvest(reg.services, 'dopa-catalog')).stats.added, 2);
    assert.equal((await runHarvest(reg.services, 'moph-catalog')).stats.added, 1);
    const all = await run(registrar, 'registration_list', {});
    assert.equal(all.count, 3);
    assert.ok(all.results.every((r: any) => r.state === 'WAIT'));
    const same = all.results.filter((r: any) => r.title === title);
    assert.equal(same.length, 2);
    assert.notEqual(same[0].organization.id, same[1].organization.id);
    assert.deepEqual(same.map((r: any) => r.organization.title).sort(), ['กรมการปกครอง', 'กระทรวงสาธารณสุข']);
    const orgA = await sys(reg, 'organization_show', { id: same.find((r: any) => r.site === aHost).organization.name });
    assert.equal(orgA.parent?.name, 'agency-a');
    // An officer sees their own agency's entries only.
    assert.equal((await run(officerA, 'registration_list', {})).count, 2);
    assert.equal((await run(officerB, 'registration_list', {})).count, 1);
  });

  test('status API before registration, then register → reject with reasons → revised → approve → COMPLETED with the gdpublish- copy', async () => {
    const pkg = (await sys(a, 'package_show', { id: 'population' })).id;
    const st = (s: string) => api(reg, s, { site_url: aHost, package: pkg });
    assert.deepEqual((await st('gdcatalog_nonpublish_state')).json.result[0].governance_state, 'WAIT');
    assert.deepEqual((await st('gdcatalog_published_state')).json.result, [{ metadata_modified: '', name: '' }]);
    assert.deepEqual((await api(reg, 'gdcatalog_nonpublish_state', { site_url: aHost, package: 'nope' })).json.result, []);
    // The officer registers through the agency's package ids.
    const [r] = await run(officerA, 'registration_transition', { site_url: aUrl, packages: [pkg], transition: 'register' });
    assert.equal(r.state, 'VALIDATE');
    let ns = (await st('gdcatalog_nonpublish_state')).json.result[0];
    assert.equal(ns.governance_state, 'VALIDATE');
    assert.equal(ns.validate_time, '');
    // The other agency's officer cannot touch it (reported as not found).
    await assert.rejects(run(officerB, 'registration_transition', { ids: [r.id], transition: 'withdraw' }), { name: 'ValidationError' });
    // The queue shows it with the standard checks.
    const queue = await run(reviewer, 'registration_list', { queue: 'review', checks: true });
    const entry = queue.results.find((x: any) => x.id === r.id);
    assert.ok(entry.checks.find((c: any) => c.key === 'standard').ok);
    // Beside the checks: the harvested copy's quality score, once the quality job has run.
    assert.equal(entry.quality_score, null);
    await refreshDirty(reg.services);
    const scored = (await run(reviewer, 'registration_list', { queue: 'review', checks: true })).results.find((x: any) => x.id === r.id);
    assert.ok(scored.quality_score > 0 && scored.quality_score <= 100, String(scored.quality_score));
    // A rejection needs a reason.
    await assert.rejects(step(reviewer, [r.id], 'reject'), (e: any) => e.name === 'ValidationError' && !!e.errors.reason);
    const rejected = (await step(reviewer, [r.id], 'reject', 'ขาดพจนานุกรมข้อมูล'))[0];
    assert.equal(rejected.state, 'REJECT');
    assert.equal(rejected.reject_reason, 'ขาดพจนานุกรมข้อมูล');
    assert.equal(rejected.state_text, 'ไม่ผ่านเกณฑ์');
    // The agency's officer is told (inbox), and the reviewers were told of the submission.
    const inbox = async (user: string) => (await reg.services.store.db.selectFrom('notifications as n').innerJoin('users as u', 'u.id', 'n.user_id').select('n.title_th').where('u.name', '=', user).execute()).map((x) => x.title_th);
    assert.ok((await inbox('officer-a')).some((t) => t.includes('ไม่ผ่านเกณฑ์')));
    assert.ok((await inbox('reviewer')).some((t) => t.includes('อยู่ระหว่างกระบวนการอนุมัติ')));
    assert.deepEqual(await inbox('officer-b'), []);
    ns = (await st('gdcatalog_nonpublish_state')).json.result[0];
    assert.equal(ns.governance_state, 'REJECT');
    assert.notEqual(ns.validate_time, '');
    // Not revised yet: the reviewer cannot approve it again, and it is not in the queue.
    await assert.rejects(step(reviewer, [r.id], 'approve'), { name: 'ValidationError' });
    assert.ok(!(await run(reviewer, 'registration_list', { queue: 'review' })).results.some((x: any) => x.id === r.id));
    // The agency edits; the re-harvest marks it revised.
    await sys(a, 'package_patch', { id: 'population', notes: 'เพิ่มพจนานุกรมข้อมูลแล้ว' });
    assert.equal((await runHarvest(reg.services, 'dopa-catalog')).stats.updated, 1);
    const revised = await run(reviewer, 'registration_show', { id: r.id });
    assert.equal(revised.state, 'REJECT');
    assert.equal(revised.state_text, 'ไม่ผ่านเกณฑ์ (ปรับปรุงแล้ว)');
    assert.ok((await run(reviewer, 'registration_list', { queue: 'review' })).results.some((x: any) => x.id === r.id));
    // Separation: the reviewer passes it, only the registrar approves and publishes.
    assert.equal((await step(reviewer, [r.id], 'approve'))[0].state, 'APPROVAL');
    await assert.rejects(step(reviewer, [r.id], 'approve'), { name: 'AuthorizationError' });
    const done = (await step(registrar, [r.id], 'approve'))[0];
    assert.equal(done.state, 'COMPLETED');
    assert.equal(done.published_name, 'gdpublish-population');
    const copy = await api(reg, 'package_show', { id: 'gdpublish-population' });
    const d = copy.json.result;
    assert.equal(d.title, title);
    assert.equal(d.notes, 'เพิ่มพจนานุกรมข้อมูลแล้ว');
    const link = d.resources.find((x: any) => x.name === 'คลิกเพื่อเข้าถึงทรัพยากรข้อมูลต้นทาง');
    assert.equal(link.url, `${aUrl}/dataset/population`);
    assert.ok(d.resources.some((x: any) => x.url === 'https://dopa.example.go.th/pop.csv'));
    const pub = (await st('gdcatalog_published_state')).json.result[0];
    assert.notEqual(pub.metadata_modified, '');
    assert.equal(pub.name, 'population');
  });

  test('a registered record changed at the agency → VALIDATE_MODIFIED (still published) → approved again updates the copy; then revoke → DELETED', async () => {
    const r = (await run(registrar, 'registration_list', { state: 'COMPLETED' })).results[0];
    await sys(a, 'package_patch', { id: 'population', notes: 'ฉบับปี 2568' });
    await runHarvest(reg.services, 'dopa-catalog');
    assert.equal(await state(r.id), 'VALIDATE_MODIFIED');
    const pkg = (await sys(a, 'package_show', { id: 'population' })).id;
    assert.notEqual((await api(reg, 'gdcatalog_published_state', { site_url: aHost, package: pkg })).json.result[0].metadata_modified, '');
    assert.equal((await api(reg, 'package_show', { id: 'gdpublish-population' })).json.result.notes, 'เพิ่มพจนานุกรมข้อมูลแล้ว');
    await step(reviewer, [r.id], 'approve');
    await step(registrar, [r.id], 'approve');
    assert.equal((await api(reg, 'package_show', { id: 'gdpublish-population' })).json.result.notes, 'ฉบับปี 2568');
    // Categorizer assigns national categories (codes from the data file only).
    await assert.rejects(run(reviewer, 'registration_categorize', { id: r.id, categories: ['population'] }), { name: 'AuthorizationError' });
    await assert.rejects(run(categorizer, 'registration_categorize', { id: r.id, categories: ['nonsense'] }), { name: 'ValidationError' });
    assert.deepEqual((await run(categorizer, 'registration_categorize', { id: r.id, categories: ['population', 'social'] })).categories, ['population', 'social']);
    // Revocation: officer asks, reviewer checks, registrar approves; the copy leaves the directory.
    assert.equal((await run(officerA, 'registration_transition', { site_url: aHost, packages: ['population'], transition: 'request_revoke' }))[0].state, 'WAIT_REVOKE');
    assert.equal((await api(reg, 'gdcatalog_nonpublish_state', { site_url: aHost, package: pkg })).json.result[0].governance_state, 'WAIT_REVOKE');
    assert.equal((await step(reviewer, [r.id], 'approve'))[0].state, 'REVOKE');
    assert.equal((await step(registrar, [r.id], 'approve'))[0].state, 'DELETED');
    assert.equal((await api(reg, 'package_show', { id: 'gdpublish-population' })).status, 404);
    assert.deepEqual((await api(reg, 'gdcatalog_published_state', { site_url: aHost, package: pkg })).json.result, [{ metadata_modified: '', name: '' }]);
    assert.equal((await api(reg, 'gdcatalog_nonpublish_state', { site_url: aHost, package: pkg })).json.result[0].governance_state, 'DELETED');
    const events = await reg.services.store.db.selectFrom('audit_log').select('action').where('object_type', '=', 'registration').execute();
    assert.ok(events.some((e) => e.action === 'registration_request_revoke'));
  });

  test('bulk approve is all or nothing; the generic case_transition refuses registration cases; the dashboard counts', async () => {
    const waiting = (await run(registrar, 'registration_list', { state: 'WAIT' })).results;
    assert.equal(waiting.length, 2);
    await run(officerA, 'registration_transition', { ids: [waiting.find((x: any) => x.site === aHost).id], transition: 'register' });
    await run(officerB, 'registration_transition', { ids: [waiting.find((x: any) => x.site !== aHost).id], transition: 'register' });
    const ids = waiting.map((x: any) => x.id);
    // One of them withdrawn first: the bulk step fails as a whole and names the entry.
    await run(officerA, 'registration_transition', { ids: [ids.find((i: string) => waiting.find((x: any) => x.id === i).site === aHost)], transition: 'withdraw' });
    await assert.rejects(step(reviewer, ids, 'approve'), (e: any) => e.name === 'ValidationError' && !!e.errors.entry);
    assert.equal((await run(registrar, 'registration_list', { state: 'VALIDATE' })).count, 1);
    await run(officerA, 'registration_transition', { site_url: aHost, packages: ['households'], transition: 'register' });
    const bulk = await step(reviewer, ids, 'approve');
    assert.deepEqual(bulk.map((x: any) => x.state), ['APPROVAL', 'APPROVAL']);
    const both = await step(registrar, ids, 'approve');
    assert.deepEqual(both.map((x: any) => x.state), ['COMPLETED', 'COMPLETED']);
    // The same name from two agencies: two national copies.
    const names = both.map((x: any) => x.published_name);
    assert.equal(new Set(names).size, 2);
    const c = await reg.services.store.db.selectFrom('registrations').select('case_id').limit(1).executeTakeFirstOrThrow();
    await assert.rejects(sys(reg, 'case_transition', { id: c.case_id, transition: 'approve' }), (e: any) => e.name === 'ValidationError' && !!e.errors.process);
    const dash = await run(registrar, 'registration_dashboard', {});
    assert.equal(dash.total, 3);
    assert.equal(dash.states.find((s: any) => s.state === 'COMPLETED').count, 2);
    assert.equal(dash.states.find((s: any) => s.state === 'DELETED').count, 1);
    assert.equal(dash.agencies.length, 2);
    // By the kind of catalog each source is (config.catalog_kind, agency when not given).
    const kinds = Object.fromEntries(dash.catalog_kinds.map((k: any) => [k.kind, k.count]));
    assert.deepEqual(kinds, { agency: 2, area: 1, data_center: 0, local_government: 0 });
    // An officer's dashboard counts their agency only.
    assert.equal((await run(officerB, 'registration_dashboard', {})).total, 1);
  });

  test('a record the agency withdraws asks for revocation once registered', async () => {
    await sys(b, 'package_delete', { id: 'population' });
    await runHarvest(reg.services, 'moph-catalog');
    const r = (await run(officerB, 'registration_list', {})).results[0];
    assert.equal(r.state, 'WAIT_REVOKE');
    // A revoked entry stays revoked on an unchanged re-harvest, and starts again (WAIT, a new case) once the agency changes it.
    const revoked = (await run(officerA, 'registration_list', { state: 'DELETED' })).results[0];
    await runHarvest(reg.services, 'dopa-catalog');
    assert.equal(await state(revoked.id), 'DELETED');
    await sys(a, 'package_patch', { id: 'population', notes: 'กลับมาลงทะเบียนใหม่' });
    await runHarvest(reg.services, 'dopa-catalog');
    const again = await run(officerA, 'registration_show', { id: revoked.id });
    assert.equal(again.state, 'WAIT');
    assert.notEqual(again.number, revoked.number);
  });
});
