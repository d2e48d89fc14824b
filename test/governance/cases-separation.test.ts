import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testEnv, sys, as, actorFor, makeUser } from '../helpers.ts';
import { governanceWorld, datasetWithDictionary, step } from './cases-fixture.ts';
import { loadWorkflows } from '../../src/workflow/engine.ts';

/**
 * Separation of duties counts everyone who (re)submitted a case, not only the person who opened it:
 * a data creator who is also a data owner resubmitted a colleague's returned publication case and
 * then approved it as its owner (403 expected, it went on to the CDO).
 */
test('whoever resubmits a case may not then approve it', async () => {
  const env = await testEnv();
  try {
    const g = await governanceWorld(env);
    await makeUser(env, 'bee', { org: 'dopa', role: 'editor' });
    for (const role of ['data_creator', 'data_owner']) await sys(env, 'organization_member_create', { id: 'dopa', username: 'bee', role });
    const bee = await actorFor(env, 'bee');
    const d = await datasetWithDictionary(env);
    const opened = await as(env, g.actors.creator, 'case_create', { process: 'publication', dataset: d.id, inputs: { audience: 'external' } });
    await step(env, g.actors.owner, opened.id, 'reject', { reason: 'แก้คำอธิบาย', inputs: { outcome: 'revise' } });
    const back = await step(env, bee, opened.id, 'resubmit');
    assert.equal(back.state, 'owner_review');
    assert.deepEqual(back.next.map((n: { name: string }) => n.name), [], 'the resubmitter is offered no decision');
    await assert.rejects(step(env, bee, opened.id, 'approve'), (e: any) => e.name === 'AuthorizationError' && /submitted this case/.test(e.msg.en));
    // The case is where it was; someone else decides.
    const ok = await step(env, g.actors.owner, opened.id, 'approve');
    assert.equal(ok.state, 'cdo_review');
  } finally {
    await env.close();
  }
});

test('steps that hand a case to reviewers are known from the definitions', () => {
  const w = loadWorkflows();
  const submits = (p: string, from: string, name: string) => w.get(p).outgoing.get(from)!.find((t) => t.name === name)!.submits;
  assert.equal(submits('publication', 'revision', 'resubmit'), true);
  assert.equal(submits('agreement', 'draft', 'submit'), true);
  assert.equal(submits('data_policy', 'revision', 'resubmit'), true);
  assert.equal(submits('publication', 'revision', 'cancel'), false);
  assert.equal(submits('publication', 'owner_review', 'approve'), false);
  assert.equal(submits('agreement', 'approved', 'activate'), false);
});
