import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { api, as, testEnv, STORE_KIND, type TestEnv } from '../helpers.ts';
import { governanceWorld, requestForm, step, type Gov } from './cases-fixture.ts';
import { AuthorizationError, NotFoundError, ValidationError } from '../../src/actions/errors.ts';

/** P2 information / exchange request (form ISMS-FRM-ITD-040) through the actions, every path. */
describe(`[${STORE_KIND}] P2 information request`, () => {
  let env: TestEnv;
  let g: Gov;
  before(async () => {
    env = await testEnv();
    g = await governanceWorld(env);
  });
  after(() => env.close());

  const file = (form: Record<string, unknown> = {}) => as(env, g.actors.requester!, 'case_create', { process: 'information_request', organization: 'dopa', inputs: requestForm(form) });

  it('outside requester → IT receipt → owner analysis and approval → CDO → IT records the exchange; everyone told, audited', async () => {
    const c = await file();
    assert.match(c.number, /^REQ-25\d\d-\d{6}$/);
    assert.equal(c.state, 'it_check');
    assert.deepEqual(c.next.map((n: any) => n.name), ['withdraw']);
    // IT sees it waiting; the owner does not yet.
    const itWaiting = await as(env, g.actors.it!, 'case_list', { waiting_for_me: true });
    assert.deepEqual(itWaiting.results.map((r: any) => r.number), [c.number]);
    assert.equal((await as(env, g.actors.owner!, 'case_list', { waiting_for_me: true })).count, 0);
    const shownToIt = await as(env, g.actors.it!, 'case_show', { id: c.number });
    assert.deepEqual(shownToIt.next.map((n: any) => [n.name, n.to]), [['approve', 'owner_analysis'], ['reject', 'incomplete']]);

    let r = await step(env, g.actors.it!, c.id, 'approve', { inputs: { receipt_note: 'ครบถ้วน' } });
    assert.equal(r.state, 'owner_analysis');
    r = await step(env, g.actors.owner!, c.id, 'analyse', { inputs: { analysis: 'มีข้อมูลครบ', data_available: 'yes', category: 'general', conditions: 'ใช้เพื่อสถิติเท่านั้น' } });
    assert.equal(r.state, 'owner_approval');
    r = await step(env, g.actors.owner!, c.id, 'approve');
    assert.equal(r.state, 'cdo_decision');
    r = await step(env, g.actors.cdo!, c.id, 'approve');
    assert.equal(r.state, 'exchange');
    r = await step(env, g.actors.it!, c.id, 'record_exchange', { inputs: { result: 'ส่งไฟล์แล้ว', delivered_on: '2026-12-01', records_count: 77, method: 'file_transfer' } });
    assert.equal(r.state, 'completed');
    assert.equal(r.terminal, true);

    const seen = await as(env, g.actors.requester!, 'case_show', { id: c.id });
    assert.equal(seen.state, 'completed');
    assert.equal(seen.events.length, 6);
    // The requester from outside sees which roles acted, not the staff's names.
    assert.equal(seen.events[2].actor, null);
    assert.ok(seen.events[2].roles_label.length);
    const audit = await env.services.store.db.selectFrom('audit_log').select(['action', 'detail']).where('object_id', '=', c.id).orderBy('seq').execute();
    assert.deepEqual(audit.map((a) => (a.detail as any).transition), ['submit', 'approve', 'analyse', 'approve', 'approve', 'record_exchange']);
    const inbox = await as(env, g.actors.requester!, 'notification_list', {});
    assert.ok(inbox.results.some((n: any) => n.kind === 'case_closed' && n.title.includes(c.number)));
    const mail = await env.services.store.db.selectFrom('mail_outbox').select(['to_address', 'subject']).where('subject', 'like', `%${c.number}%`).execute();
    assert.ok(mail.some((m) => m.to_address === 'somying@nso.go.th' && m.subject.includes('แจ้งผลการพิจารณา')));
    assert.ok(mail.some((m) => m.to_address === 'cdo@example.go.th'));
  });

  it('personal data: owner → CDO → DPO; confidential → committee → DPO when also personal', async () => {
    const a = await file();
    await step(env, g.actors.it!, a.id, 'approve');
    await step(env, g.actors.owner!, a.id, 'analyse', { inputs: { analysis: 'ส่วนบุคคล', data_available: 'yes', category: 'personal' } });
    await step(env, g.actors.owner!, a.id, 'approve');
    assert.equal((await step(env, g.actors.cdo!, a.id, 'approve')).state, 'dpo_decision');
    assert.equal((await step(env, g.actors.dpo!, a.id, 'approve')).state, 'exchange');

    const b = await file();
    await step(env, g.actors.it!, b.id, 'approve');
    await step(env, g.actors.owner!, b.id, 'analyse', { inputs: { analysis: 'ลับ', data_available: 'partial', category: 'confidential' } });
    const routed = await step(env, g.actors.owner!, b.id, 'approve');
    assert.equal(routed.state, 'committee_decision');
    // The CDO is not the approver here: 403 with what is allowed (nothing).
    await assert.rejects(step(env, g.actors.cdo!, b.id, 'approve'), AuthorizationError);
    assert.equal((await step(env, g.actors.committee!, b.id, 'approve')).state, 'exchange');
  });

  it('rejections: incomplete → resubmit; owner, CDO, committee, DPO reject end the case; withdraw', async () => {
    const a = await file();
    await assert.rejects(step(env, g.actors.it!, a.id, 'reject'), (e: any) => e instanceof ValidationError && 'reason' in { ...e.errors });
    assert.equal((await step(env, g.actors.it!, a.id, 'reject', { reason: 'ขาดฐานกฎหมาย' })).state, 'incomplete');
    assert.deepEqual((await as(env, g.actors.requester!, 'case_list', { waiting_for_me: true })).results.map((r: any) => r.number), [a.number]);
    assert.equal((await step(env, g.actors.requester!, a.id, 'resubmit', { inputs: requestForm({ legal_basis: 'มาตรา ๑๖ และหนังสือ สสช ๐๐๑' }) })).state, 'it_check');

    for (const [decider, category] of [['owner', null], ['cdo', 'general'], ['committee', 'security'], ['dpo', 'personal']] as const) {
      const c = await file();
      await step(env, g.actors.it!, c.id, 'approve');
      await step(env, g.actors.owner!, c.id, 'analyse', { inputs: { analysis: 'x', data_available: 'yes', category: category ?? 'general' } });
      if (decider !== 'owner') await step(env, g.actors.owner!, c.id, 'approve');
      if (decider === 'dpo') await step(env, g.actors.cdo!, c.id, 'approve');
      const r = await step(env, g.actors[decider]!, c.id, 'reject', { reason: 'ไม่เป็นไปตามวัตถุประสงค์' });
      assert.equal(r.state, 'rejected', decider);
      assert.deepEqual(r.next, []);
    }
    const w = await file();
    assert.equal((await step(env, g.actors.requester!, w.id, 'withdraw')).state, 'withdrawn');
  });

  it('out of order → 409 with `next` as data; wrong role → 403; another requester → 404; separation of duties', async () => {
    const c = await file();
    const early = await api(env, 'case_transition', { id: c.id, transition: 'record_exchange' }, { token: g.tokens.it, lang: 'en' });
    assert.equal(early.status, 409);
    assert.deepEqual(early.json.error.next.map((n: any) => [n.name, n.to]), [['approve', 'owner_analysis'], ['reject', 'incomplete']]);
    assert.equal(early.json.error.state, 'it_check');
    const wrong = await api(env, 'case_transition', { id: c.id, transition: 'approve' }, { token: g.tokens.owner, lang: 'en' });
    assert.equal(wrong.status, 403);
    const other = await api(env, 'case_show', undefined, { token: g.tokens.stranger, query: { id: c.id } });
    assert.equal(other.status, 404);
    const otherByNumber = await api(env, 'case_show', undefined, { token: g.tokens.stranger, query: { id: c.number } });
    assert.equal(otherByNumber.status, 404);
    assert.equal((await as(env, g.actors.stranger!, 'case_list', {})).results.some((r: any) => r.id === c.id), false);
    await assert.rejects(as(env, g.actors.stranger!, 'case_transition', { id: c.id, transition: 'withdraw' }), NotFoundError);
    // The IT officer who received a request may not also approve it as owner (not_actor_of it_check).
    await env.services.store.db.insertInto('duties').values({ group_id: g.ids.dopa!, user_id: (g.actors.it as any).user.id, role: 'data_owner', created_by: null }).execute();
    const it2 = await g.refresh('it');
    await step(env, it2, c.id, 'approve');
    await step(env, g.actors.owner!, c.id, 'analyse', { inputs: { analysis: 'x', data_available: 'yes', category: 'general' } });
    await assert.rejects(step(env, it2, c.id, 'approve'), (e: any) => e instanceof AuthorizationError && /separation/.test(e.msg.en));
    await env.services.store.db.deleteFrom('duties').where('user_id', '=', (it2 as any).user.id).where('role', '=', 'data_owner').execute();
    await g.refresh('it');
  });

  it('missing part-1 fields are field errors in Thai and English; unknown process 409', async () => {
    const bad = await api(env, 'case_create', { process: 'information_request', organization: 'dopa', inputs: { requester_name: 'x' } }, { token: g.tokens.requester, lang: 'en' });
    assert.equal(bad.status, 409);
    for (const f of ['agency', 'purpose', 'legal_basis', 'email']) assert.ok(bad.json.error[f], f);
    const th = await api(env, 'case_create', { process: 'nope' }, { token: g.tokens.requester });
    assert.equal(th.status, 409);
    assert.ok(th.json.error.process);
    const anon = await api(env, 'case_create', { process: 'information_request', organization: 'dopa', inputs: requestForm() });
    assert.equal(anon.status, 403);
  });

  it('a data period that ends before it starts is a field error on its end, in Thai and English; a one-day period is fine', async () => {
    const bad = await api(env, 'case_create', { process: 'information_request', organization: 'dopa', inputs: requestForm({ period_from: '2026-12-31', period_to: '2026-01-01' }) }, { token: g.tokens.requester });
    assert.equal(bad.status, 409);
    assert.match(bad.json.error.period_to[0], /ต้องไม่ก่อน/);
    const en = await api(env, 'case_create', { process: 'information_request', organization: 'dopa', inputs: requestForm({ period_from: '2026-12-31', period_to: '2026-01-01' }) }, { token: g.tokens.requester, lang: 'en' });
    assert.match(en.json.error.period_to[0], /must not be before/);
    const ok = await api(env, 'case_create', { process: 'information_request', organization: 'dopa', inputs: requestForm({ period_from: '2026-06-01', period_to: '2026-06-01' }) }, { token: g.tokens.requester });
    assert.equal(ok.status, 200, JSON.stringify(ok.json?.error));
  });

  it('two approvers at once: exactly one wins', async () => {
    const c = await file();
    const it2 = await as(env, g.actors.it!, 'case_show', { id: c.id });
    const both = await Promise.allSettled([
      step(env, g.actors.it!, c.id, 'approve', { version: it2.version }),
      step(env, g.actors.it!, c.id, 'reject', { reason: 'ซ้ำ', version: it2.version }),
    ]);
    assert.equal(both.filter((b) => b.status === 'fulfilled').length, 1);
    assert.ok(both.some((b) => b.status === 'rejected' && b.reason instanceof ValidationError));
  });
});
