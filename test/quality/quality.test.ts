import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { api, as, datasetInput, makeOrg, makeUser, sys, testEnv, type TestEnv } from '../helpers.ts';
import type { Actor } from '../../src/access/actor.ts';
import { ANONYMOUS } from '../../src/access/actor.ts';
import { upload } from '../datastore/helpers.ts';
import { PageClient } from '../web/client.ts';
import { computeQuality } from '../../src/quality/engine.ts';
import { loadInputs, refreshDirty } from '../../src/quality/store.ts';
import { runLinkcheck } from '../../src/quality/linkcheck.ts';
import { checkUrl, isPrivateAddress } from '../../src/quality/http-check.ts';
import { CRITERIA, checkCriteria } from '../../src/quality/criteria.ts';
import { covidInput, covidRecord, LinkServer, mirrorInput, mirrorRecord } from './fixtures.ts';

const PASSWORD = 'correct horse battery';

let env: TestEnv;
const links = new LinkServer();
let editor: { actor: Actor; token: string };
let mophAdmin: { actor: Actor; token: string };
let outsider: { actor: Actor; token: string };
let covid: { id: string; name: string };
let pdfOnly: { id: string; name: string };
let mixed: { id: string; name: string };
let secret: { id: string; name: string };
let foreign: { id: string; name: string };

const byKey = (q: { criteria: Array<{ key: string }> }, key: string) => q.criteria.find((c) => c.key === key) as any;
const show = (actor: Actor, id: string) => as<any>(env, actor, 'package_quality_show', { id });

before(async () => {
  await links.start();
  env = await testEnv({ linkcheck: { timeoutMs: 400, concurrency: 8, allowPrivate: true } }, { web: true });
  await makeOrg(env, 'moph', 'กระทรวงสาธารณสุข');
  await makeOrg(env, 'ddc', 'กรมควบคุมโรค', 'moph');
  await makeOrg(env, 'other', 'หน่วยงานอื่น');
  editor = await makeUser(env, 'ddc-editor', { org: 'ddc', role: 'editor' });
  mophAdmin = await makeUser(env, 'moph-admin', { org: 'moph', role: 'admin' });
  outsider = await makeUser(env, 'other-admin', { org: 'other', role: 'admin' });

  covid = await as(env, editor.actor, 'package_create', covidInput('ddc'));
  // The record's own 14 resources (names, formats, the dictionary file), served by the loopback server.
  for (const [i, r] of (covidRecord().resources as Array<Record<string, any>>).entries()) {
    await as(env, editor.actor, 'resource_create', { package_id: covid.id, name: r.name, format: r.format, url: `${links.base}/ok/${i}` });
  }
  const m = mirrorRecord('item_7c088780-1b30-4a19-afb9-2b3e0f34d4d2');
  mixed = await as(env, editor.actor, 'package_create', mirrorInput(m, 'ddc', 'mirror-mixed'));
  await as(env, editor.actor, 'resource_create', { package_id: mixed.id, name: m.resources_list[0]!.name ?? 'pdf', format: m.resources_list[0]!.format, url: `${links.base}/missing/a` });
  await as(env, editor.actor, 'resource_create', { package_id: mixed.id, name: m.resources_list[1]!.name ?? 'xlsx', format: m.resources_list[1]!.format, url: `${links.base}/nohead/b` });
  const p = mirrorRecord('item_d51220c3-d3d9-4451-b286-eb405d65e4e2');
  pdfOnly = await as(env, editor.actor, 'package_create', mirrorInput(p, 'ddc', 'mirror-pdf'));
  await as(env, editor.actor, 'resource_create', { package_id: pdfOnly.id, name: p.resources_list[0]!.name ?? 'pdf', format: 'PDF', url: `${links.base}/slow/c` });
  secret = await as(env, editor.actor, 'package_create', datasetInput('ddc', { private: true, name: 'ddc-private' }));
  foreign = await as(env, outsider.actor, 'package_create', datasetInput('other', { name: 'other-open' }));
});

after(async () => {
  await env?.close();
  await links.stop();
});

describe('criteria file', () => {
  test('weights total 100 and a file that does not is refused', () => {
    assert.equal(CRITERIA.criteria.reduce((s, c) => s + c.weight, 0), 100);
    assert.throws(() => checkCriteria({ version: 1, criteria: [{ ...CRITERIA.criteria[0]!, weight: 50 }] }), /total 50/);
    assert.throws(() => checkCriteria({ version: 1, criteria: [{ ...CRITERIA.criteria[0]!, weight: 100, kind: 'magic' as never }] }), /unknown kind/);
  });
});

describe('scoring on real records', () => {
  test('covid-19-daily: each criterion with its reason', async () => {
    const q = await show(editor.actor, covid.id);
    assert.ok(q.score > 0 && q.score < 100, String(q.score));
    assert.equal(byKey(q, 'required_fields').result, 'pass');
    // The record leaves out the supporter, the access condition and the collection unit.
    const rec = byKey(q, 'recommended_fields');
    assert.notEqual(rec.result, 'pass');
    assert.match(rec.reason, /ผู้สนับสนุนหรือผู้ร่วมดำเนินการ/);
    // Its dictionary is an XLSX file beside the data: half credit, named in the reason.
    const dict = byKey(q, 'data_dictionary');
    assert.equal(dict.result, 'partial');
    assert.match(dict.reason, /covid-19-daily_data_dictionary/);
    // 13 of 14 resources are XLSX, CSV or API; the ZIP is not an open format.
    const fm = byKey(q, 'open_formats');
    assert.equal(fm.result, 'partial');
    assert.match(fm.reason, /13 จาก 14/);
    assert.match(fm.reason, /ZIP/);
    assert.equal(byKey(q, 'update_frequency').result, 'pass');
    // Nothing checked yet: neither known to answer nor broken.
    assert.equal(byKey(q, 'links').result, 'partial');
    const en = await runActionEn(covid.id);
    assert.equal(byKey(en, 'open_formats').label, 'Resources in open, machine-readable formats (CSV, JSON, XML …)');
    assert.match(byKey(en, 'open_formats').reason, /13 of 14 resources open/);
  });

  test('update frequency is judged against today: a daily dataset is late after two days, failing after five', async () => {
    const x = (await loadInputs(env.services.store.db, [covid.id], new Date())).get(covid.id)!;
    const at = (days: number) => byKey(computeQuality({ ...x, now: new Date(Date.now() + days * 86_400_000) }), 'update_frequency');
    assert.equal(at(1).result, 'pass');
    assert.equal(at(2.1).result, 'partial');
    assert.equal(at(5).result, 'fail');
    // A yearly dataset (the mirror record) is fine after five days.
    const y = (await loadInputs(env.services.store.db, [mixed.id], new Date(Date.now() + 5 * 86_400_000))).get(mixed.id)!;
    assert.equal(byKey(computeQuality(y), 'update_frequency').result, 'pass');
  });

  test('filling the recommended fields and structured dictionaries makes those criteria pass', async () => {
    const before = (await show(editor.actor, covid.id)).score;
    await as(env, editor.actor, 'package_patch', { id: covid.id, data_support: 'หน่วยงานของรัฐ', data_collect: 'บุคคล', accessible_condition: 'ไม่มีการจำกัดการเข้าถึงข้อมูล', created_date: '2020-03-20', last_updated_date: '2024-07-09' });
    const pkg = await as<any>(env, editor.actor, 'package_show', { id: covid.id });
    const dict = [{ name: 'txn_date', type: 'date', description_th: 'วันที่', description_en: 'Date', unit: '', example: '2021-10-28' }];
    for (const r of pkg.resources) if (['XLSX', 'CSV', 'API'].includes(r.format)) await as(env, editor.actor, 'resource_patch', { id: r.id, data_dictionary: dict });
    const q = await show(editor.actor, covid.id);
    assert.equal(byKey(q, 'recommended_fields').result, 'pass', byKey(q, 'recommended_fields').reason);
    assert.equal(byKey(q, 'data_dictionary').result, 'pass', byKey(q, 'data_dictionary').reason);
    assert.ok(q.score > before, `${q.score} > ${before}`);
  });

  test('a mirror record of PDFs only fails the open-format criterion', async () => {
    const q = await show(editor.actor, pdfOnly.id);
    assert.equal(byKey(q, 'open_formats').result, 'fail');
    assert.match(byKey(q, 'open_formats').reason, /PDF/);
    assert.equal(byKey((await show(editor.actor, mixed.id)), 'open_formats').result, 'partial');
  });

  test('stored scores: a write marks the score dirty in its transaction and the quality job refreshes it', async () => {
    await refreshDirty(env.services);
    const row = await env.services.store.db.selectFrom('dataset_quality').selectAll().where('dataset_id', '=', mixed.id).executeTakeFirstOrThrow();
    assert.equal(row.dirty, false);
    assert.equal(row.score, (await show(editor.actor, mixed.id)).score);
    // Counting page views into the row changes no score.
    await env.services.store.db.updateTable('datasets').set((eb) => ({ view_count: eb('view_count', '+', 1) })).where('id', '=', mixed.id).execute();
    assert.equal((await env.services.store.db.selectFrom('dataset_quality').select('dirty').where('dataset_id', '=', mixed.id).executeTakeFirstOrThrow()).dirty, false);
    await as(env, editor.actor, 'package_patch', { id: mixed.id, accessible_condition: 'ไม่มีการจำกัดการเข้าถึงข้อมูล' });
    const dirty = await env.services.store.db.selectFrom('dataset_quality').select('dirty').where('dataset_id', '=', mixed.id).executeTakeFirstOrThrow();
    assert.equal(dirty.dirty, true);
    const job = await env.services.store.db.selectFrom('jobs').select('id').where('queue', '=', 'quality').where('state', '=', 'queued').execute();
    assert.ok(job.length >= 1);
    await refreshDirty(env.services);
    const fresh = await env.services.store.db.selectFrom('dataset_quality').selectAll().where('dataset_id', '=', mixed.id).executeTakeFirstOrThrow();
    assert.equal(fresh.dirty, false);
    assert.equal(fresh.score, (await show(editor.actor, mixed.id)).score);
  });
});

async function runActionEn(id: string) {
  const { runAction } = await import('../../src/actions/registry.ts');
  return runAction<any>(env.services, 'package_quality_show', { id }, { actor: editor.actor, lang: 'en' });
}

describe('visibility', () => {
  test("a private dataset's score is 404 for an outsider and anonymous, shown to its organisation", async () => {
    assert.equal((await api(env, 'package_quality_show', undefined, { query: { id: secret.id }, token: outsider.token })).status, 404);
    assert.equal((await api(env, 'package_quality_show', undefined, { query: { id: secret.id } })).status, 404);
    assert.equal((await api(env, 'package_quality_show', undefined, { query: { id: 'no-such-dataset' } })).status, 404);
    const ok = await api(env, 'package_quality_show', undefined, { query: { id: secret.id }, token: editor.token });
    assert.equal(ok.status, 200);
    assert.equal(typeof ok.json.result.score, 'number');
    assert.equal((await api(env, 'package_quality_show', undefined, { query: { id: covid.id } })).status, 200);
  });

  test('the organisation list counts only the rows the caller may see', async () => {
    await refreshDirty(env.services);
    const anon = await as<any>(env, ANONYMOUS, 'organization_quality_list', { id: 'ddc' });
    const mine = await as<any>(env, editor.actor, 'organization_quality_list', { id: 'ddc' });
    assert.equal(anon.count, 3);
    assert.equal(mine.count, 4);
    assert.ok(!anon.results.some((r: any) => r.id === secret.id));
    assert.ok(mine.results.some((r: any) => r.id === secret.id));
    assert.deepEqual(mine.results.map((r: any) => r.score), [...mine.results.map((r: any) => r.score)].sort((a, b) => a - b));
    // The score bands count the same visible rows.
    assert.equal(anon.bands.reduce((n: number, b: any) => n + b.count, 0), 3);
    assert.equal(mine.bands.reduce((n: number, b: any) => n + b.count, 0), 4);
    const paged = await as<any>(env, editor.actor, 'organization_quality_list', { id: 'ddc', limit: 1, offset: 1, sort: 'title' });
    assert.equal(paged.results.length, 1);
    assert.equal(paged.count, 4);
    assert.equal((await api(env, 'organization_quality_list', undefined, { query: { id: 'ddc', sort: 'nonsense' } })).status, 409);
    assert.equal((await api(env, 'organization_quality_list', undefined, { query: { id: 'nowhere' } })).status, 404);
  });
});

describe('link checker', () => {
  test('ok, 404, HEAD refused, time-out and an uploaded file; results stored per resource', async () => {
    const file = await upload(env, editor.token, { package_id: mixed.id, name: 'ไฟล์ในระบบ', format: 'CSV' }, 'x.csv', 'a,b\n1,2\n');
    links.reset();
    const started = Date.now();
    const sum = await runLinkcheck(env.services, { org_id: null, since: new Date().toISOString() });
    assert.ok(Date.now() - started < 2500, 'the slow URL was cut at its time-out');
    assert.equal(sum.checked, 14 + 2 + 1 + 1);
    const rows = new Map((await env.services.store.db.selectFrom('resource_links').selectAll().execute()).map((r) => [r.url, r]));
    assert.equal(rows.get(`${links.base}/ok/0`)?.status, 'ok');
    assert.equal(rows.get(`${links.base}/ok/0`)?.http_status, 200);
    assert.equal(rows.get(`${links.base}/missing/a`)?.status, 'broken');
    assert.equal(rows.get(`${links.base}/missing/a`)?.http_status, 404);
    assert.equal(rows.get(`${links.base}/nohead/b`)?.status, 'ok');
    assert.equal(rows.get(`${links.base}/slow/c`)?.status, 'timeout');
    const up = await env.services.store.db.selectFrom('resource_links').selectAll().where('resource_id', '=', file.id).executeTakeFirstOrThrow();
    assert.equal(up.status, 'ok');
    assert.equal(up.http_status, null);
    assert.ok(!rows.has(`${links.base}/x.csv`));
    // Never more than two requests at once to one host.
    assert.equal(links.maxInFlight, 2);
    // The score reads the answers.
    assert.equal(byKey(await show(editor.actor, covid.id), 'links').result, 'pass');
    const mixedLinks = byKey(await show(editor.actor, mixed.id), 'links');
    assert.equal(mixedLinks.result, 'partial');
    assert.match(mixedLinks.reason, /broken/ );
    assert.equal(byKey(await show(editor.actor, pdfOnly.id), 'links').result, 'fail');
    // A second run of the same request asks nothing again.
    links.reset();
    assert.equal((await runLinkcheck(env.services, { org_id: null, since: new Date(started).toISOString() })).checked, 0);
    assert.equal(links.requests, 0);
  });

  test('the global cap holds across hosts and runs: concurrency 1 means one request at a time', async () => {
    const saved = env.services.config.linkcheck!;
    env.services.config.linkcheck = { ...saved, concurrency: 1 };
    try {
      for (let i = 0; i < 4; i++) await as(env, outsider.actor, 'resource_create', { package_id: foreign.id, name: `r${i}`, format: 'CSV', url: `${links.base}/host/${i}` });
      links.reset();
      const other = await env.services.store.db.selectFrom('groups').select('id').where('name', '=', 'other').executeTakeFirstOrThrow();
      const sum = await runLinkcheck(env.services, { org_id: other.id, since: new Date().toISOString() });
      assert.equal(sum.checked, 4);
      assert.equal(links.maxInFlight, 1);
    } finally {
      env.services.config.linkcheck = saved;
    }
  });

  test('private and loopback addresses are refused unless allowed, with no request sent', async () => {
    links.reset();
    const r = await checkUrl(`${links.base}/ok/x`, { timeoutMs: 400, concurrency: 2, allowPrivate: false });
    assert.equal(r.status, 'broken');
    assert.match(r.error, /private or loopback/);
    assert.equal(links.requests, 0);
    for (const ip of ['127.0.0.1', '10.1.2.3', '192.168.0.1', '172.20.0.1', '169.254.169.254', '::1', 'fd00::1', '::ffff:127.0.0.1', '100.64.0.1']) assert.ok(isPrivateAddress(ip), ip);
    for (const ip of ['164.115.22.1', '8.8.8.8', '2001:4860::8888']) assert.ok(!isPrivateAddress(ip), ip);
    assert.equal((await checkUrl('ftp://example.go.th/x', { timeoutMs: 400, concurrency: 2, allowPrivate: true })).status, 'broken');
  });

  test('every spelling of a private address is refused: IPv4-mapped, IPv4-compatible and NAT64 IPv6 forms reach no server', async () => {
    links.reset();
    const port = new URL(links.base).port;
    // The URL parser writes [::ffff:127.0.0.1] as [::ffff:7f00:1]: the hex form must be judged as the address it is.
    for (const host of ['[::ffff:127.0.0.1]', '[::ffff:7f00:1]', '[::ffff:a9fe:a9fe]', '[::7f00:1]', '[64:ff9b::7f00:1]', '[::]', '0x7f.1', '2130706433']) {
      const r = await checkUrl(`http://${host}:${port}/ok/x`, { timeoutMs: 400, concurrency: 2, allowPrivate: false });
      assert.equal(r.status, 'broken', host);
      assert.match(r.error, /private or loopback/, host);
    }
    assert.equal(links.requests, 0, 'no request reached the loopback server');
    for (const ip of ['::ffff:7f00:1', '::ffff:a9fe:a9fe', '::ffff:10.0.0.1', '::7f00:1', '64:ff9b::a9fe:a9fe', 'fe80::1', 'ff02::1', '0.0.0.0', '::']) assert.ok(isPrivateAddress(ip), ip);
    for (const ip of ['::ffff:8.8.8.8', '::ffff:a473:1601', '2606:4700::1111']) assert.ok(!isPrivateAddress(ip), ip);
  });

  test('queuing a check: org admins for their organisation, sysadmins for all, others refused', async () => {
    const count = async () => (await env.services.store.db.selectFrom('jobs').select('id').where('queue', '=', 'linkcheck').execute()).length;
    const n = await count();
    assert.equal((await api(env, 'linkcheck_queue', { organization: 'moph' }, { token: mophAdmin.token })).status, 200);
    assert.equal((await api(env, 'linkcheck_queue', { organization: 'ddc' }, { token: mophAdmin.token })).status, 200);
    assert.equal((await api(env, 'linkcheck_queue', { organization: 'ddc' }, { token: editor.token })).status, 403);
    assert.equal((await api(env, 'linkcheck_queue', { organization: 'moph' }, { token: outsider.token })).status, 403);
    assert.equal((await api(env, 'linkcheck_queue', {}, { token: mophAdmin.token })).status, 403);
    assert.equal(await count(), n + 2);
    const audit = await env.services.store.db.selectFrom('audit_log').select('action').where('action', '=', 'linkcheck_queue').execute();
    assert.equal(audit.length, 2);
  });
});

describe('OIT checklist', () => {
  test('agency admins link items to the agency datasets; other agencies and foreign datasets are refused', async () => {
    const ok = await api(env, 'oit_item_link', { organization: 'ddc', item: 'o2', dataset_id: covid.name }, { token: mophAdmin.token });
    assert.equal(ok.status, 200, JSON.stringify(ok.json));
    assert.equal(ok.json.result.item, 'O2');
    assert.equal((await api(env, 'oit_item_link', { organization: 'moph', item: 'O5', dataset_id: secret.id }, { token: mophAdmin.token })).status, 200);
    // An admin of another agency may not touch this checklist.
    assert.equal((await api(env, 'oit_item_link', { organization: 'moph', item: 'O7', dataset_id: foreign.id }, { token: outsider.token })).status, 403);
    // An editor is not an admin.
    assert.equal((await api(env, 'oit_item_link', { organization: 'moph', item: 'O7', dataset_id: covid.id }, { token: editor.token })).status, 403);
    // Another agency's dataset, a dataset that does not exist, an unknown item: field errors.
    const wrong = await api(env, 'oit_item_link', { organization: 'moph', item: 'O7', dataset_id: foreign.id }, { token: mophAdmin.token });
    assert.equal(wrong.status, 409);
    assert.ok(wrong.json.error.dataset_id);
    assert.equal((await api(env, 'oit_item_link', { organization: 'moph', item: 'O7', dataset_id: 'nothing-here' }, { token: mophAdmin.token })).json.error.dataset_id !== undefined, true);
    const item = await api(env, 'oit_item_link', { organization: 'moph', item: 'O99', dataset_id: covid.id }, { token: mophAdmin.token });
    assert.equal(item.status, 409);
    assert.ok(item.json.error.item);
    const audit = await env.services.store.db.selectFrom('audit_log').select(['action', 'detail']).where('action', '=', 'oit_item_link').execute();
    assert.equal(audit.length, 2);
    assert.equal(await env.services.store.db.selectFrom('oit_links').select('item').execute().then((r) => r.length), 2);
  });

  test('the public checklist shows public datasets, hides the rest, lists what is missing', async () => {
    const anon = await as<any>(env, ANONYMOUS, 'oit_checklist_show', { organization: 'ddc' });
    assert.equal(anon.organization.name, 'moph');
    const o2 = anon.items.find((i: any) => i.code === 'O2');
    assert.equal(o2.dataset.name, covid.name);
    assert.equal(o2.dataset.open_data, true);
    const o5 = anon.items.find((i: any) => i.code === 'O5');
    assert.equal(o5.linked, true);
    assert.equal(o5.dataset, null);
    assert.deepEqual(anon.missing, ['O7', 'O9', 'O16', 'O22']);
    assert.equal(anon.may_edit, false);
    const admin = await as<any>(env, mophAdmin.actor, 'oit_checklist_show', { organization: 'moph' });
    assert.equal(admin.items.find((i: any) => i.code === 'O5').dataset.name, 'ddc-private');
    assert.equal(admin.may_edit, true);
    await as(env, mophAdmin.actor, 'oit_item_unlink', { organization: 'moph', item: 'O5' });
    assert.deepEqual((await as<any>(env, ANONYMOUS, 'oit_checklist_show', { organization: 'moph' })).missing, ['O5', 'O7', 'O9', 'O16', 'O22']);
  });

  test('a linked dataset moved to another agency no longer answers the item: the checklist judges ownership when it is read', async () => {
    const moved = await as<any>(env, editor.actor, 'package_create', datasetInput('ddc', { name: 'ddc-procurement' }));
    assert.equal((await api(env, 'oit_item_link', { organization: 'moph', item: 'O16', dataset_id: moved.id }, { token: mophAdmin.token })).status, 200);
    const o16 = async () => (await as<any>(env, ANONYMOUS, 'oit_checklist_show', { organization: 'moph' })).items.find((i: any) => i.code === 'O16');
    assert.equal((await o16()).dataset.name, 'ddc-procurement');
    await sys(env, 'package_patch', { id: moved.id, owner_org: 'other' });
    const after = await o16();
    assert.deepEqual([after.linked, after.dataset], [false, null], "another agency's dataset is no evidence of this one");
    assert.ok((await as<any>(env, ANONYMOUS, 'oit_checklist_show', { organization: 'moph' })).missing.includes('O16'));
    await sys(env, 'package_patch', { id: moved.id, owner_org: 'ddc' });
    assert.equal((await o16()).dataset.name, 'ddc-procurement', 'back under the agency: linked again');
    await as(env, mophAdmin.actor, 'oit_item_unlink', { organization: 'moph', item: 'O16' });
  });
});

describe('pages', () => {
  test('checklist, organisation scores and the dataset panel render; editors see the panel, visitors do not', async () => {
    const anon = new PageClient(env.app);
    const orgPage = await anon.get('/organization/ddc');
    assert.match(orgPage.body, /href="\/organization\/ddc\/quality"/);
    assert.match(orgPage.body, /href="\/organization\/ddc\/oit"/);
    const oit = await anon.get('/organization/ddc/oit');
    assert.equal(oit.statusCode, 200);
    assert.match(oit.body, /id="oit-O22"/);
    assert.match(oit.body, /id="oit-missing">O5, O7, O9, O16, O22/);
    assert.ok(!oit.body.includes('name="dataset_id"'));
    const scores = await anon.get('/organization/ddc/quality');
    assert.equal(scores.statusCode, 200);
    assert.match(scores.body, /id="quality-scores"/);
    assert.match(scores.body, /<svg/);
    assert.match(scores.body, /id="quality-bands"/);
    assert.ok(scores.body.includes(covid.name));
    assert.ok(!scores.body.includes('ddc-private'));
    assert.ok(!(await anon.get(`/dataset/${covid.name}`)).body.includes('id="quality"'));
    const ed = new PageClient(env.app);
    await ed.signIn('ddc-editor', PASSWORD);
    const page = await ed.get(`/dataset/${covid.name}`);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /id="quality"/);
    assert.match(page.body, /คุณภาพคำอธิบายชุดข้อมูล/);
    assert.ok((await ed.get('/organization/ddc/quality')).body.includes('ddc-private'));
    assert.equal((await anon.get('/organization/nowhere/oit')).statusCode, 404);
  });

  test('an agency admin links an item from the checklist page; a wrong dataset is a 400 page with the reason', async () => {
    const admin = new PageClient(env.app);
    await admin.signInWith2fa('moph-admin', PASSWORD, new Map());
    const page = await admin.get('/organization/moph/oit');
    assert.match(page.body, /name="dataset_id"/);
    const res = await admin.post('/organization/moph/oit', { item: 'O9', dataset_id: pdfOnly.name, op: 'link' });
    assert.equal(res.statusCode, 303);
    assert.ok(!(await admin.follow()).body.includes('O9, '));
    await admin.get('/organization/moph/oit');
    const bad = await admin.post('/organization/moph/oit', { item: 'O7', dataset_id: foreign.name, op: 'link' });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /ต้องเป็นชุดข้อมูลที่เผยแพร่แล้วของหน่วยงานนี้/);
  });
});

describe('migration 023 (last: it rebuilds the quality tables)', () => {
  test('down then up: entries written before it get a dirty row and a queued job for their first score', async () => {
    const { MIGRATION_NAMES, migrateTo, migrateToLatest } = await import('../../src/store/migrate.ts');
    const db = env.services.store.db;
    // Takes 023 (and any later migration) down, then everything back up.
    await migrateTo(db, MIGRATION_NAMES[MIGRATION_NAMES.indexOf('023_quality') - 1]!);
    await db.deleteFrom('jobs').where('queue', '=', 'quality').execute();
    await migrateToLatest(db);
    const datasets = (await db.selectFrom('datasets').select('id').execute()).length;
    const rows = await db.selectFrom('dataset_quality').selectAll().execute();
    assert.equal(rows.length, datasets);
    assert.ok(rows.every((r) => r.dirty && r.score === null));
    assert.equal((await db.selectFrom('jobs').select('id').where('queue', '=', 'quality').where('state', '=', 'queued').execute()).length, 1);
    await refreshDirty(env.services);
    assert.equal((await db.selectFrom('dataset_quality').select('dataset_id').where('dirty', '=', true).execute()).length, 0);
  });
});
