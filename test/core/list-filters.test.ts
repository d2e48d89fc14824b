import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { testEnv, makeUser, makeOrg, sys, type TestEnv } from './../helpers.ts';

/**
 * A list filter sent twice (?state=a&state=b) or as a JSON array is refused with a field error on
 * that field: before, several list actions dropped it and answered the unfiltered list.
 */
let env: TestEnv;
let token = '';
let orgId = '';
let sourceId = '';

before(async () => {
  env = await testEnv();
  const org = await makeOrg(env, 'lf-org');
  orgId = org.id;
  token = (await makeUser(env, 'lf-admin', { sysadmin: true })).token;
  sourceId = (await sys(env, 'harvest_source_create', { name: 'lf-src', url: 'http://127.0.0.1:9/api', source_type: 'ckan', owner_org: 'lf-org' })).id;
});
after(async () => env.close());

async function get(action: string, qs: string) {
  const res = await env.app.inject({ method: 'GET', url: `/api/3/action/${action}?${qs}`, headers: { authorization: token } });
  return { status: res.statusCode, json: res.json() };
}
async function post(action: string, body: unknown) {
  const res = await env.app.inject({ method: 'POST', url: `/api/3/action/${action}`, headers: { authorization: token, 'content-type': 'application/json' }, payload: JSON.stringify(body) });
  return { status: res.statusCode, json: res.json() };
}

// action, filter field, other input the action needs
const CASES: Array<[string, string, Record<string, string>]> = [
  ['case_list', 'state', {}],
  ['case_list', 'process', {}],
  ['agreement_list', 'state', {}],
  ['linkage_list', 'state', {}],
  ['grant_list', 'usable', {}],
  ['duty_list', 'role', { id: 'lf-org' }],
  ['policy_document_list', 'organization', {}],
  ['exchange_item_list', 'group', {}],
  ['exchange_item_list', 'state', {}],
  ['exchange_item_list', 'q', {}],
  ['monitor_dashboard', 'state', {}],
  ['harvest_job_list', 'status', { id: 'lf-src' }],
  ['audit_search', 'action', {}],
  ['audit_search', 'actor', {}],
  ['audit_search', 'q', {}],
  ['registration_list', 'state', {}],
  ['registration_list', 'site_url', {}],
  ['registration_list', 'q', {}],
  ['registry_agency_list', 'q', {}],
  ['registry_agency_list', 'status', {}],
  ['organization_quality_list', 'sort', { id: 'lf-org' }],
  ['member_list', 'capacity', { id: 'lf-org', object_type: 'user' }],
  ['user_list', 'q', {}],
  ['user_list', 'order_by', {}],
];

test('a repeated query filter is a field error, never ignored', async () => {
  for (const [action, field, extra] of CASES) {
    const qs = new URLSearchParams(extra);
    qs.append(field, 'a');
    qs.append(field, 'b');
    const r = await get(action, qs.toString());
    assert.equal(r.status, 409, `${action} ?${field}=a&${field}=b answered ${r.status} ${JSON.stringify(r.json).slice(0, 200)}`);
    assert.equal(r.json.success, false);
    assert.ok(r.json.error[field], `${action}: the error names ${field}: ${JSON.stringify(r.json.error)}`);
  }
});

test('a JSON array or object as a filter is a field error', async () => {
  for (const [action, field, extra] of CASES) {
    for (const bad of [['a', 'b'], { x: 1 }]) {
      const r = await post(action, { ...extra, [field]: bad });
      assert.equal(r.status, 409, `${action} ${field}=${JSON.stringify(bad)} answered ${r.status}`);
      assert.ok(r.json.error[field], `${action}: the error names ${field}`);
    }
  }
});

test('one value still filters, and none lists everything', async () => {
  assert.equal((await get('case_list', 'state=draft')).status, 200);
  assert.equal((await get('grant_list', 'usable=true')).status, 200);
  assert.equal((await get('duty_list', 'id=lf-org&role=')).status, 200);
  assert.equal((await get('harvest_job_list', `id=${sourceId}&status=new`)).status, 200);
  assert.equal((await get('audit_search', 'action=user_*')).status, 200);
});

test('harvest_job_list: a negative or fractional limit is a field error, not a 500', async () => {
  for (const limit of ['-1', '0.5', 'abc']) {
    const r = await get('harvest_job_list', `id=lf-src&limit=${limit}`);
    assert.equal(r.status, 409, `limit=${limit} answered ${r.status}`);
    assert.ok(r.json.error.limit);
  }
});
