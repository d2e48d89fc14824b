import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { as, testEnv, STORE_KIND, type TestEnv } from '../helpers.ts';
import { ANONYMOUS } from '../../src/access/actor.ts';
import { governanceWorld, step, type Gov } from './cases-fixture.ts';
import { NotFoundError, ValidationError } from '../../src/actions/errors.ts';
import { WorkflowForbiddenError } from '../../src/workflow/errors.ts';

const TEXT = (part: string, n: string) => ({ part, title_th: `นโยบาย ${part} ฉบับ ${n}`, title_en: `Policy ${part}, edition ${n}`, body_th: 'ข้อ ๑ หน่วยงานจัดชั้นความลับของข้อมูลทุกชุด', body_en: '1. The agency classifies every dataset.', change_note: n });

/** The agency's data policy (seed 002: security and privacy, quality, exchange) through the workflow engine. */
describe(`[${STORE_KIND}] data policy documents`, () => {
  let env: TestEnv;
  let g: Gov;
  before(async () => {
    env = await testEnv();
    g = await governanceWorld(env);
  });
  after(() => env.close());

  const propose = (part: string, n = '1', who = g.actors.it!) => as(env, who, 'case_create', { process: 'data_policy', organization: 'moi', inputs: TEXT(part, n) });

  it('security and privacy: CDO → DPO → committee; published v1 for everyone, the draft only for the office before', async () => {
    const c = await propose('security_privacy');
    assert.match(c.number, /^POL-25\d\d-\d{6}$/);
    assert.equal(c.state, 'cdo_review');
    const draftId = c.document.id;
    // Not yet public: anonymous and a stranger get 404; the office sees the draft.
    await assert.rejects(as(env, ANONYMOUS, 'policy_document_show', { id: draftId }), NotFoundError);
    await assert.rejects(as(env, g.actors.stranger!, 'policy_document_show', { id: draftId }), NotFoundError);
    assert.equal((await as(env, g.actors.cdo!, 'policy_document_show', { id: draftId })).state, 'draft');
    assert.equal((await as(env, ANONYMOUS, 'policy_document_list', { drafts: true })).count, 0);
    assert.equal((await as(env, g.actors.cdo!, 'policy_document_list', { drafts: true })).count, 1);
    let r = await step(env, g.actors.cdo!, c.id, 'approve');
    assert.equal(r.state, 'dpo_review');
    r = await step(env, g.actors.dpo!, c.id, 'approve');
    assert.equal(r.state, 'committee_review');
    r = await step(env, g.actors.committee!, c.id, 'approve');
    assert.equal(r.state, 'published');
    assert.deepEqual([r.document.version, r.document.state], [1, 'published']);
    const shown = await as(env, ANONYMOUS, 'policy_document_show', { id: draftId });
    assert.equal(shown.body_th, 'ข้อ ๑ หน่วยงานจัดชั้นความลับของข้อมูลทุกชุด');
    assert.equal(shown.body_en, '1. The agency classifies every dataset.');
    assert.equal(shown.organization, 'moi');
    // Processes that apply it link to it, also from a unit below the agency.
    const sub = await as(env, g.actors.requester!, 'case_create', { process: 'subject_request', organization: 'dopa', inputs: { subject_name: 'นางสาวสมหญิง ใจดี', email: 'somying@nso.go.th', details: 'ขอสำเนาข้อมูลทะเบียนบ้านของข้าพเจ้า' } });
    assert.deepEqual(sub.policies.map((p: any) => [p.kind, p.id, p.version]), [['security_privacy', draftId, 1]]);
  });

  it('quality skips the DPO; reject → revise → resubmit → v1 of its own kind; a second version supersedes', async () => {
    const c = await propose('quality');
    let r = await step(env, g.actors.cdo!, c.id, 'approve');
    assert.equal(r.state, 'committee_review');
    r = await step(env, g.actors.committee!, c.id, 'reject', { reason: 'ระบุเกณฑ์ความครบถ้วน' });
    assert.equal(r.state, 'revision');
    // Only the proposer revises it.
    await assert.rejects(step(env, g.actors.cdo!, c.id, 'resubmit', { inputs: TEXT('quality', '1b') }), WorkflowForbiddenError);
    await assert.rejects(step(env, g.actors.it!, c.id, 'resubmit', { inputs: { title_th: '' } }), (e: any) => e instanceof ValidationError && ['title_th', 'title_en', 'body_th', 'body_en'].every((k) => (e.errors as any)[k]));
    r = await step(env, g.actors.it!, c.id, 'resubmit', { inputs: TEXT('quality', '1b') });
    assert.equal(r.state, 'cdo_review');
    assert.equal(r.document.id, c.document.id);
    await step(env, g.actors.cdo!, c.id, 'approve');
    r = await step(env, g.actors.committee!, c.id, 'approve');
    assert.equal(r.document.version, 1);
    const second = await propose('quality', '2');
    await step(env, g.actors.cdo!, second.id, 'approve');
    const r2 = await step(env, g.actors.committee!, second.id, 'approve');
    assert.equal(r2.document.version, 2);
    const hist = await as(env, ANONYMOUS, 'policy_document_show', { id: r2.document.id });
    assert.deepEqual(hist.history.map((h: any) => [h.version, h.state]), [[2, 'published'], [1, 'superseded']]);
    const cur = await as(env, ANONYMOUS, 'policy_document_list', { kind: 'quality' });
    assert.deepEqual(cur.results.map((d: any) => d.title), ['นโยบาย quality ฉบับ 2']);
    // The old version stays readable (history), marked superseded.
    assert.equal((await as(env, ANONYMOUS, 'policy_document_show', { id: c.document.id })).state, 'superseded');
  });

  it('separation of duties, withdrawal, bad input', async () => {
    // A CDO who proposes may not approve their own proposal.
    const own = await propose('exchange', '1', g.actors.cdo!);
    await assert.rejects(step(env, g.actors.cdo!, own.id, 'approve'), WorkflowForbiddenError);
    const w = await step(env, g.actors.cdo!, own.id, 'withdraw', { reason: 'เสนอผิดฉบับ' });
    assert.equal(w.state, 'withdrawn');
    await assert.rejects(as(env, ANONYMOUS, 'policy_document_show', { id: own.document.id }), NotFoundError);
    // A data creator of a unit may not propose the agency's policy; strangers cannot read the case.
    await assert.rejects(as(env, g.actors.creator!, 'case_create', { process: 'data_policy', organization: 'moi', inputs: TEXT('exchange', 'x') }), WorkflowForbiddenError);
    await assert.rejects(propose('nonsense'), (e: any) => e instanceof ValidationError && !!(e.errors as any).part);
    await assert.rejects(as(env, ANONYMOUS, 'policy_document_list', { kind: 'nonsense' }), ValidationError);
    await assert.rejects(as(env, ANONYMOUS, 'policy_document_show', { id: 'x' }), ValidationError);
    await assert.rejects(as(env, ANONYMOUS, 'policy_document_show', { id: '00000000-0000-0000-0000-000000000000' }), NotFoundError);
    const c = await propose('exchange', '1');
    await assert.rejects(as(env, g.actors.stranger!, 'case_show', { id: c.id }), NotFoundError);
  });
});
