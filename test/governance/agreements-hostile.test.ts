import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { api, as, STORE_KIND } from '../helpers.ts';
import { parseRowCondition, formatRowCondition, RowConditionError } from '../../src/access/row-condition.ts';
import { fixture, agreementInput, type Fixture } from './agreements-fixture.ts';

let f: Fixture;
before(async () => { f = await fixture(); });
after(() => f.env.close());

test('row condition language: precedence, lists, quotes; refuses SQL, unknown fields, depth and size', () => {
  const c = parseRowCondition("a = 1 OR b in ('x', 'it''s') AND c != true", ['a', 'b', 'c']);
  assert.equal(formatRowCondition(c), "a = 1 OR (b in ('x', 'it''s') AND c != true)", 'AND binds tighter than OR');
  assert.equal((c as any).op, 'or');
  const bad = ["a = 1; DROP TABLE users", "a = 1 --", "a = 'x' OR 1=1", 'a', 'a =', "(a = 1", 'a < true', `${'('.repeat(20)}a = 1${')'.repeat(20)}`, 'a = 1 '.repeat(400), 'zz = 1', "a = 'x"];
  for (const s of bad) assert.throws(() => parseRowCondition(s, ['a', 'b', 'c']), RowConditionError, s.slice(0, 40));
  try { parseRowCondition('zz = 1', ['a']); } catch (e) { assert.match((e as RowConditionError).msg.th, /ไม่มีฟิลด์ "zz"/); }
});

test(`[${STORE_KIND}] hostile input to the governance actions answers 4xx, never 5xx`, async () => {
  const bodies: [string, unknown][] = [
    ['agreement_create', { ...agreementInput(f), items: 'not json' }],
    ['agreement_create', { ...agreementInput(f), items: [null, 1, 'x', { dataset: ['a'] }, { dataset: 'tenants', fields: { a: 1 } }] }],
    ['agreement_create', { ...agreementInput(f), organization: { $ne: 1 }, partner: 7, access_from: 'yesterday', frequency_count: '1e99', technology: ['rest'] }],
    ['agreement_create', { ...agreementInput(f), items: [{ dataset: 'tenants', fields: ['name'], row_condition: { field: 'name' } }] }],
    ['agreement_show', { id: "' OR 1=1 --" }], ['agreement_show', { id: ['x'] }], ['agreement_update', { id: '00000000-0000-0000-0000-000000000000' }],
    ['agreement_transition', { id: 'AGR-2569-999999', transition: 'approve' }], ['agreement_terminate', { id: 5 }],
    ['agreement_list', { partner: 'nha', limit: -1 }], ['grant_list', { agreement_id: 'x', expiring_within_days: 'soon' }],
    ['partner_assessment_create', { organization: 'nha', partner: 'dopa', scores: [1, 0], evidence: 'x' }], ['partner_assessment_show', { id: 1 }],
    ['linkage_create', { organization: 'nha', direction: 'inbound', partner: 'dopa', datasets: { a: 1 }, method: ['x'], frequency: 'daily', agreement_id: 'nope' }],
    ['linkage_list', { direction: 'up', frequency: 3 }], ['linkage_show', { id: null }], ['linkage_cancel', { id: 'LNK-1', ground: 'x' }],
    ['kpi_report', { from: 'never', expiring_within_days: 99999999 }],
  ];
  for (const [action, body] of bodies) {
    const r = await api(f.env, action, body, { token: f.tokens.it });
    assert.ok(r.status >= 400 && r.status < 500, `${action} ${JSON.stringify(body).slice(0, 120)} → ${r.status} ${r.res.body.slice(0, 300)}`);
  }
  // the anonymous caller learns nothing
  for (const action of ['agreement_list', 'grant_list', 'linkage_list', 'partner_assessment_list', 'kpi_report']) assert.equal((await api(f.env, action, {})).status, 403, action);
});

test(`[${STORE_KIND}] an access window on a day the calendar does not have is a field error, not the next month`, async () => {
  for (const [k, v] of [['access_to', '2099-02-30'], ['access_from', '2026-04-31T08:00:00Z']] as const) {
    const r = await api(f.env, 'agreement_create', agreementInput(f, { [k]: v }), { token: f.tokens.owner });
    assert.equal(r.status, 409, `${k}=${v} → ${r.status}`);
    assert.ok(r.json.error[k], JSON.stringify(r.json.error));
  }
});

test(`[${STORE_KIND}] an agreement's lifecycle case is stepped only by the agreement actions: case_transition cannot end it without P5`, async () => {
  const a = await as(f.env, f.people.owner, 'agreement_create', agreementInput(f));
  await as(f.env, f.people.owner, 'agreement_transition', { id: a.id, transition: 'submit' });
  await as(f.env, f.people.committee, 'agreement_transition', { id: a.id, transition: 'approve' });
  await as(f.env, f.people.owner, 'agreement_transition', { id: a.id, transition: 'activate' });
  // Terminating through the generic step skipped the ground, the grant revocation, linkages, the partner's mail and the agreement's audit row.
  await assert.rejects(as(f.env, f.people.owner, 'case_transition', { id: a.lifecycle_case_id, transition: 'terminate', reason: 'ไม่ใช้แล้ว' }), (e: any) => e.name === 'ValidationError' && /agreement_terminate/.test(e.errors.process[0].en));
  const shown = await as(f.env, f.people.owner, 'case_show', { id: a.lifecycle_case_id });
  assert.equal(shown.state, 'active');
  assert.deepEqual(shown.next, [], 'the case page offers no step the agreement pages own');
  const grants = await f.env.services.store.db.selectFrom('dataset_grants').select('revoked_at').where('agreement_id', '=', a.id).execute();
  assert.ok(grants.length && grants.every((g) => g.revoked_at === null));
});
