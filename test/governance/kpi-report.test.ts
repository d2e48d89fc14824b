import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { as, STORE_KIND } from '../helpers.ts';
import { percentile } from '../../src/actions/governance/kpi.ts';
import { fixture, agreementInput, fails, type Fixture } from './agreements-fixture.ts';

let f: Fixture;
before(async () => { f = await fixture(); });
after(() => f.env.close());

test('nearest-rank percentiles', () => {
  assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50), 5);
  assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90), 9);
  assert.equal(percentile([], 90), 0);
});

test(`[${STORE_KIND}] kpi_report: time in each step from case events, linkages by status, grants expiring soon, CSV`, async () => {
  const a = await as(f.env, f.people.owner, 'agreement_create', agreementInput(f, { access_to: new Date(Date.now() + 5 * 86400_000).toISOString() }));
  await as(f.env, f.people.owner, 'agreement_transition', { id: a.id, transition: 'submit' });
  await as(f.env, f.people.committee, 'agreement_transition', { id: a.id, transition: 'approve' });
  await as(f.env, f.people.owner, 'agreement_transition', { id: a.id, transition: 'activate' });
  // Known durations: the approval step took 2 h and 10 h in two cases (event times set directly).
  const ev = await f.env.services.store.db.selectFrom('case_events').select(['case_id', 'seq']).where('case_id', '=', a.lifecycle_case_id).orderBy('seq').execute();
  const t0 = Date.parse('2026-01-05T00:00:00Z');
  for (const [i, e] of ev.entries()) await f.env.services.store.db.updateTable('case_events').set({ at: new Date(t0 + [0, 1, 3, 4][i]! * 3600_000) }).where('case_id', '=', e.case_id).where('seq', '=', e.seq).execute();
  await as(f.env, f.people.it, 'linkage_create', { organization: 'nha', direction: 'inbound', partner: 'dopa', method: 'REST', frequency: 'daily', agreement_id: a.id });
  const r = await as(f.env, f.people.committee, 'kpi_report', { expiring_within_days: 10 });
  const step = r.time_in_step.find((x: any) => x.process === 'agreement' && x.state === 'approval');
  assert.deepEqual([step.count, step.median_hours, step.p90_hours], [1, 2, 2]);
  assert.equal(r.linkages_by_status.find((x: any) => x.state === 'proposed').count, 1);
  assert.equal(r.grants_expiring.length, 1);
  assert.equal(r.grants_expiring[0].agreement_number, a.number);
  assert.equal((await as(f.env, f.people.committee, 'kpi_report', { expiring_within_days: 1 })).grants_expiring.length, 0);
  const csv = await as(f.env, f.people.committee, 'kpi_report', { format: 'csv' });
  assert.match(csv.csv, /time_in_step,agreement,approval,รออนุมัติ,Awaiting approval,1,2,2/);
  assert.equal((await fails(as(f.env, f.people.partner, 'kpi_report', {}))).name, 'AuthorizationError');
  assert.ok({ ...(await fails(as(f.env, f.people.committee, 'kpi_report', { format: 'xml', from: 'yesterday' }))).errors }.format);
});

test(`[${STORE_KIND}] kpi_report's from/to days are whole Bangkok days: a case filed at 06:00 in Bangkok counts on that day`, async () => {
  const a = await as(f.env, f.people.owner, 'agreement_create', agreementInput(f));
  await as(f.env, f.people.owner, 'agreement_transition', { id: a.id, transition: 'submit' });
  // 3 March 2026, 06:00 in Bangkok: still 2 March in UTC.
  await f.env.services.store.db.updateTable('cases').set({ created: new Date('2026-03-02T23:00:00Z') }).where('id', '=', a.lifecycle_case_id).execute();
  const day = await as(f.env, f.people.committee, 'kpi_report', { from: '2026-03-03', to: '2026-03-03' });
  assert.ok(day.time_in_step.some((x: any) => x.process === 'agreement'), JSON.stringify(day.time_in_step));
  const before = await as(f.env, f.people.committee, 'kpi_report', { from: '2026-03-02', to: '2026-03-02' });
  assert.ok(!before.time_in_step.some((x: any) => x.process === 'agreement'), 'not on the UTC day before');
});

test(`[${STORE_KIND}] kpi_report counts only the cases the caller could open: a legal officer sees no data-subject request`, async () => {
  const sub = await as(f.env, f.people.partner, 'case_create', { process: 'subject_request', organization: 'nha', inputs: { subject_name: 'นางสาวสมหญิง ใจดี', email: 'somying@example.com', details: 'ขอสำเนาข้อมูลของข้าพเจ้า' } });
  const counted = (r: any) => r.requests_by_outcome.filter((x: any) => x.process === 'subject_request').reduce((n: number, x: any) => n + x.count, 0);
  // The legal officer (a duty the agreement process names, not the subject-request one) may not open it…
  await assert.rejects(as(f.env, f.people.legal, 'case_show', { id: sub.id }), { name: 'NotFoundError' });
  assert.equal((await as(f.env, f.people.legal, 'case_list', { process: 'subject_request' })).count, 0);
  // …so the KPI report does not count it for them either; the IT officer, who handles it, does.
  assert.equal(counted(await as(f.env, f.people.legal, 'kpi_report', {})), 0);
  assert.equal(counted(await as(f.env, f.people.it, 'kpi_report', {})), 1);
});
