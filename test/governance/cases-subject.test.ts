import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { api, as, testEnv, STORE_KIND, type TestEnv } from '../helpers.ts';
import { governanceWorld, step, type Gov } from './cases-fixture.ts';
import { NotFoundError, ValidationError } from '../../src/actions/errors.ts';

/** A valid 13-digit Thai citizen id: twelve digits and their check digit. */
export function thaiId(twelve: string): string {
  const sum = [...twelve].reduce((s, d, i) => s + Number(d) * (13 - i), 0);
  return twelve + String((11 - (sum % 11)) % 10);
}

/** Data-subject request (rule 1): verification recorded before disclosure, answer by one-time link. */
describe(`[${STORE_KIND}] data-subject request`, () => {
  let env: TestEnv;
  let g: Gov;
  before(async () => {
    env = await testEnv();
    g = await governanceWorld(env);
  });
  after(() => env.close());

  const file = () => as(env, g.actors.requester!, 'case_create', { process: 'subject_request', organization: 'dopa', inputs: { subject_name: 'นางสาวสมหญิง ใจดี', email: 'somying@nso.go.th', details: 'ขอสำเนาข้อมูลทะเบียนบ้านของข้าพเจ้า' } });
  const tomorrow = () => new Date(Date.now() + 86400_000).toISOString().slice(0, 10);

  async function toDelivery() {
    const c = await file();
    assert.match(c.number, /^DSR-25\d\d-\d{6}$/);
    // A wrong check digit is refused, field by field; the officer must be named.
    const id = thaiId('110170020345');
    const wrong = id.slice(0, 12) + String((Number(id[12]) + 1) % 10);
    await assert.rejects(step(env, g.actors.it!, c.id, 'approve', { inputs: { verification_method: 'id_card', national_id: wrong } }), (e: any) => e instanceof ValidationError && 'national_id' in { ...e.errors } && 'officer_name' in { ...e.errors });
    const v = await step(env, g.actors.it!, c.id, 'approve', { inputs: { verification_method: 'id_card', national_id: id, officer_name: 'นายตรวจ บัตรดี' } });
    assert.equal(v.state, 'owner_prepare');
    assert.equal(v.facts.verification_method, 'id_card');
    await step(env, g.actors.owner!, c.id, 'prepare', { inputs: { datasets: ['ทะเบียนบ้าน'], fields: ['ที่อยู่'], records_count: 1 } });
    await step(env, g.actors.dpo!, c.id, 'approve');
    return c;
  }

  it('verified by ID card → owner prepares → DPO approves → delivered by a one-time link to the requester only', async () => {
    const c = await toDelivery();
    await assert.rejects(step(env, g.actors.it!, c.id, 'deliver', { inputs: { link_expires_on: '2020-01-01' } }), (e: any) => 'link_expires_on' in { ...e.errors });
    const d = await step(env, g.actors.it!, c.id, 'deliver', { inputs: { link_expires_on: tomorrow() } });
    assert.equal(d.state, 'delivered');
    // The officer who delivers never sees the token; it goes to the requester's inbox.
    assert.equal(JSON.stringify(d).includes('/governance/answer/'), false);
    const inbox = await as(env, g.actors.requester!, 'notification_list', {});
    const n = inbox.results.find((x: any) => x.case_id === c.id && x.url.includes('/governance/answer/'));
    assert.ok(n, 'the requester has the link');
    const token = n.url.split('/').pop();
    const itInbox = await as(env, g.actors.it!, 'notification_list', {});
    assert.equal(itInbox.results.some((x: any) => x.url.includes(token)), false);
    // Another signed-in person with the token gets nothing, and the link stays usable for its owner.
    const other = await api(env, 'case_answer_download', { token }, { token: g.tokens.stranger });
    assert.equal(other.status, 404);
    const got = await as(env, g.actors.requester!, 'case_answer_download', { token });
    assert.equal(got.content_type, 'application/pdf');
    assert.equal(Buffer.from(got.data, 'base64').subarray(0, 5).toString(), '%PDF-');
    await assert.rejects(as(env, g.actors.requester!, 'case_answer_download', { token }), NotFoundError);
    const audit = await env.services.store.db.selectFrom('audit_log').select('action').where('object_id', '=', c.id).execute();
    assert.ok(audit.some((a) => a.action === 'case_answer_download'));
    assert.ok(audit.some((a) => a.action === 'case_answer_refused'));
    // The verification is recorded (method, officer) and the ID number kept masked, even for staff.
    const staff = await as(env, g.actors.it!, 'case_show', { id: c.id });
    assert.equal(staff.events[1].inputs.officer_name, 'นายตรวจ บัตรดี');
    assert.doesNotMatch(JSON.stringify(staff), /\d{13}/);
  });

  it('only holders of the roles the process names see it: a data creator of the same organisation gets 404', async () => {
    const c = await file();
    await assert.rejects(as(env, g.actors.creator!, 'case_show', { id: c.id }), NotFoundError);
    assert.equal((await as(env, g.actors.creator!, 'case_list', { process: 'subject_request' })).count, 0);
    assert.ok((await as(env, g.actors.dpo!, 'case_list', { process: 'subject_request' })).results.some((r: any) => r.id === c.id));
  });

  it('an expired link answers 404', async () => {
    const c = await toDelivery();
    await step(env, g.actors.it!, c.id, 'deliver', { inputs: { link_expires_on: tomorrow() } });
    const inbox = await as(env, g.actors.requester!, 'notification_list', {});
    const token = inbox.results.find((x: any) => x.case_id === c.id && x.url.includes('/governance/answer/')).url.split('/').pop();
    await env.services.store.db.updateTable('case_links').set({ expires: new Date(Date.now() - 1000) }).where('case_id', '=', c.id).execute();
    await assert.rejects(as(env, g.actors.requester!, 'case_answer_download', { token }), NotFoundError);
  });

  it('Digital ID verification; rejections at verification, owner and DPO; withdraw', async () => {
    const c = await file();
    const v = await step(env, g.actors.dpo!, c.id, 'approve', { inputs: { verification_method: 'digital_id', digital_id_subject: 'did:th:123456' } });
    assert.equal(v.state, 'owner_prepare');
    assert.equal((await step(env, g.actors.owner!, c.id, 'reject', { reason: 'ไม่พบข้อมูลของผู้ขอ' })).state, 'rejected');

    const a = await file();
    assert.equal((await step(env, g.actors.it!, a.id, 'reject', { reason: 'ยืนยันตัวตนไม่ได้' })).state, 'rejected');
    const b = await toDelivery().catch(() => null);
    assert.ok(b);
    const d = await file();
    await step(env, g.actors.it!, d.id, 'approve', { inputs: { verification_method: 'digital_id', digital_id_subject: 'did:th:1' } });
    await step(env, g.actors.owner!, d.id, 'prepare', { inputs: { datasets: ['x'], records_count: 1 } });
    assert.equal((await step(env, g.actors.dpo!, d.id, 'reject', { reason: 'ข้อมูลของบุคคลอื่นปะปน' })).state, 'rejected');
    const w = await file();
    assert.equal((await step(env, g.actors.requester!, w.id, 'withdraw')).state, 'withdrawn');
  });

  it('the evidence letter: a PDF for the case\'s people, audited; 409 before the end; 404 for others', async () => {
    const c = await toDelivery();
    const early = await api(env, 'evidence_letter_show', undefined, { token: g.tokens.requester, query: { id: c.id } });
    assert.equal(early.status, 409);
    await step(env, g.actors.it!, c.id, 'deliver', { inputs: { link_expires_on: tomorrow() } });
    const letter = await api(env, 'evidence_letter_show', undefined, { token: g.tokens.requester, query: { id: c.number } });
    assert.equal(letter.status, 200);
    assert.equal(Buffer.from(letter.json.result.data, 'base64').subarray(0, 5).toString(), '%PDF-');
    assert.equal((await api(env, 'evidence_letter_show', undefined, { token: g.tokens.stranger, query: { id: c.id } })).status, 404);
    assert.equal((await api(env, 'evidence_letter_show', undefined, { query: { id: c.id } })).status, 404);
    const audit = await env.services.store.db.selectFrom('audit_log').select('action').where('object_id', '=', c.id).where('action', '=', 'evidence_letter_show').execute();
    assert.equal(audit.length, 1);
  });
});
