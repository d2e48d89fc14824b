import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { as, testEnv, STORE_KIND, type TestEnv } from '../helpers.ts';
import { ANONYMOUS } from '../../src/access/actor.ts';
import { governanceWorld, step, type Gov } from './cases-fixture.ts';
import { NotFoundError, ValidationError } from '../../src/actions/errors.ts';
import { WorkflowForbiddenError } from '../../src/workflow/errors.ts';

const MEMO = 'ขอให้หน่วยงานแจ้งความต้องการเชื่อมโยงข้อมูลปีถัดไป และทบทวนการเชื่อมโยงเดิม';
const MANUAL = (n: string) => ({ title_th: `คู่มือการบูรณาการเชื่อมโยงข้อมูล ฉบับ ${n}`, title_en: `Integration manual, edition ${n}`, body_th: 'นโยบายการเชื่อมโยง กระบวนการ เกณฑ์การคัดเลือกหน่วยงาน แผนปฏิบัติการ แผนการสื่อสาร', body_en: 'Linkage policy, processes, partner selection, action plan, communication plan', change_note: `ปรับปรุงกระบวนการ ${n}` });

/** P7, the yearly review of the integration manual: memo → replies per unit → summary → ISMS (CDO) → committee → new version. */
describe(`[${STORE_KIND}] P7 annual review`, () => {
  let env: TestEnv;
  let g: Gov;
  before(async () => {
    env = await testEnv();
    g = await governanceWorld(env);
  });
  after(() => env.close());

  const open = (year = 2569) => as(env, g.actors.it!, 'case_create', { process: 'annual_review', organization: 'moi', inputs: { review_year: year, memo: MEMO, reply_by: '2026-12-31' } });
  const reply = (a = g.actors.owner!, id: string, extra: Record<string, unknown> = {}) => as(env, a, 'annual_review_reply', { id, unit: 'dopa', needs: 'เชื่อมโยงทะเบียนราษฎร์กับ สสช. รายเดือน', linkage_review: 'การเชื่อมโยงเดิมกับกรมที่ดินยังใช้อยู่', ...extra });

  it('memo to every unit, a reply per unit, summary, ISMS approval, committee signs: manual version 1 published and announced', async () => {
    const c = await open();
    assert.match(c.number, /^REV-25\d\d-\d{6}$/);
    assert.equal(c.state, 'collecting');
    assert.deepEqual(c.facts.units.map((u: any) => u.name), ['dopa']);
    // The unit's owner and steward got the memo in their inbox and by mail, with the reply link.
    const inbox = await as(env, g.actors.owner!, 'notification_list', {});
    const memo = inbox.results.find((n: any) => n.case_id === c.id);
    assert.ok(memo && memo.url.endsWith(`/governance/reviews/${c.id}/reply/dopa`));
    const mail = await env.services.store.db.selectFrom('mail_outbox').select('to_address').where('subject', 'like', `%${c.number}%`).execute();
    assert.ok(mail.some((m) => m.to_address === 'owner@example.go.th') && mail.some((m) => m.to_address === 'steward@example.go.th'));

    // Summary before any reply: a field error, nothing written.
    await assert.rejects(step(env, g.actors.it!, c.id, 'summarise', { inputs: { summary: 'สรุปความต้องการของหน่วยงาน' } }), (e: any) => e instanceof ValidationError && !!(e.errors as any).replies);
    const shown = await as(env, g.actors.owner!, 'annual_review_reply_show', { id: c.id, unit: 'dopa' });
    assert.equal(shown.memo, MEMO);
    assert.equal(shown.reply, null);
    await reply(g.actors.owner!, c.id);
    // Corrected while replies are open: still one row for the unit.
    const again = await reply(g.actors.steward!, c.id, { needs: 'เชื่อมโยงทะเบียนราษฎร์กับ สสช. รายไตรมาส' });
    assert.equal(again.corrected, true);
    const rows = await env.services.store.db.selectFrom('annual_review_replies').selectAll().where('case_id', '=', c.id).execute();
    assert.equal(rows.length, 1);
    assert.match(rows[0]!.needs, /รายไตรมาส/);

    let r = await step(env, g.actors.it!, c.id, 'summarise', { inputs: { summary: 'หน่วยงาน 1 แห่งต้องการเชื่อมโยงเพิ่ม 1 รายการ' } });
    assert.equal(r.state, 'manual_revision');
    assert.equal(r.facts.replies_count, 1);
    assert.equal(r.replies.length, 1);
    await assert.rejects(reply(g.actors.owner!, c.id), (e: any) => e instanceof ValidationError && !!(e.errors as any).state);

    r = await step(env, g.actors.it!, c.id, 'draft_manual', { inputs: MANUAL('1') });
    assert.equal(r.state, 'isms_approval');
    assert.equal(r.document.state, 'draft');
    // The drafter may not approve it, nor may a unit's owner (no CDO duty).
    await assert.rejects(step(env, g.actors.owner!, c.id, 'approve'), (e: any) => e instanceof WorkflowForbiddenError || e instanceof NotFoundError);
    r = await step(env, g.actors.cdo!, c.id, 'approve');
    assert.equal(r.state, 'committee_signing');
    r = await step(env, g.actors.committee!, c.id, 'approve');
    assert.equal(r.state, 'published');
    assert.equal(r.terminal, true);
    assert.equal(r.document.state, 'published');
    assert.equal(r.document.version, 1);

    const list = await as(env, ANONYMOUS, 'policy_document_list', { organization: 'moi', kind: 'integration_manual' });
    assert.deepEqual(list.results.map((d: any) => [d.version, d.state, d.title]), [[1, 'published', 'คู่มือการบูรณาการเชื่อมโยงข้อมูล ฉบับ 1']]);
    const audit = await env.services.store.db.selectFrom('audit_log').select(['action', 'detail']).where('object_id', '=', c.id).orderBy('seq').execute();
    assert.deepEqual(audit.map((a) => a.action), ['case_create', 'annual_review_reply', 'annual_review_reply', 'case_transition', 'case_transition', 'case_transition', 'case_transition']);
    // Announced: the unit's owner hears the outcome.
    assert.ok((await as(env, g.actors.owner!, 'notification_list', {})).results.some((n: any) => n.case_id === c.id && n.kind === 'case_closed'));
    // The case page links the manual it applies (now the published version).
    const after = await as(env, g.actors.it!, 'case_show', { id: c.id });
    assert.ok(after.policies.some((p: any) => p.kind === 'integration_manual' && p.version === 1));
  });

  it('the ISMS team and the committee send the draft back; the redraft is the same document; next year supersedes', async () => {
    const c = await open(2570);
    await reply(g.actors.owner!, c.id);
    await step(env, g.actors.it!, c.id, 'summarise', { inputs: { summary: 'สรุปความต้องการของหน่วยงานประจำปี' } });
    const d1 = await step(env, g.actors.it!, c.id, 'draft_manual', { inputs: MANUAL('2 ร่าง') });
    await assert.rejects(step(env, g.actors.cdo!, c.id, 'reject'), (e: any) => e instanceof ValidationError && !!(e.errors as any).reason);
    let r = await step(env, g.actors.cdo!, c.id, 'reject', { reason: 'ยังไม่ได้ปรับแผนการสื่อสาร' });
    assert.equal(r.state, 'manual_revision');
    r = await step(env, g.actors.it!, c.id, 'draft_manual', { inputs: MANUAL('2') });
    assert.equal(r.document.id, d1.document.id);
    await step(env, g.actors.cdo!, c.id, 'approve');
    r = await step(env, g.actors.committee!, c.id, 'reject', { reason: 'แก้ถ้อยคำ' });
    assert.equal(r.state, 'manual_revision');
    await step(env, g.actors.it!, c.id, 'draft_manual', { inputs: MANUAL('2 แก้ไข') });
    // The CDO who approved before may approve again; the committee signs.
    await step(env, g.actors.cdo!, c.id, 'approve');
    r = await step(env, g.actors.committee!, c.id, 'approve');
    assert.equal(r.document.version, 2);
    const hist = await as(env, ANONYMOUS, 'policy_document_list', { organization: 'moi', kind: 'integration_manual', history: true });
    assert.deepEqual(hist.results.map((d: any) => [d.version, d.state]), [[2, 'published'], [1, 'superseded']]);
    const current = await as(env, ANONYMOUS, 'policy_document_list', { organization: 'moi', kind: 'integration_manual' });
    assert.deepEqual(current.results.map((d: any) => d.version), [2]);
    const shown = await as(env, ANONYMOUS, 'policy_document_show', { id: r.document.id });
    assert.equal(shown.title_th, 'คู่มือการบูรณาการเชื่อมโยงข้อมูล ฉบับ 2 แก้ไข');
    assert.deepEqual(shown.history.map((h: any) => h.version), [2, 1]);
    assert.equal(shown.case_id, undefined, 'the public does not get the case');
  });

  it('cancel while collecting and after the summary; the draft is withdrawn, never published', async () => {
    const a = await open(2571);
    const r = await step(env, g.actors.it!, a.id, 'cancel', { reason: 'รวมกับรอบถัดไป' });
    assert.equal(r.state, 'cancelled');
    const b = await open(2571);
    await reply(g.actors.owner!, b.id);
    await step(env, g.actors.it!, b.id, 'summarise', { inputs: { summary: 'สรุปความต้องการของหน่วยงาน' } });
    const dr = await step(env, g.actors.it!, b.id, 'draft_manual', { inputs: MANUAL('ยกเลิก') });
    await step(env, g.actors.cdo!, b.id, 'reject', { reason: 'ไม่จำเป็นต้องปรับปีนี้' });
    const x = await step(env, g.actors.cdo!, b.id, 'cancel', { reason: 'ทบทวนแล้วไม่มีการปรับปรุง' });
    assert.equal(x.state, 'cancelled');
    const doc = await env.services.store.db.selectFrom('policy_documents').select(['state', 'version']).where('id', '=', dr.document.id).executeTakeFirstOrThrow();
    assert.deepEqual(doc, { state: 'withdrawn', version: null });
    await assert.rejects(as(env, ANONYMOUS, 'policy_document_show', { id: dr.document.id }), NotFoundError);
  });

  it('wrong people: only IT opens it, only the unit replies, strangers get 404', async () => {
    await assert.rejects(as(env, g.actors.owner!, 'case_create', { process: 'annual_review', organization: 'moi', inputs: { review_year: 2569, memo: MEMO, reply_by: '2026-12-31' } }), WorkflowForbiddenError);
    await assert.rejects(as(env, g.actors.it!, 'case_create', { process: 'annual_review', organization: 'moi', inputs: { review_year: 12, memo: 'x' } }), (e: any) => e instanceof ValidationError && ['review_year', 'memo', 'reply_by'].every((k) => (e.errors as any)[k]));
    const c = await open(2572);
    await assert.rejects(reply(g.actors.stranger!, c.id), NotFoundError);
    await assert.rejects(reply(g.actors.owner!, c.id, { unit: 'nso' }), NotFoundError);
    await assert.rejects(as(env, g.actors.stranger!, 'case_show', { id: c.id }), NotFoundError);
    await assert.rejects(reply(g.actors.owner!, c.id, { needs: '' }), (e: any) => e instanceof ValidationError && !!(e.errors as any).needs);
    await assert.rejects(as(env, g.actors.it!, 'case_transition', { id: c.id, transition: 'approve' }), (e: any) => e instanceof ValidationError && Array.isArray((e as any).next));
  });
});
