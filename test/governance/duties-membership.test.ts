import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { actorFor, api, as, makeOrg, makeUser, sys, testEnv, STORE_KIND, type TestEnv } from '../helpers.ts';
import { hasDuty } from '../../src/access/duties.ts';
import { AuthorizationError, ValidationError } from '../../src/actions/errors.ts';

/** Duties given and taken through the membership API, beside the catalog capacity; policy and audit. */
describe(`[${STORE_KIND}] duties through the membership API`, () => {
  let env: TestEnv;
  const t: Record<string, string> = {};
  before(async () => {
    env = await testEnv();
    await makeOrg(env, 'moi', 'กระทรวงมหาดไทย');
    await makeOrg(env, 'dopa', 'กรมการปกครอง', 'moi');
    await makeOrg(env, 'nso', 'สำนักงานสถิติแห่งชาติ');
    t.moiAdmin = (await makeUser(env, 'moiadmin', { org: 'moi', role: 'admin' })).token;
    t.dopaAdmin = (await makeUser(env, 'dopaadmin', { org: 'dopa', role: 'admin' })).token;
    t.nsoAdmin = (await makeUser(env, 'nsoadmin', { org: 'nso', role: 'admin' })).token;
    t.editor = (await makeUser(env, 'editor', { org: 'dopa', role: 'editor' })).token;
    await makeUser(env, 'somchai', { org: 'dopa', role: 'member' });
  });
  after(() => env.close());

  const dutyRows = (role: string) => env.services.store.db.selectFrom('duties as d').innerJoin('users as u', 'u.id', 'd.user_id').innerJoin('groups as g', 'g.id', 'd.group_id').select(['u.name', 'g.name as org']).where('d.role', '=', role).execute();

  it('organization_member_create with a duty key adds a duty row; the capacity stays; delete with the key removes only the duty', async () => {
    const r = await api(env, 'organization_member_create', { id: 'dopa', username: 'somchai', role: 'data_owner' }, { token: t.dopaAdmin });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.equal(r.json.result.capacity, 'data_owner');
    await api(env, 'organization_member_create', { id: 'dopa', username: 'somchai', role: 'data_steward' }, { token: t.dopaAdmin });
    let a = await actorFor(env, 'somchai');
    assert.equal(hasDuty(a, 'data_owner', (a as any).roles.keys().next().value), true);
    assert.equal(a.kind === 'user' && [...a.roles.values()][0], 'member');
    const list = await api(env, 'duty_list', undefined, { token: t.editor, query: { id: 'dopa' }, lang: 'en' });
    assert.deepEqual(list.json.result.map((d: any) => [d.name, d.role, d.role_label]), [['somchai', 'data_owner', 'Data owner'], ['somchai', 'data_steward', 'Data steward']]);
    const del = await api(env, 'organization_member_delete', { id: 'dopa', username: 'somchai', role: 'data_owner' }, { token: t.dopaAdmin });
    assert.equal(del.status, 200);
    a = await actorFor(env, 'somchai');
    assert.equal(a.kind === 'user' && a.roles.size, 1, 'still a member');
    assert.deepEqual((await dutyRows('data_owner')).length, 0);
    assert.deepEqual((await dutyRows('data_steward')).length, 1);
    const audit = await env.services.store.db.selectFrom('audit_log').select(['action', 'detail']).where('action', 'in', ['duty_create', 'duty_delete']).orderBy('seq').execute();
    assert.deepEqual(audit.map((x) => [x.action, (x.detail as any).role, (x.detail as any).via]), [['duty_create', 'data_owner', 'organization_member_create'], ['duty_create', 'data_steward', 'organization_member_create'], ['duty_delete', 'data_owner', 'organization_member_delete']]);
  });

  it('member_create (object_type user, capacity = duty key) and member_delete work the same way', async () => {
    const r = await api(env, 'member_create', { id: 'dopa', object: 'somchai', object_type: 'user', capacity: 'data_creator' }, { token: t.dopaAdmin });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.deepEqual((await dutyRows('data_creator')).map((d) => d.org), ['dopa']);
    assert.equal((await api(env, 'member_delete', { id: 'dopa', object: 'somchai', object_type: 'user', capacity: 'data_creator' }, { token: t.dopaAdmin })).status, 200);
    assert.equal((await dutyRows('data_creator')).length, 0);
    const a = await actorFor(env, 'somchai');
    assert.equal(a.kind === 'user' && a.roles.size, 1);
  });

  it('policy: editors give no duties; another organisation\'s admin neither; agency duties only at an agency, by its admins or a sysadmin', async () => {
    assert.equal((await api(env, 'organization_member_create', { id: 'dopa', username: 'somchai', role: 'data_owner' }, { token: t.editor })).status, 403);
    assert.equal((await api(env, 'organization_member_create', { id: 'dopa', username: 'somchai', role: 'data_owner' }, { token: t.nsoAdmin })).status, 403);
    // The department's own admin cannot name the ministry's CDO, nor make one at the department.
    assert.equal((await api(env, 'organization_member_create', { id: 'moi', username: 'somchai', role: 'cdo' }, { token: t.dopaAdmin })).status, 403);
    const atDept = await api(env, 'organization_member_create', { id: 'dopa', username: 'somchai', role: 'cdo' }, { token: t.dopaAdmin, lang: 'en' });
    assert.equal(atDept.status, 403);
    const sysAtDept = await sys(env, 'duty_create', { id: 'dopa', username: 'somchai', role: 'cdo' }).catch((e) => e);
    assert.ok(sysAtDept instanceof ValidationError && /agency duty/.test({ ...sysAtDept.errors }.role![0]!.en));
    assert.equal((await api(env, 'organization_member_create', { id: 'moi', username: 'somchai', role: 'cdo' }, { token: t.moiAdmin })).status, 200);
    // The ministry's admin reaches its department for organisation duties too.
    assert.equal((await api(env, 'organization_member_create', { id: 'dopa', username: 'somchai', role: 'data_owner' }, { token: t.moiAdmin })).status, 200);
    const a = await actorFor(env, 'somchai');
    const dopa = (await env.services.store.db.selectFrom('groups').select('id').where('name', '=', 'dopa').executeTakeFirstOrThrow()).id;
    assert.equal(hasDuty(a, 'cdo', dopa), true, 'an agency duty reaches the department');
    // The department's list shows the CDO given above, marked inherited.
    const list = await as(env, a, 'duty_list', { id: 'dopa' });
    assert.ok(list.some((d: any) => d.role === 'cdo' && d.inherited === true && d.given_at.name === 'moi'));
    assert.equal((await api(env, 'duty_list', undefined, { token: t.nsoAdmin, query: { id: 'dopa' } })).status, 403);
    await assert.rejects(as(env, await actorFor(env, 'editor'), 'duty_delete', { id: 'moi', username: 'somchai', role: 'cdo' }), AuthorizationError);
  });

  it('unknown keys are still refused as roles; a duty for an unknown user is a field error', async () => {
    const r = await api(env, 'organization_member_create', { id: 'dopa', username: 'somchai', role: 'overlord' }, { token: t.dopaAdmin });
    assert.equal(r.status, 409);
    const u = await api(env, 'duty_create', { id: 'dopa', username: 'nobody', role: 'data_owner' }, { token: t.dopaAdmin });
    assert.equal(u.status, 409);
    assert.ok(u.json.error.username);
  });
  it('a department admin cannot mark the department as an agency to give themselves CDO there; the ministry admin neither; a sysadmin can', async () => {
    const mark = (token: string | undefined, value: string) => api(env, 'organization_patch', { id: 'dopa', extras: [{ key: 'agency', value }] }, { token });
    const self = await mark(t.dopaAdmin, 'true');
    assert.equal(self.status, 403, JSON.stringify(self.json));
    assert.equal((await mark(t.moiAdmin, 'true')).status, 403);
    const cdo = await api(env, 'organization_member_create', { id: 'dopa', username: 'dopaadmin', role: 'cdo' }, { token: t.dopaAdmin });
    assert.equal(cdo.status, 403, JSON.stringify(cdo.json));
    assert.deepEqual((await dutyRows('cdo')).filter((r) => r.org === 'dopa'), []);
    // Other extras stay the organisation's own; an unchanged mark is no change.
    assert.equal((await api(env, 'organization_patch', { id: 'dopa', extras: [{ key: 'website', value: 'https://dopa.go.th' }] }, { token: t.dopaAdmin })).status, 200);
    await sys(env, 'organization_patch', { id: 'dopa', extras: [{ key: 'agency', value: 'true' }] });
    assert.equal((await api(env, 'organization_patch', { id: 'dopa', extras: [{ key: 'agency', value: 'true' }, { key: 'website', value: 'https://dopa.go.th' }] }, { token: t.dopaAdmin })).status, 200);
    assert.equal((await api(env, 'organization_patch', { id: 'dopa', extras: [] }, { token: t.dopaAdmin })).status, 403, 'nor clear it');
    await sys(env, 'organization_patch', { id: 'dopa', extras: [] });
  });
});
