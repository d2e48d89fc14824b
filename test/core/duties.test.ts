import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { testEnv, makeOrg, makeUser, actorFor, STORE_KIND, type TestEnv } from '../helpers.ts';
import { GOVERNANCE_ROLES, hasDuty, isGovernanceRole, orgsWithDuty } from '../../src/access/duties.ts';

/** Governance duties as data: several per person and organisation; agency duties reach down the tree. */
describe(`[${STORE_KIND}] governance duties`, () => {
  let env: TestEnv;
  const ids: Record<string, string> = {};
  before(async () => {
    env = await testEnv();
    for (const [name, parent] of [['moi', undefined], ['dopa', 'moi'], ['dopa-reg', 'dopa'], ['other', undefined]] as const) {
      ids[name] = (await makeOrg(env, name, `หน่วยงาน ${name}`, parent)).id;
    }
    await makeUser(env, 'somsri', { org: 'dopa', role: 'member' });
    const u = await env.services.store.db.selectFrom('users').select('id').where('name', '=', 'somsri').executeTakeFirstOrThrow();
    await env.services.store.db
      .insertInto('duties')
      .values([
        { group_id: ids.moi!, user_id: u.id, role: 'cdo', created_by: null },
        { group_id: ids.dopa!, user_id: u.id, role: 'data_owner', created_by: null },
        { group_id: ids.dopa!, user_id: u.id, role: 'data_steward', created_by: null },
      ])
      .execute();
  });
  after(() => env.close());

  it('the role list is data with Thai and English names, and the eight keys of the issue', () => {
    assert.deepEqual(GOVERNANCE_ROLES.map((r) => r.key).sort(), ['agency_coordinator', 'catalog_reviewer', 'categorizer', 'cdo', 'data_creator', 'data_owner', 'data_steward', 'dpo', 'governance_committee', 'it_officer', 'legal_officer', 'registrar', 'registration_officer', 'registry_manager']);
    for (const r of GOVERNANCE_ROLES) assert.ok(r.label.th && r.label.en && (r.scope === 'agency' || r.scope === 'organization'));
    assert.equal(isGovernanceRole('admin'), false);
    assert.equal(isGovernanceRole('constructor'), false);
  });

  it('several duties in one organisation; organisation duties stay there, agency duties reach every organisation below', async () => {
    const a = await actorFor(env, 'somsri');
    assert.equal(hasDuty(a, 'data_owner', ids.dopa), true);
    assert.equal(hasDuty(a, 'data_steward', ids.dopa), true);
    assert.equal(hasDuty(a, 'data_owner', ids['dopa-reg']), false);
    assert.equal(hasDuty(a, 'data_owner', ids.moi), false);
    for (const org of ['moi', 'dopa', 'dopa-reg']) assert.equal(hasDuty(a, 'cdo', ids[org]), true, org);
    assert.equal(hasDuty(a, 'cdo', ids.other), false);
    assert.deepEqual(orgsWithDuty(a, 'cdo').sort(), [ids.moi, ids.dopa, ids['dopa-reg']].sort());
    // The catalog capacity is untouched by duties.
    assert.equal(a.kind === 'user' && a.roles.get(ids.dopa!), 'member');
  });
});
