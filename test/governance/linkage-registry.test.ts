import { test, before, after, mock } from 'node:test';
import assert from 'node:assert/strict';
import { as, STORE_KIND } from '../helpers.ts';
import { grantFor } from '../../src/access/grants.ts';
import { CRITERIA, checkCriteria, scoreSheet } from '../../src/actions/governance/partners.ts';
import { fixture, agreementInput, fails, type Fixture } from './agreements-fixture.ts';

let f: Fixture;
before(async () => { f = await fixture(); });
after(() => f.env.close());

const all = (v: 0 | 1) => Object.fromEntries(CRITERIA.criteria.map((c) => [c.key, v]));
const evidence = Object.fromEntries(CRITERIA.criteria.map((c) => [c.key, `หลักฐาน ${c.key}`]));

test('P6 criteria: 14 items, weights total 100 (checked at load), pass at 60', () => {
  assert.equal(CRITERIA.criteria.length, 14);
  assert.equal(CRITERIA.criteria.reduce((s, c) => s + c.weight, 0), 100);
  assert.throws(() => checkCriteria({ ...CRITERIA, criteria: CRITERIA.criteria.slice(1) }), /weights total 85, not 100/);
  // organisation (45) + the three security items (15) = 60: passes; one fewer does not
  const sixty = { ...all(0), policy: 1, mission: 1, credible_owner: 1, certified: 1, encryption: 1, leak_prevention: 1 };
  assert.deepEqual([scoreSheet(sixty, evidence).total, scoreSheet(sixty, evidence).passed], [60, true]);
  assert.equal(scoreSheet({ ...sixty, leak_prevention: 0 }, evidence).passed, false);
});

test(`[${STORE_KIND}] partner assessment: field errors, score, current period; outbound linkage needs a passing current one`, async () => {
  const bad = await fails(as(f.env, f.people.it, 'partner_assessment_create', { organization: 'nha', partner: 'dopa', scores: { ...all(1), policy: 2, nonsense: 1 }, evidence: {}, assessed_on: '2026-02-30' }));
  const errs = { ...bad.errors };
  assert.ok(errs['scores.policy'] && errs['scores.nonsense'] && errs['evidence.mission'] && errs.assessed_on, Object.keys(errs).join());
  assert.match(errs['evidence.mission'][0].th, /หลักฐาน/);
  assert.equal((await fails(as(f.env, f.people.partner, 'partner_assessment_create', { organization: 'nha', partner: 'dopa', scores: all(0) }))).name, 'AuthorizationError');

  const linkage = { organization: 'nha', direction: 'outbound', partner: 'dopa', datasets: [], method: 'REST API ผ่าน GDX', frequency: 'daily', plan: 'ระยะที่ 1', meeting_notes: 'ประชุม 1 ธ.ค.' };
  const noAssessment = await fails(as(f.env, f.people.it, 'linkage_create', linkage));
  assert.match(noAssessment.errors.partner[0].en, /passing \(60 or more\), current assessment/);

  const fail = await as(f.env, f.people.it, 'partner_assessment_create', { organization: 'nha', partner: 'dopa', scores: { ...all(0), policy: 1 }, evidence });
  assert.deepEqual([fail.total, fail.passed, fail.current], [15, false, false]);
  assert.ok((await fails(as(f.env, f.people.it, 'linkage_create', linkage))).errors.partner);
  // an old passing assessment (past its validity period) does not count
  const old = new Date(Date.now() - 400 * 86400_000).toISOString().slice(0, 10);
  const stale = await as(f.env, f.people.it, 'partner_assessment_create', { organization: 'nha', partner: 'dopa', scores: all(1), evidence, assessed_on: old });
  assert.deepEqual([stale.total, stale.passed, stale.current], [100, true, false]);
  assert.ok((await fails(as(f.env, f.people.it, 'linkage_create', linkage))).errors.partner);

  const pass = await as(f.env, f.people.it, 'partner_assessment_create', { organization: 'nha', partner: 'dopa', scores: all(1), evidence });
  assert.equal(pass.current, true);
  assert.equal(pass.assessor_name, 'it');
  const shown = await as(f.env, f.people.committee, 'partner_assessment_show', { id: pass.id });
  assert.equal(shown.items.find((i: any) => i.key === 'credible_owner').evidence, 'หลักฐาน credible_owner');
  assert.equal((await fails(as(f.env, f.people.outsider, 'partner_assessment_show', { id: pass.id }))).name, 'NotFoundError');
  assert.equal((await as(f.env, f.people.it, 'partner_assessment_list', { current: true })).length, 1);

  const l = await as(f.env, f.people.it, 'linkage_create', linkage);
  assert.equal(l.state, 'proposed');
  assert.equal(l.assessment_id, pass.id);
  assert.match(l.number, /^LNK-/);
});

test(`[${STORE_KIND}] an assessment made early in the morning in Bangkok is dated that Bangkok day, and that day is not "in the future"`, async () => {
  // 6 December 2569, 03:00 in Bangkok: still 5 December in UTC.
  mock.timers.enable({ apis: ['Date'], now: new Date('2026-12-05T20:00:00Z') });
  try {
    const today = await as(f.env, f.people.it, 'partner_assessment_create', { organization: 'nha', partner: 'dopa', scores: all(0), evidence, assessed_on: '2026-12-06' });
    assert.equal(today.assessed_on, '2026-12-06');
    const unset = await as(f.env, f.people.it, 'partner_assessment_create', { organization: 'nha', partner: 'dopa', scores: all(0), evidence });
    assert.equal(unset.assessed_on, '2026-12-06');
    const tomorrow = await fails(as(f.env, f.people.it, 'partner_assessment_create', { organization: 'nha', partner: 'dopa', scores: all(0), evidence, assessed_on: '2026-12-07' }));
    assert.match(tomorrow.errors.assessed_on[0].th, /อนาคต/);
  } finally {
    mock.timers.reset();
  }
});

test(`[${STORE_KIND}] linkage registry: inbound linkage with its agreement; cancelling revokes the grants, updates the registry, notifies`, async () => {
  const a = await as(f.env, f.people.owner, 'agreement_create', agreementInput(f));
  await as(f.env, f.people.owner, 'agreement_transition', { id: a.id, transition: 'submit' });
  await as(f.env, f.people.committee, 'agreement_transition', { id: a.id, transition: 'approve' });
  await as(f.env, f.people.owner, 'agreement_transition', { id: a.id, transition: 'activate' });
  const bad = await fails(as(f.env, f.people.it, 'linkage_create', { organization: 'nha', direction: 'sideways', partner: 'dopa', method: '', frequency: 'hourly' }));
  assert.deepEqual(Object.keys({ ...bad.errors }).sort(), ['direction', 'frequency', 'method']);
  const l = await as(f.env, f.people.it, 'linkage_create', { organization: 'nha', direction: 'inbound', partner: 'dopa', datasets: ['tenants'], method: 'REST', frequency: 'under_20_minutes', agreement_id: a.id });
  assert.equal(l.datasets[0].name, 'tenants');
  assert.equal((await fails(as(f.env, f.people.it, 'linkage_transition', { id: l.id, transition: 'approve' }))).constructor.name, 'WorkflowForbiddenError', 'the proposer is not the committee');
  assert.equal((await as(f.env, f.people.committee, 'linkage_transition', { id: l.id, transition: 'approve' })).state, 'approved');
  assert.equal((await as(f.env, f.people.it, 'linkage_transition', { id: l.id, transition: 'activate' })).state, 'active');
  const up = await as(f.env, f.people.it, 'linkage_update', { id: l.id, meeting_notes: 'ประชุมเชิงเทคนิค ครั้งที่ 2' });
  assert.equal(up.meeting_notes, 'ประชุมเชิงเทคนิค ครั้งที่ 2');
  const reg = await as(f.env, f.people.committee, 'linkage_list', { state: 'active' });
  assert.ok(reg.some((x: any) => x.id === l.id));
  assert.equal((await as(f.env, f.people.outsider, 'linkage_list', {})).length, 0);
  assert.ok(await grantFor(f.env.services.store.db, f.people.partner, f.dataset, new Date()));

  const noGround = await fails(as(f.env, f.people.it, 'linkage_cancel', { id: l.id, reason: 'x' }));
  assert.ok({ ...noGround.errors }.ground);
  const c = await as(f.env, f.people.it, 'linkage_cancel', { id: l.id, ground: 'provider_withdraws', reason: 'ผู้ให้บริการขอยกเลิก' });
  assert.equal(c.state, 'cancelled');
  assert.equal(c.cancel_ground, 'provider_withdraws');
  assert.equal(c.revoked_grants.length, 1);
  assert.equal(await grantFor(f.env.services.store.db, f.people.partner, f.dataset, new Date()), null, 'grants stop at once');
  assert.equal((await as(f.env, f.people.owner, 'agreement_show', { id: a.id })).state, 'terminated');
  const mail = await f.env.services.store.db.selectFrom('mail_outbox').select(['to_address', 'subject']).where('subject', 'like', `%${l.number}%`).execute();
  assert.ok(mail.some((m) => m.to_address === 'owner@example.go.th' && /ยกเลิก/.test(m.subject)), JSON.stringify(mail));
  const audit = await f.env.services.store.db.selectFrom('audit_log').select('action').where('object_id', 'in', [l.id, a.id]).execute();
  assert.ok(audit.some((r) => r.action === 'linkage_cancel') && audit.some((r) => r.action === 'agreement_terminate'));
  assert.ok((await fails(as(f.env, f.people.it, 'linkage_cancel', { id: l.id, ground: 'provider_withdraws', reason: 'again' }))).errors.state);
});

test(`[${STORE_KIND}] terminating an agreement cancels its linkages in the registry`, async () => {
  const a = await as(f.env, f.people.owner, 'agreement_create', agreementInput(f));
  const l = await as(f.env, f.people.it, 'linkage_create', { organization: 'nha', direction: 'inbound', partner: 'dopa', method: 'SFTP', frequency: 'daily', agreement_id: a.id });
  await as(f.env, f.people.owner, 'agreement_terminate', { id: a.id, ground: 'purpose_not_met', reason: 'ไม่ตรงวัตถุประสงค์' });
  const shown = await as(f.env, f.people.it, 'linkage_show', { id: l.id });
  assert.equal(shown.state, 'cancelled');
  assert.equal(shown.cancel_ground, 'purpose_not_met');
});

test(`[${STORE_KIND}] case_create opens P3/P4 (process linkage) and P5 (process cancellation) through their own actions`, async () => {
  const db = f.env.services.store.db;
  const count = async () => Number((await db.selectFrom('linkages').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  const before = await count();
  const input = { process: 'linkage', organization: 'nha', direction: 'inbound', partner: 'dopa', method: 'SFTP', frequency: 'daily' };
  // The linkage's own policy decides: an outsider opens nothing.
  assert.equal((await fails(as(f.env, f.people.outsider, 'case_create', input))).name, 'AuthorizationError');
  assert.ok({ ...(await fails(as(f.env, f.people.it, 'case_create', { ...input, direction: 'sideways' }))).errors }.direction);
  assert.equal(await count(), before, 'refusals write nothing');
  const c = await as(f.env, f.people.it, 'case_create', input);
  assert.equal(c.process, 'linkage');
  assert.match(c.number, /^LNK-/);
  assert.equal(c.linkage.state, 'proposed');
  assert.equal(c.linkage.number, c.number);
  assert.deepEqual(c.next, [], 'later steps are linkage_transition\'s');
  assert.equal(await count(), before + 1);
  assert.equal((await as(f.env, f.people.it, 'case_show', { id: c.number })).state, 'proposed');

  // P5: one of linkage or agreement, a §7.2 ground and a reason, as linkage_cancel asks.
  assert.ok({ ...(await fails(as(f.env, f.people.it, 'case_create', { process: 'cancellation', ground: 'provider_withdraws', reason: 'x' }))).errors }.linkage);
  const a = await as(f.env, f.people.owner, 'agreement_create', agreementInput(f));
  assert.ok({ ...(await fails(as(f.env, f.people.it, 'case_create', { process: 'cancellation', linkage: c.linkage.id, agreement: a.id, ground: 'provider_withdraws', reason: 'x' }))).errors }.agreement);
  assert.ok({ ...(await fails(as(f.env, f.people.it, 'case_create', { process: 'cancellation', linkage: c.linkage.id, reason: 'x' }))).errors }.ground);
  const cancelled = await as(f.env, f.people.it, 'case_create', { process: 'cancellation', linkage: c.linkage.id, ground: 'provider_withdraws', reason: 'ผู้ให้บริการขอยกเลิก' });
  assert.equal(cancelled.number, c.number);
  assert.equal(cancelled.state, 'cancelled');
  assert.equal(cancelled.cancellation.cancel_ground, 'provider_withdraws');
  const ended = await as(f.env, f.people.owner, 'case_create', { process: 'cancellation', agreement: a.id, ground: 'provider_withdraws', reason: 'สิ้นสุดข้อตกลง' });
  assert.equal(ended.state, 'terminated');
  const audit = await db.selectFrom('audit_log').select('action').where('object_id', 'in', [c.linkage.id, a.id]).execute();
  assert.ok(audit.some((r) => r.action === 'linkage_cancel') && audit.some((r) => r.action === 'agreement_terminate'));
  const list = await as(f.env, f.people.it, 'workflow_list', {});
  assert.equal(list.find((p: any) => p.name === 'linkage').can_open, true);
});
