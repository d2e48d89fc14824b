import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { api, as, datasetInput, makeOrg, sys, testEnv, STORE_KIND, type TestEnv } from '../helpers.ts';
import { agreementInput, fails, fixture, type Fixture } from './agreements-fixture.ts';
import { datasetWithDictionary, governanceWorld, requestForm, type Gov } from './cases-fixture.ts';

/**
 * Governance used as an outsider would: an agreement names "the request it answers" (case_id), and
 * that request's evidence letter then lists what the agreement disclosed. A data owner must not be
 * able to attach an agreement to a request they cannot open, or that went to another organisation.
 */
describe(`[${STORE_KIND}] agreements: the request an agreement answers`, () => {
  let f: Fixture;
  let foreign: { id: string; number: string };
  let own: { id: string; number: string };
  before(async () => {
    f = await fixture();
    await makeOrg(f.env, 'nso', 'สำนักงานสถิติแห่งชาติ');
    // A request that went to another organisation ('other'), which nobody at การเคหะแห่งชาติ may open.
    foreign = await as(f.env, f.people.partner, 'case_create', { process: 'information_request', organization: 'other', inputs: requestForm() });
    // A request that went to the owner's own organisation.
    own = await as(f.env, f.people.partner, 'case_create', { process: 'information_request', organization: 'nha', inputs: requestForm() });
  });
  after(() => f.env.close());

  it("refuses another organisation's request, answering as for one that does not exist", async () => {
    await assert.rejects(as(f.env, f.people.owner, 'case_show', { id: foreign.id }), (e: any) => e.name === 'NotFoundError');
    const missing = await fails(as(f.env, f.people.owner, 'agreement_create', agreementInput(f, { case_id: 'REQ-2569-999999' })));
    for (const ref of [foreign.id, foreign.number]) {
      const e = await fails(as(f.env, f.people.owner, 'agreement_create', agreementInput(f, { case_id: ref })));
      assert.equal(e.name, 'ValidationError');
      assert.deepEqual(e.errors.case_id, missing.errors.case_id, 'the same answer as for a request that does not exist');
    }
    const a = await as<any>(f.env, f.people.owner, 'agreement_create', agreementInput(f));
    const e = await fails(as(f.env, f.people.owner, 'agreement_update', { id: a.id, case_id: foreign.number }));
    assert.deepEqual(e.errors.case_id, missing.errors.case_id);
    const rows = await f.env.services.store.db.selectFrom('agreements').select('id').where('request_case_id', '=', foreign.id).execute();
    assert.equal(rows.length, 0, 'no agreement is attached to the foreign request');
  });

  it('a linkage names only datasets the caller may see: a hidden one of another agency is "not found", its title never shown', async () => {
    const secret = await sys(f.env, 'package_create', datasetInput('other', { title: 'ทะเบียนลับเฉพาะ', data_category: 'ข้อมูลส่วนบุคคล', data_classification: 'ลับ' }));
    await assert.rejects(as(f.env, f.people.it, 'package_show', { id: secret.name }), (e: any) => e.name === 'NotFoundError');
    const base = { organization: 'nha', direction: 'inbound', partner: 'dopa', method: 'SFTP', frequency: 'daily' };
    const missing = await fails(as(f.env, f.people.it, 'linkage_create', { ...base, datasets: ['no-such-dataset'] }));
    const e = await fails(as(f.env, f.people.it, 'linkage_create', { ...base, datasets: [secret.name] }));
    assert.equal(e.name, 'ValidationError');
    assert.equal(e.errors.datasets[0].en.replace(secret.name, 'X'), missing.errors.datasets[0].en.replace('no-such-dataset', 'X'));
    const byId = await fails(as(f.env, f.people.it, 'linkage_create', { ...base, datasets: [secret.id] }));
    assert.ok(byId.errors?.datasets, 'by id too');
    const l = await as<any>(f.env, f.people.it, 'linkage_create', { ...base, datasets: [f.datasetName] });
    const u = await fails(as(f.env, f.people.it, 'linkage_update', { id: l.id, datasets: [f.datasetName, secret.id] }));
    assert.ok(u.errors?.datasets, 'linkage_update checks the same way');
    const shown = await as<any>(f.env, f.people.it, 'linkage_show', { id: l.id });
    assert.equal(JSON.stringify(shown).includes('ทะเบียนลับเฉพาะ'), false);
  });

  it("takes a request that went to the agreement's organisation", async () => {
    const a = await as<any>(f.env, f.people.owner, 'agreement_create', agreementInput(f, { case_id: own.number }));
    assert.equal(a.case_id, own.id);
    const u = await as<any>(f.env, f.people.owner, 'agreement_update', { id: a.id, title: 'แก้ชื่อ' });
    assert.equal(u.case_id, own.id, 'an update that leaves case_id out keeps it');
  });
});

describe(`[${STORE_KIND}] publication: what a refused submission tells`, () => {
  let env: TestEnv;
  let g: Gov;
  before(async () => {
    env = await testEnv();
    g = await governanceWorld(env);
  });
  after(() => env.close());

  it("someone who may not submit learns nothing of a public dataset's open review (403 either way, no case number)", async () => {
    const calm = await datasetWithDictionary(env);
    const busy = await datasetWithDictionary(env);
    const c = await as<any>(env, g.actors.creator!, 'case_create', { process: 'publication', dataset: busy.id, inputs: { audience: 'external' } });
    const quiet = await api(env, 'case_create', { process: 'publication', dataset: calm.id, inputs: { audience: 'internal' } }, { token: g.tokens.stranger });
    const probe = await api(env, 'case_create', { process: 'publication', dataset: busy.id, inputs: { audience: 'internal' } }, { token: g.tokens.stranger });
    assert.equal(quiet.status, 403);
    assert.equal(probe.status, 403, JSON.stringify(probe.json));
    assert.deepEqual(probe.json.error, quiet.json.error);
    assert.equal(JSON.stringify(probe.json).includes(c.number), false);
    // The people who may submit still get the clash named.
    const again = await api(env, 'case_create', { process: 'publication', dataset: busy.id, inputs: { audience: 'internal' } }, { token: g.tokens.steward });
    assert.equal(again.status, 409);
    assert.match(JSON.stringify(again.json), new RegExp(c.number));
  });
});
