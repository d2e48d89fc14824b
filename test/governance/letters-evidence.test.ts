import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { as, testEnv, STORE_KIND, type TestEnv } from '../helpers.ts';
import { PageClient } from '../web/client.ts';
import { governanceWorld, requestForm, step, type Gov } from './cases-fixture.ts';

const HAVE_PDFTOTEXT = (() => {
  try {
    execFileSync('pdftotext', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** The evidence letter of a finished P2 request: from the case's facts and events, Thai text recoverable. */
describe(`[${STORE_KIND}] evidence letter of a case`, () => {
  let env: TestEnv;
  let g: Gov;
  let caseId = '';
  let number = '';
  before(async () => {
    env = await testEnv({}, { web: true });
    g = await governanceWorld(env);
    const c = await as(env, g.actors.requester!, 'case_create', { process: 'information_request', organization: 'dopa', inputs: requestForm() });
    caseId = c.id;
    number = c.number;
    await step(env, g.actors.it!, c.id, 'approve');
    await step(env, g.actors.owner!, c.id, 'analyse', { inputs: { analysis: 'ครบ', data_available: 'yes', category: 'general', conditions: 'ใช้เพื่อจัดทำสถิติเท่านั้น' } });
    await step(env, g.actors.owner!, c.id, 'approve');
    await step(env, g.actors.cdo!, c.id, 'approve');
    await step(env, g.actors.it!, c.id, 'record_exchange', { inputs: { result: 'ส่งแล้ว', delivered_on: '2026-12-01', records_count: 77, method: 'file_transfer' } });
  });
  after(() => env.close());

  it('names the agency, the request, the requester, the approvers; pdftotext gives the Thai back', { skip: HAVE_PDFTOTEXT ? false : 'pdftotext (poppler-utils) is missing' }, async () => {
    const r = await as(env, g.actors.requester!, 'evidence_letter_show', { id: caseId });
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'letter-')), 'l.pdf');
    fs.writeFileSync(file, Buffer.from(r.data, 'base64'));
    const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
    for (const s of ['กระทรวงมหาดไทย', 'นางสาวสมหญิง ใจดี', 'สำนักงานสถิติแห่งชาติ', 'ผู้บริหารข้อมูลระดับสูง (CDO)', 'เจ้าของข้อมูล', 'ใช้เพื่อจัดทำสถิติเท่านั้น']) assert.ok(text.includes(s), `${s} in:\n${text}`);
    assert.ok(text.includes(number) || text.replace(/[๐-๙]/g, (d) => String('๐๑๒๓๔๕๖๗๘๙'.indexOf(d))).includes(number), 'the request number');
  });

  it('the case page offers it; the PDF downloads as an attachment for the requester and IT, 404 for others', async () => {
    const c = new PageClient(env.app);
    await c.signIn('requester', 'correct horse battery');
    const pageRes = await c.get(`/governance/cases/${caseId}`);
    assert.match(pageRes.body, new RegExp(`href="/governance/cases/${caseId}/letter.pdf"`));
    const pdf = await c.get(`/governance/cases/${caseId}/letter.pdf`);
    assert.equal(pdf.statusCode, 200);
    assert.equal(pdf.headers['content-type'], 'application/pdf');
    assert.match(String(pdf.headers['content-disposition']), /^attachment; filename="evidence-REQ-/);
    assert.equal(pdf.rawPayload.subarray(0, 5).toString(), '%PDF-');
    const s = new PageClient(env.app);
    await s.signIn('stranger', 'correct horse battery');
    assert.equal((await s.get(`/governance/cases/${caseId}/letter.pdf`)).statusCode, 404);
    const n = await env.services.store.db.selectFrom('audit_log').select('actor_name').where('action', '=', 'evidence_letter_show').where('object_id', '=', caseId).execute();
    assert.ok(n.some((x) => x.actor_name === 'requester'));
  });
});
