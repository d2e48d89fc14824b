import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { api, as, sys, testEnv, STORE_KIND, type TestEnv } from '../helpers.ts';
import { datasetWithDictionary, governanceWorld, step, type Gov } from './cases-fixture.ts';
import { AuthorizationError, ValidationError } from '../../src/actions/errors.ts';

/** P1 publication tied to datasets: the dictionary is required, the entry is locked under review, approval publishes. */
describe(`[${STORE_KIND}] P1 publication`, () => {
  let env: TestEnv;
  let g: Gov;
  before(async () => {
    env = await testEnv();
    g = await governanceWorld(env);
  });
  after(() => env.close());

  const submit = (dataset: string, audience = 'external') => as(env, g.actors.creator!, 'case_create', { process: 'publication', dataset, inputs: { audience } });

  it('no data dictionary → field error; with one → owner → CDO → steward → published external, ready for registration', async () => {
    const bare = await datasetWithDictionary(env, {}, false);
    await assert.rejects(submit(bare.id), (e: any) => e instanceof ValidationError && 'data_dictionary' in { ...e.errors });
    const d = await datasetWithDictionary(env);
    const c = await submit(d.name);
    assert.equal(c.state, 'owner_review');
    assert.deepEqual(c.subjects, [{ type: 'dataset', id: d.id }]);
    // Double submission is refused while a case is open.
    await assert.rejects(submit(d.id), (e: any) => e instanceof ValidationError && 'dataset' in { ...e.errors });
    // The creator may not approve their own submission even holding the owner duty.
    await assert.rejects(step(env, g.actors.creator!, c.id, 'approve'), AuthorizationError);
    assert.equal((await step(env, g.actors.owner!, c.id, 'approve')).state, 'cdo_review');
    assert.equal((await step(env, g.actors.cdo!, c.id, 'approve')).state, 'metadata_check');
    const done = await step(env, g.actors.steward!, c.id, 'approve', { inputs: { quality_note: 'ครบ' } });
    assert.equal(done.state, 'published_external');
    assert.equal(done.dataset.ready_for_registration, true);
    const row = await env.services.store.db.selectFrom('datasets').select(['metadata', 'version']).where('id', '=', d.id).executeTakeFirstOrThrow();
    assert.equal((row.metadata as any).ready_for_registration, true);
    assert.equal((row.metadata as any).publication.case, c.number);
    // Closed: the entry may be edited again, and the mark survives the edit (a package_show round trip too).
    const shown = await as(env, g.actors.creator!, 'package_show', { id: d.id });
    assert.equal(shown.ready_for_registration, true);
    await as(env, g.actors.creator!, 'package_update', { ...shown, notes: 'ปรับปรุงคำอธิบายหลังเผยแพร่' });
    const kept = await env.services.store.db.selectFrom('datasets').select('metadata').where('id', '=', d.id).executeTakeFirstOrThrow();
    assert.equal((kept.metadata as any).ready_for_registration, true);
    // Nobody marks a dataset ready for registration by writing the field.
    const self = await as(env, g.actors.creator!, 'package_create', { ...(await import('../helpers.ts')).datasetInput('dopa'), ready_for_registration: true });
    const selfRow = await env.services.store.db.selectFrom('datasets').select('metadata').where('id', '=', self.id).executeTakeFirstOrThrow();
    assert.equal((selfRow.metadata as any).ready_for_registration, undefined);
  });

  it('personal data goes to the DPO; internal audience publishes internally without the registration mark', async () => {
    const d = await datasetWithDictionary(env, { data_category: 'ข้อมูลส่วนบุคคล', data_classification: 'ลับ' });
    const c = await submit(d.id, 'internal');
    await step(env, g.actors.owner!, c.id, 'approve');
    assert.equal((await step(env, g.actors.cdo!, c.id, 'approve')).state, 'dpo_review');
    assert.equal((await step(env, g.actors.dpo!, c.id, 'approve')).state, 'metadata_check');
    const done = await step(env, g.actors.steward!, c.id, 'approve');
    assert.equal(done.state, 'published_internal');
    assert.equal(done.dataset.ready_for_registration, false);
  });

  it('under review the dataset and its resources cannot be edited (clear 409); sent back it can, and resubmitted it locks again', async () => {
    const d = await datasetWithDictionary(env);
    const c = await submit(d.id);
    const res = await api(env, 'package_patch', { id: d.id, notes: 'แก้ระหว่างพิจารณา' }, { token: g.tokens.creator, lang: 'en' });
    assert.equal(res.status, 409);
    assert.match(res.json.error.state[0], /under publication review/);
    const full = await as(env, g.actors.creator!, 'package_show', { id: d.id });
    const r2 = await api(env, 'resource_patch', { id: full.resources[0].id, name: 'ใหม่' }, { token: g.tokens.creator });
    assert.equal(r2.status, 409);
    assert.match(r2.json.error.state[0], new RegExp(c.number));
    // Not even a sysadmin edits around the review.
    await assert.rejects(sys(env, 'package_patch', { id: d.id, notes: 'x' }), ValidationError);
    // Owner sends it back (revise): the creator edits, then resubmits.
    await assert.rejects(step(env, g.actors.owner!, c.id, 'reject', { inputs: { outcome: 'revise' } }), (e: any) => 'reason' in { ...e.errors });
    assert.equal((await step(env, g.actors.owner!, c.id, 'reject', { reason: 'คำอธิบายไม่ครบ', inputs: { outcome: 'revise' } })).state, 'revision');
    await as(env, g.actors.creator!, 'package_patch', { id: d.id, notes: 'แก้ไขตามที่เจ้าของข้อมูลแจ้ง' });
    const waiting = await as(env, g.actors.creator!, 'case_list', { waiting_for_me: true });
    assert.ok(waiting.results.some((x: any) => x.id === c.id));
    assert.equal((await step(env, g.actors.creator!, c.id, 'resubmit')).state, 'owner_review');
    assert.equal((await api(env, 'package_patch', { id: d.id, notes: 'y' }, { token: g.tokens.creator })).status, 409);
  });

  it('reject with cancel ends the case at each reviewer; steward sends back; creator cancels from revision', async () => {
    for (const who of ['owner', 'cdo', 'dpo'] as const) {
      const d = await datasetWithDictionary(env, { data_category: 'ข้อมูลส่วนบุคคล', data_classification: 'ลับ' });
      const c = await submit(d.id);
      if (who !== 'owner') await step(env, g.actors.owner!, c.id, 'approve');
      if (who === 'dpo') await step(env, g.actors.cdo!, c.id, 'approve');
      const r = await step(env, g.actors[who]!, c.id, 'reject', { reason: 'ไม่ควรเผยแพร่', inputs: { outcome: 'cancel' } });
      assert.equal(r.state, 'cancelled', who);
      await as(env, g.actors.creator!, 'package_patch', { id: d.id, notes: 'ยกเลิกแล้วแก้ไขได้' });
    }
    const d = await datasetWithDictionary(env);
    const c = await submit(d.id);
    await step(env, g.actors.owner!, c.id, 'approve');
    await step(env, g.actors.cdo!, c.id, 'approve');
    assert.equal((await step(env, g.actors.steward!, c.id, 'reject', { reason: 'หน่วยนับผิด' })).state, 'revision');
    assert.equal((await step(env, g.actors.creator!, c.id, 'cancel')).state, 'cancelled');
    // A cancelled submission may be filed again.
    assert.equal((await submit(d.id)).state, 'owner_review');
  });

  it('a caller without a creator duty cannot submit (403); a dataset the caller cannot see is 404', async () => {
    const open = await datasetWithDictionary(env);
    const res = await api(env, 'case_create', { process: 'publication', dataset: open.id, inputs: { audience: 'internal' } }, { token: g.tokens.owner });
    assert.equal(res.status, 403);
    const d = await datasetWithDictionary(env, { data_category: 'ข้อมูลส่วนบุคคล', data_classification: 'ลับ' });
    const hidden = await api(env, 'case_create', { process: 'publication', dataset: d.id, inputs: { audience: 'internal' } }, { token: g.tokens.requester });
    assert.equal(hidden.status, 404);
  });
});
