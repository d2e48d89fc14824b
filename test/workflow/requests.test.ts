import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import pg from 'pg';
import { testEnv, STORE_KIND, type TestEnv } from '../helpers.ts';
import { loadWorkflows } from '../../src/workflow/engine.ts';
import { TransitionNotAllowedError, WorkflowForbiddenError } from '../../src/workflow/errors.ts';
import { ValidationError } from '../../src/actions/errors.ts';
import type { WorkflowActor } from '../../src/workflow/types.ts';
import { person, tx, failure } from './helpers.ts';

const wf = loadWorkflows();
let env: TestEnv;
let requester: WorkflowActor, it: WorkflowActor, owner: WorkflowActor, cdo: WorkflowActor, cdo2: WorkflowActor, dpo: WorkflowActor, committee: WorkflowActor, ownerCdo: WorkflowActor;

before(async () => {
  env = await testEnv();
  requester = await person(env, 'requester', ['requester']);
  it = await person(env, 'it', ['it_officer']);
  owner = await person(env, 'owner', ['data_owner']);
  cdo = await person(env, 'cdo', ['cdo']);
  cdo2 = await person(env, 'cdo2', ['cdo']);
  dpo = await person(env, 'dpo', ['dpo']);
  committee = await person(env, 'committee', ['governance_committee']);
  ownerCdo = await person(env, 'owner-cdo', ['data_owner', 'cdo']);
});
after(() => env.close());

const part1 = {
  requester_name: 'นางสาวสมหญิง ใจดี', requester_kind: 'government', agency: 'กรมการปกครอง', position: 'นักวิเคราะห์นโยบายและแผน',
  email: 'somying@dopa.go.th', phone: '02-123-4567', legal_basis: 'พ.ร.บ. การบริหารงานและการให้บริการภาครัฐผ่านระบบดิจิทัล พ.ศ. 2562 มาตรา 13',
  purpose: 'ตรวจสอบสิทธิที่อยู่อาศัย', datasets: ['ทะเบียนผู้เช่า'], fields: ['เลขที่สัญญา', 'โครงการ'], period_from: '2025-01-01', period_to: '2025-12-31',
  frequency: 'monthly', format: 'CSV', technology: 'rest',
};
const open = (facts: Record<string, unknown> = {}, inputs: Record<string, unknown> = part1) => tx(env, (t) => wf.create(t, requester, 'information_request', { inputs, facts }));
const step = (who: WorkflowActor, id: string, name: string, opts: Record<string, unknown> = {}) => tx(env, (t) => wf.transition(t, who, id, name, opts));
const analysed = async (category?: string) => {
  const { case: c } = await open(category ? {} : {});
  await step(it, c.id, 'approve');
  await step(owner, c.id, 'analyse', { inputs: { analysis: 'มีข้อมูลครบ เปิดเผยได้ตามเงื่อนไข', data_available: 'yes', ...(category ? { category } : {}) } });
  return c;
};
const exchange = { result: 'ส่งข้อมูลผ่าน API แล้ว', delivered_on: '2026-12-01', records_count: 1520, method: 'rest' };

test(`[${STORE_KIND}] P2 general data: part 1 → IT receipt → owner analysis and approval → CDO → IT part 4 → completed`, async () => {
  const { case: c, notify } = await open();
  assert.match(c.number, /^REQ-25\d\d-\d{6}$/);
  assert.equal(c.state, 'it_check');
  assert.deepEqual(notify, ['it_officer']);
  assert.equal(c.facts.agency, 'กรมการปกครอง', 'part 1 is kept on the case');
  await step(it, c.id, 'approve', { inputs: { receipt_note: 'ลงรับแล้ว' } });
  const missing = await failure(step(owner, c.id, 'analyse', { inputs: { data_available: 'maybe' } }));
  assert.ok(missing instanceof ValidationError);
  assert.match(missing.errors.analysis[0].th, /ผลการวิเคราะห์: ต้องระบุ/);
  assert.match(missing.errors.data_available[0].en, /must be one of yes, partial, no/);
  assert.match(missing.errors.category[0].en, /Data class \(rule 6\): is required/, 'the class is asked for while unknown');
  await step(owner, c.id, 'analyse', { inputs: { analysis: 'เปิดเผยได้', data_available: 'yes', category: 'general' } });
  assert.equal((await step(owner, c.id, 'approve')).case.state, 'cdo_decision');
  assert.equal((await step(cdo, c.id, 'approve')).case.state, 'exchange');
  const bad = await failure(step(it, c.id, 'record_exchange', { inputs: { ...exchange, records_count: -1, delivered_on: '2026-02-30' } }));
  assert.ok(bad.errors.records_count && bad.errors.delivered_on);
  const done = await step(it, c.id, 'record_exchange', { inputs: exchange });
  assert.equal(done.case.state, 'completed');
  assert.ok(done.notify.includes('creator') && done.notify.includes('data_owner'));
});

test(`[${STORE_KIND}] P2 rule 6: confidential → committee, personal → CDO then DPO, both → committee then DPO`, async () => {
  for (const [category, path] of [
    ['confidential', ['committee_decision', 'exchange']],
    ['security', ['committee_decision', 'exchange']],
    ['important', ['committee_decision', 'exchange']],
    ['personal', ['cdo_decision', 'dpo_decision', 'exchange']],
  ] as const) {
    const c = await analysed(category);
    const seen: string[] = [];
    let state = (await step(owner, c.id, 'approve')).case.state;
    seen.push(state);
    while (state !== 'exchange') {
      const who = state === 'cdo_decision' ? cdo : state === 'committee_decision' ? committee : dpo;
      state = (await step(who, c.id, 'approve')).case.state;
      seen.push(state);
    }
    assert.deepEqual(seen, path, category);
  }
  // The wiring may set a list of classes from several datasets: the strictest routes apply.
  const { case: c } = await open({ category: ['general', 'confidential', 'personal'] });
  await step(it, c.id, 'approve');
  await step(owner, c.id, 'analyse', { inputs: { analysis: 'หลายชุดข้อมูล', data_available: 'partial' } });
  assert.equal((await step(owner, c.id, 'approve')).case.state, 'committee_decision');
  assert.equal((await step(committee, c.id, 'approve')).case.state, 'dpo_decision');
  assert.equal((await step(dpo, c.id, 'approve')).case.state, 'exchange');
});

test(`[${STORE_KIND}] P2 every rejection path, return for completion and withdrawal`, async () => {
  const { case: a } = await open();
  assert.ok((await failure(step(it, a.id, 'reject'))).errors.reason, 'returning needs a reason');
  assert.equal((await step(it, a.id, 'reject', { reason: 'ไม่ได้ระบุฐานทางกฎหมาย' })).case.state, 'incomplete');
  const resub = await failure(step(requester, a.id, 'resubmit', { inputs: { ...part1, email: 'not-an-email' } }));
  assert.match(resub.errors.email[0].th, /รูปแบบอีเมลไม่ถูกต้อง/);
  assert.equal((await step(requester, a.id, 'resubmit', { inputs: { ...part1, purpose: 'ปรับปรุงแล้ว' } })).case.facts.purpose, 'ปรับปรุงแล้ว');
  assert.equal((await step(requester, a.id, 'withdraw')).case.state, 'withdrawn');
  const other = await open();
  assert.ok((await failure(step(owner, other.case.id, 'withdraw'))) instanceof WorkflowForbiddenError, 'only the requester withdraws');
  for (const [category, who, at] of [['general', owner, 'owner_approval'], ['general', cdo, 'cdo_decision'], ['confidential', committee, 'committee_decision'], ['personal', dpo, 'dpo_decision']] as const) {
    const c = await analysed(category);
    let state = 'owner_approval';
    while (state !== at) state = (await step(state === 'owner_approval' ? owner : cdo, c.id, 'approve')).case.state;
    const r = await step(who, c.id, 'reject', { reason: 'ไม่เข้าเงื่อนไขการเปิดเผย' });
    assert.equal(r.case.state, 'rejected', at);
    assert.ok(r.notify.includes('creator'));
  }
});

test(`[${STORE_KIND}] P2 the owner who approved may not also decide as CDO; part 1 field errors in both languages`, async () => {
  const { case: c } = await open();
  await step(it, c.id, 'approve');
  await step(ownerCdo, c.id, 'analyse', { inputs: { analysis: 'ok', data_available: 'yes', category: 'general' } });
  await step(ownerCdo, c.id, 'approve');
  const e = await failure(step(ownerCdo, c.id, 'approve'));
  assert.ok(e instanceof WorkflowForbiddenError);
  const bad = await failure(open({}, { ...part1, datasets: [], frequency: 'hourly', phone: 'call me', period_to: 'tomorrow' }));
  assert.match(bad.errors.datasets[0].th, /ชุดข้อมูลที่ต้องการ: ต้องระบุ/);
  assert.match(bad.errors.frequency[0].en, /must be one of/);
  assert.match(bad.errors.phone[0].en, /only digits/);
  assert.match(bad.errors.period_to[0].th, /ปปปป-ดด-วว/);
  assert.ok(!('requester_name' in bad.errors));
  assert.ok((await failure(tx(env, (t) => wf.create(t, it, 'information_request', { inputs: part1 })))) instanceof WorkflowForbiddenError);
});

test(`[${STORE_KIND}] data-subject request: identity verified (ID card with check digit, officer named) before disclosure`, async () => {
  const mk = () => tx(env, (t) => wf.create(t, requester, 'subject_request', { inputs: { subject_name: 'นายสมชาย รักดี', email: 'somchai@example.com', details: 'ข้อมูลสัญญาเช่าของข้าพเจ้า' } }));
  const { case: c } = await mk();
  assert.match(c.number, /^DSR-/);
  const noId = await failure(step(it, c.id, 'approve', { inputs: { verification_method: 'id_card' } }));
  assert.ok(noId.errors.national_id && noId.errors.officer_name);
  const badId = await failure(step(it, c.id, 'approve', { inputs: { verification_method: 'id_card', national_id: '1101700230705', officer_name: 'นายตรวจ' } }));
  assert.match(badId.errors.national_id[0].th, /หลักตรวจสอบ/);
  await step(it, c.id, 'approve', { inputs: { verification_method: 'id_card', national_id: '1-1017-00230-70-8', officer_name: 'นายตรวจ บัตรดี' } });
  await step(owner, c.id, 'prepare', { inputs: { datasets: ['ทะเบียนผู้เช่า'], fields: ['ชื่อ', 'เลขที่สัญญา'], records_count: 3 } });
  assert.equal((await step(dpo, c.id, 'approve')).case.state, 'delivery');
  assert.equal((await step(it, c.id, 'deliver', { inputs: { link_expires_on: '2026-12-08' } })).case.state, 'delivered');
  const ev = (await tx(env, (t) => wf.show(t, dpo, c.id))).events[1]!;
  assert.equal(ev.inputs.national_id, '1-xxxx-xxxxx-70-8', 'checked in full, recorded masked');
  assert.equal(ev.inputs.officer_name, 'นายตรวจ บัตรดี');

  const { case: d } = await mk();
  await step(dpo, d.id, 'approve', { inputs: { verification_method: 'digital_id', digital_id_subject: 'sub-123' } });
  await step(owner, d.id, 'prepare', { inputs: { datasets: ['x'], records_count: 0 } });
  assert.equal((await step(dpo, d.id, 'reject', { reason: 'ไม่พบข้อมูล' })).case.state, 'rejected');
  const { case: e } = await mk();
  assert.equal((await step(it, e.id, 'reject', { reason: 'ยืนยันตัวตนไม่ได้' })).case.state, 'rejected');
  const { case: f } = await mk();
  assert.equal((await step(requester, f.id, 'withdraw')).case.state, 'withdrawn');
});

test(`[${STORE_KIND}] two approvers at once: exactly one wins, the other gets 409 with what is left`, async () => {
  for (let round = 0; round < 3; round++) {
    const c = await analysed('general');
    await step(owner, c.id, 'approve');
    const results = await Promise.allSettled([step(cdo, c.id, 'approve'), step(cdo2, c.id, 'approve')]);
    const ok = results.filter((r) => r.status === 'fulfilled');
    const ko = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    assert.equal(ok.length, 1);
    assert.equal(ko.length, 1);
    assert.ok(ko[0]!.reason instanceof TransitionNotAllowedError, String(ko[0]!.reason));
    const v = await tx(env, (t) => wf.show(t, cdo, c.id));
    assert.equal(v.events.filter((e) => e.from_state === 'cdo_decision').length, 1);
  }
});

test(`[${STORE_KIND}] the database refuses a second event with the same sequence number`, async () => {
  const { case: c } = await open();
  await assert.rejects(sql`INSERT INTO case_events (case_id, seq, transition, to_state) VALUES (${c.id}, 1, 'approve', 'owner_analysis')`.execute(env.services.store.db));
});

test(`[${STORE_KIND}] concurrent case numbers never collide`, async () => {
  const made = await Promise.all(Array.from({ length: 8 }, () => open()));
  const numbers = new Set(made.map((m) => m.case.number));
  assert.equal(numbers.size, 8);
});

test(`[${STORE_KIND}] PostgreSQL: the second approver's transaction waits on the row lock, then loses`, { skip: STORE_KIND !== 'postgres' && 'needs a PostgreSQL server (PGlite has one connection)' }, async () => {
  const c = await analysed('general');
  await step(owner, c.id, 'approve');
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  const db = env.services.store.db;
  // T1 takes the step and keeps its transaction open until T2 is seen waiting for the lock.
  const t1 = db.transaction().execute(async (t) => {
    const r = await wf.transition(t, cdo, c.id, 'approve');
    await held;
    return r;
  });
  await new Promise((r) => setTimeout(r, 50));
  const t2 = step(cdo2, c.id, 'approve');
  const url = (env.config.databaseUrl);
  const watcher = new pg.Client({ connectionString: url });
  await watcher.connect();
  let waited = false;
  for (let i = 0; i < 100 && !waited; i++) {
    const r = await watcher.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`);
    waited = r.rows[0].n > 0;
    if (!waited) await new Promise((r) => setTimeout(r, 20));
  }
  await watcher.end();
  assert.ok(waited, 'T2 blocked on the case row');
  release();
  const [r1, r2] = await Promise.allSettled([t1, t2]);
  assert.equal(r1.status, 'fulfilled');
  assert.equal(r2.status, 'rejected');
  const err = (r2 as PromiseRejectedResult).reason;
  assert.ok(err instanceof TransitionNotAllowedError);
  assert.equal(err.state, 'exchange');
  assert.deepEqual(err.next, [], 'a CDO has nothing left to do at the exchange step');
});
