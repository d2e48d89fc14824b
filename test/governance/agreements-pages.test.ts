import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { as, STORE_KIND } from '../helpers.ts';
import { PageClient } from '../web/client.ts';
import { agreementInput, fixture, type Fixture } from './agreements-fixture.ts';
import { CRITERIA } from '../../src/actions/governance/partners.ts';

let f: Fixture;
before(async () => { f = await fixture({ web: true }); });
after(() => f.env.close());

const day = (d: number) => new Date(Date.now() + d * 86400_000).toISOString().slice(0, 10);

test(`[${STORE_KIND}] pages without JavaScript: draft an agreement with a consent letter, field errors in Thai, approve, registry, KPI`, async () => {
  const owner = new PageClient(f.env.app);
  assert.equal((await owner.signIn('owner', 'correct horse battery')).statusCode, 303);
  assert.equal((await owner.get('/governance/agreements/new')).statusCode, 200);
  const fields = {
    kind: 'agreement', organization: 'nha', partner: 'dopa', title: 'ข้อตกลงหน้าเว็บ', purpose: 'ตรวจสิทธิ', scope_of_use: 'งานทะเบียน', access_from: day(-1), access_to: day(20),
    frequency_unit: 'deliveries_per_month', frequency_count: '2', service_level: 'ในเวลาราชการ', period_of_use: '1 ปี', technology: 'file_transfer', legal_basis: '',
    dataset: 'tenants', fields: 'name, nickname', row_condition: "province = 'เชียงใหม่'",
  };
  const bad = await owner.postFile('/governance/agreements/new', fields, null);
  assert.equal(bad.statusCode, 409);
  assert.match(bad.body, /ไม่มีฟิลด์ &quot;nickname&quot; ในพจนานุกรมข้อมูล/);
  assert.match(bad.body, /ต้องระบุฐานทางกฎหมาย หรือแนบหนังสือแสดงความยินยอม/);
  assert.match(bad.body, /value="ข้อตกลงหน้าเว็บ"/, 'the form keeps what was typed');
  const ok = await owner.postFile('/governance/agreements/new', { ...fields, fields: 'name, province' }, { name: 'consent.pdf', content: '%PDF-1.4 consent', type: 'application/pdf' });
  assert.equal(ok.statusCode, 303, ok.body.slice(0, 2000));
  const detail = await owner.follow();
  assert.equal(detail.statusCode, 200);
  assert.match(detail.body, /AGR-25\d\d-\d{6}/);
  assert.match(detail.body, /<svg/);
  assert.match(detail.body, /consent\.pdf/);
  const id = /\/governance\/agreements\/([0-9a-f-]{36})/.exec(String(ok.headers.location))![1]!;
  const letter = await owner.get(`/governance/agreements/${id}/legal-file`);
  assert.equal(letter.statusCode, 200);
  assert.equal(letter.body, '%PDF-1.4 consent');
  assert.match(String(letter.headers['content-disposition']), /^attachment;/);
  assert.equal(letter.headers['content-type'], 'application/octet-stream');
  const outsider = new PageClient(f.env.app);
  await outsider.signIn('outsider', 'correct horse battery');
  assert.equal((await outsider.get(`/governance/agreements/${id}/legal-file`)).statusCode, 404);
  await owner.get(`/governance/agreements/${id}`);
  await owner.post(`/governance/agreements/${id}/step`, { transition: 'submit', reason: '' });
  assert.equal(owner.last!.statusCode, 303);

  const committee = new PageClient(f.env.app);
  await committee.signIn('committee', 'correct horse battery');
  const page = await committee.get(`/governance/agreements/${id}`);
  assert.match(page.body, /อนุมัติสัญญา\/ข้อตกลง/);
  await committee.post(`/governance/agreements/${id}/step`, { transition: 'approve', reason: '' });
  assert.equal(committee.last!.statusCode, 303);
  assert.match((await committee.follow()).body, /อนุมัติแล้ว/);

  const it = new PageClient(f.env.app);
  await it.signIn('it', 'correct horse battery');
  await it.get('/governance/partners/new');
  const sheet: Record<string, string> = { organization: 'nha', partner: 'dopa' };
  for (const c of CRITERIA.criteria) { sheet[`score_${c.key}`] = '1'; sheet[`evidence_${c.key}`] = `เอกสาร ${c.key}`; }
  await it.post('/governance/partners/new', sheet);
  assert.equal(it.last!.statusCode, 303, it.last!.body.slice(0, 1500));
  assert.match((await it.follow()).body, /100<\/strong> \/ 100/);
  await it.get('/governance/linkages/new');
  await it.post('/governance/linkages/new', { organization: 'nha', direction: 'outbound', partner: 'dopa', datasets: '', method: 'REST', frequency: 'daily', plan: 'แผน', meeting_notes: '', agreement_id: '' });
  assert.equal(it.last!.statusCode, 303, it.last!.body.slice(0, 1500));
  const reg = await it.get('/governance/linkages');
  assert.match(reg.body, /LNK-25\d\d-\d{6}/);
  assert.match(reg.body, /รายวัน/);
  const kpi = await committee.get('/governance/kpi');
  assert.equal(kpi.statusCode, 200);
  assert.match(kpi.body, /<svg[^>]+role="img"/);
  assert.match(kpi.body, /การเชื่อมโยงจำแนกตามสถานะ/);
  assert.match(kpi.body, /<form method="get" action="\/governance\/kpi"[\s\S]*?name="from"[\s\S]*?name="to"/, 'the period can be chosen without JavaScript');
  assert.match((await committee.get('/governance/kpi?from=2026-01-01&to=2026-12-31')).body, /value="2026-12-31"/);
  // Processes by their Thai names and dates in the Buddhist era, never keys or ISO timestamps.
  const kpiText = kpi.body.replace(/<[^>]+>/g, '\n');
  assert.doesNotMatch(kpiText, /\d{4}-\d\d-\d\dT|^\s*(agreement|linkage|information_request)\s*$|\b(agreement|linkage): /m, kpiText.slice(0, 3000));
  const csv = await committee.get('/governance/kpi.csv');
  assert.equal(csv.statusCode, 200);
  assert.match(String(csv.headers['content-type']), /text\/csv/);
  assert.match(csv.body, /linkages_by_status,linkage,proposed,เสนอ,Proposed,1/);
  // an anonymous visitor gets the sign-in refusal, not the data
  const anon = new PageClient(f.env.app);
  assert.equal((await anon.get(`/governance/agreements/${id}`)).statusCode, 404);
  assert.equal((await anon.get('/governance/kpi')).statusCode, 403);
});

test(`[${STORE_KIND}] Thai pages of agreements, linkages and partner scores: Buddhist-era dates and the process's own step and state names`, async () => {
  const a = await as(f.env, f.people.owner, 'agreement_create', agreementInput(f, { access_from: '2026-03-01T05:00:00Z', access_to: '2099-02-28T05:00:00Z', title: 'ข้อตกลงวันที่ไทย' }));
  await as(f.env, f.people.owner, 'agreement_transition', { id: a.id, transition: 'submit', reason: '' });
  const owner = new PageClient(f.env.app);
  await owner.signIn('owner', 'correct horse battery');
  const detail = (await owner.get(`/governance/agreements/${a.id}`)).body;
  assert.match(detail, /1 มีนาคม 2569/, 'the access window in the Buddhist era');
  assert.match(detail, /28 กุมภาพันธ์ 2642/);
  assert.doesNotMatch(detail, />[^<]*(2026-03-01|2099-02-28)/, `no Gregorian ISO dates on a Thai page: ${/.{200}(2026-03-01|2099-02-28).{100}/.exec(detail)?.[0]}`);
  const timeline = /<ol class="timeline">([\s\S]*?)<\/ol>/.exec(detail)![1]!;
  assert.doesNotMatch(timeline, /→ (draft|legal_review|approval)\b|: (create|submit) →/, `the timeline shows the definition's keys: ${timeline}`);
  assert.match(timeline, /2569/);
  const list = (await owner.get('/governance/agreements')).body;
  assert.match(list, /1 มีนาคม 2569/);
  assert.doesNotMatch(list, />[^<]*2026-03-01/);

  await as(f.env, f.people.it, 'partner_assessment_create', { organization: 'nha', partner: 'dopa', assessed_on: '2026-03-02', scores: Object.fromEntries(CRITERIA.criteria.map((c) => [c.key, 1])), evidence: Object.fromEntries(CRITERIA.criteria.map((c) => [c.key, 'หลักฐาน'])) });
  const it = new PageClient(f.env.app);
  await it.signIn('it', 'correct horse battery');
  const partners = (await it.get('/governance/partners')).body;
  assert.match(partners, /2 มีนาคม 2569/);
  assert.doesNotMatch(partners, />[^<]*\d{4}-\d\d-\d\d[^<]*</);
});

test(`[${STORE_KIND}] an access window given as days is whole Bangkok days: from midnight of the first to the end of the last, shown and edited as those days`, async () => {
  const a = await as(f.env, f.people.owner, 'agreement_create', agreementInput(f, { access_from: '2098-12-01', access_to: '2098-12-31', title: 'ข้อตกลงทั้งวัน' }));
  assert.equal(a.access_from, '2098-11-30T17:00:00.000Z', 'starts at 00:00 on 1 December in Bangkok');
  assert.equal(a.access_to, '2098-12-31T17:00:00.000Z', 'runs through 31 December in Bangkok');
  const one = await as(f.env, f.people.owner, 'agreement_create', agreementInput(f, { access_from: '2098-12-01', access_to: '2098-12-01', title: 'ข้อตกลงวันเดียว' }));
  assert.equal(Date.parse(one.access_to) - Date.parse(one.access_from), 86400_000, 'a one-day window is one day, not refused');
  const owner = new PageClient(f.env.app);
  await owner.signIn('owner', 'correct horse battery');
  const detail = (await owner.get(`/governance/agreements/${a.id}`)).body;
  assert.match(detail, /1 ธันวาคม 2641<\/time> – <time[^>]*>31 ธันวาคม 2641</);
  const edit = (await owner.get(`/governance/agreements/${a.id}/edit`)).body;
  assert.match(edit, /name="access_from" type="date" value="2098-12-01"/);
  assert.match(edit, /name="access_to" type="date" value="2098-12-31"/);
});
