import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { testEnv, STORE_KIND, type TestEnv } from '../helpers.ts';
import { loadWorkflows } from '../../src/workflow/engine.ts';
import { TransitionNotAllowedError, WorkflowForbiddenError } from '../../src/workflow/errors.ts';
import { ValidationError } from '../../src/actions/errors.ts';
import type { WorkflowActor } from '../../src/workflow/types.ts';
import { person, tx, failure } from './helpers.ts';

const wf = loadWorkflows();
let env: TestEnv;
let creator: WorkflowActor, owner: WorkflowActor, cdo: WorkflowActor, dpo: WorkflowActor, steward: WorkflowActor, ownerAndCdo: WorkflowActor, creatorOwner: WorkflowActor;

before(async () => {
  env = await testEnv();
  creator = await person(env, 'creator', ['data_creator']);
  owner = await person(env, 'owner', ['data_owner']);
  cdo = await person(env, 'cdo', ['cdo']);
  dpo = await person(env, 'dpo', ['dpo']);
  steward = await person(env, 'steward', ['data_steward']);
  ownerAndCdo = await person(env, 'owner-cdo', ['data_owner', 'cdo']);
  creatorOwner = await person(env, 'creator-owner', ['data_creator', 'data_owner']);
});
after(() => env.close());

const submit = (who: WorkflowActor, facts: Record<string, unknown>, audience = 'external', dataset = 'ds-1') =>
  tx(env, (t) => wf.create(t, who, 'publication', { facts: { has_data_dictionary: true, ...facts }, inputs: { audience }, subjects: [{ type: 'dataset', id: dataset }] }));
const step = (who: WorkflowActor, id: string, name: string, opts: Record<string, unknown> = {}) => tx(env, (t) => wf.transition(t, who, id, name, opts));
const show = (who: WorkflowActor, id: string) => tx(env, (t) => wf.show(t, who, id));

test(`[${STORE_KIND}] P1 personal data: creator → owner → CDO → DPO → steward → published externally, every step an event`, async () => {
  const { case: c } = await submit(creator, { category: 'personal' }, 'external', 'ds-personal');
  assert.match(c.number, /^PUB-25\d\d-000001$/);
  assert.equal(c.state, 'owner_review');
  assert.deepEqual((await show(owner, c.id)).next.map((n) => n.name), ['approve', 'reject']);
  assert.deepEqual((await show(cdo, c.id)).next, []);
  // Under review the dataset is locked for editing.
  assert.equal((await tx(env, (t) => wf.lockingCases(t, { type: 'dataset', id: 'ds-personal' }))).length, 1);

  assert.equal((await step(owner, c.id, 'approve')).case.state, 'cdo_review');
  const viaCdo = await step(cdo, c.id, 'approve');
  assert.equal(viaCdo.case.state, 'dpo_review', 'personal data goes to the DPO');
  assert.ok(viaCdo.notify.includes('dpo'));
  assert.equal((await step(dpo, c.id, 'approve')).case.state, 'metadata_check');
  assert.equal((await tx(env, (t) => wf.lockingCases(t, { type: 'dataset', id: 'ds-personal' }))).length, 0, 'creators write metadata during the check');
  const done = await step(steward, c.id, 'approve', { inputs: { quality_note: 'ผ่าน' } });
  assert.equal(done.case.state, 'published_external');
  assert.ok(done.case.closed_at);

  const view = await show(owner, c.id);
  assert.deepEqual(view.events.map((e) => [e.transition, e.from_state, e.to_state, e.actor_name]), [
    ['submit', null, 'owner_review', 'creator'],
    ['approve', 'owner_review', 'cdo_review', 'owner'],
    ['approve', 'cdo_review', 'dpo_review', 'cdo'],
    ['approve', 'dpo_review', 'metadata_check', 'dpo'],
    ['approve', 'metadata_check', 'published_external', 'steward'],
  ]);
  assert.deepEqual(view.events.map((e) => e.seq), [1, 2, 3, 4, 5]);
  assert.equal(view.events[4]!.inputs.quality_note, 'ผ่าน');
  assert.deepEqual(view.events[2]!.roles, ['cdo']);
  assert.equal(view.case.version, 5);
  const err = await failure(step(steward, c.id, 'approve'));
  assert.ok(err instanceof TransitionNotAllowedError, 'a closed case takes no more steps');
});

test(`[${STORE_KIND}] P1 general data skips the DPO; internal audience publishes internally`, async () => {
  const { case: c } = await submit(creator, { category: 'general' }, 'internal');
  await step(owner, c.id, 'approve');
  assert.equal((await step(cdo, c.id, 'approve')).case.state, 'metadata_check');
  assert.equal((await step(steward, c.id, 'approve')).case.state, 'published_internal');
});

test(`[${STORE_KIND}] P1 needs a data dictionary: a field-level error in Thai and English`, async () => {
  const err = await failure(submit(creator, { has_data_dictionary: false }));
  assert.ok(err instanceof ValidationError);
  assert.match(err.errors.data_dictionary[0].th, /พจนานุกรมข้อมูล/);
  assert.match(err.errors.data_dictionary[0].en, /data dictionary/);
  const bad = await failure(tx(env, (t) => wf.create(t, creator, 'publication', { facts: { has_data_dictionary: true }, inputs: { audience: 'everyone' } })));
  assert.match(bad.errors.audience[0].en, /must be one of internal, external/);
  const none = await failure(tx(env, (t) => wf.create(t, creator, 'publication', { facts: { has_data_dictionary: true } })));
  assert.match(none.errors.audience[0].th, /ต้องระบุ/);
  const unknown = await failure(tx(env, (t) => wf.create(t, creator, 'no_such_process', {})));
  assert.ok(unknown.errors.process);
  assert.ok(await failure(tx(env, (t) => wf.create(t, owner, 'publication', { facts: { has_data_dictionary: true }, inputs: { audience: 'internal' } }))) instanceof WorkflowForbiddenError, 'only creators and stewards submit');
});

test(`[${STORE_KIND}] P1 reject: revise returns to the creator, resubmit, then cancel ends it`, async () => {
  const { case: c } = await submit(creator, { category: 'general' });
  const noReason = await failure(step(owner, c.id, 'reject'));
  assert.ok(noReason instanceof ValidationError);
  assert.ok(noReason.errors.reason && noReason.errors.outcome);
  assert.equal((await step(owner, c.id, 'reject', { reason: 'ขาดคำอธิบายฟิลด์', inputs: { outcome: 'revise' } })).case.state, 'revision');
  assert.equal((await tx(env, (t) => wf.lockingCases(t, { type: 'dataset', id: 'ds-1' }))).length, 0, 'sent back: editable again');
  assert.deepEqual((await show(creator, c.id)).next.map((n) => n.name), ['resubmit', 'cancel']);
  assert.equal((await step(creator, c.id, 'resubmit')).case.state, 'owner_review');
  await step(owner, c.id, 'approve');
  assert.equal((await step(cdo, c.id, 'reject', { reason: 'ไม่เหมาะสม', inputs: { outcome: 'cancel' } })).case.state, 'cancelled');
  // The steward and DPO rejections lead back to revision.
  const { case: d } = await submit(creator, { category: 'personal' });
  await step(owner, d.id, 'approve');
  await step(cdo, d.id, 'approve');
  assert.equal((await step(dpo, d.id, 'reject', { reason: 'ต้องลบเลขบัตร', inputs: { outcome: 'revise' } })).case.state, 'revision');
  await step(creator, d.id, 'resubmit');
  await step(owner, d.id, 'approve');
  await step(cdo, d.id, 'approve');
  await step(dpo, d.id, 'approve');
  assert.equal((await step(steward, d.id, 'reject', { reason: 'คำอธิบายไม่ครบ' })).case.state, 'revision');
  assert.equal((await step(creator, d.id, 'cancel')).case.state, 'cancelled');
});

test(`[${STORE_KIND}] separation of duties: no approving one's own submission, nor two steps of one case`, async () => {
  const { case: c } = await submit(creatorOwner, { category: 'general' });
  const own = await failure(step(creatorOwner, c.id, 'approve'));
  assert.ok(own instanceof WorkflowForbiddenError);
  assert.match(own.msg.th, /แบ่งแยกหน้าที่/);
  assert.deepEqual((await show(creatorOwner, c.id)).next, [], 'not offered either');
  await step(ownerAndCdo, c.id, 'approve');
  const twice = await failure(step(ownerAndCdo, c.id, 'approve'));
  assert.ok(twice instanceof WorkflowForbiddenError);
  assert.match(twice.msg.en, /already took the step "approve"/);
  assert.equal((await step(cdo, c.id, 'approve')).case.state, 'metadata_check');
});

test(`[${STORE_KIND}] wrong step, wrong role and a stale page: 409 with the allowed next steps, or 403`, async () => {
  const { case: c } = await submit(creator, { category: 'general' });
  const wrong = await failure(step(owner, c.id, 'resubmit'));
  assert.ok(wrong instanceof TransitionNotAllowedError);
  assert.ok(wrong instanceof ValidationError, 'the API maps it to 409');
  assert.deepEqual(wrong.next.map((n: any) => n.name), ['approve', 'reject']);
  assert.equal(wrong.next[0].to, 'cdo_review');
  assert.ok(wrong.errors.next.length === 2 && wrong.errors.transition[0].th.includes('resubmit'));
  const role = await failure(step(steward, c.id, 'approve'));
  assert.ok(role instanceof WorkflowForbiddenError);
  const stale = await failure(step(owner, c.id, 'approve', { expectedVersion: 7 }));
  assert.ok(stale instanceof TransitionNotAllowedError && stale.errors.version);
  assert.equal((await step(owner, c.id, 'approve', { expectedVersion: 1 })).case.version, 2);
  const missing = await failure(step(owner, '00000000-0000-0000-0000-000000000000', 'approve'));
  assert.equal(missing.name, 'NotFoundError');
  assert.equal((await show(owner, c.number)).case.id, c.id, 'a case number finds the case');
});

test(`[${STORE_KIND}] a failed step writes nothing: state, version and events unchanged`, async () => {
  const { case: c } = await submit(creator, { category: 'general' });
  await failure(step(owner, c.id, 'reject', { inputs: { outcome: 'revise' } }));
  const v = await show(owner, c.id);
  assert.equal(v.case.state, 'owner_review');
  assert.equal(v.case.version, 1);
  assert.equal(v.events.length, 1);
});
