import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { testEnv, STORE_KIND, type TestEnv } from '../helpers.ts';
import { loadWorkflows } from '../../src/workflow/engine.ts';
import { letterFromCase } from '../../src/letters/from-case.ts';
import { renderDisclosureLetter } from '../../src/letters/disclosure.ts';
import { ValidationError } from '../../src/actions/errors.ts';
import { person, tx, failure } from '../workflow/helpers.ts';

const wf = loadWorkflows();
const poppler = spawnSync('pdftotext', ['-v']).status === 0;
let env: TestEnv;
before(async () => {
  env = await testEnv();
});
after(() => env.close());

const ctx = {
  agency: { name: 'การเคหะแห่งชาติ', address: ['๙๐๕ ถนนนวมินทร์ กรุงเทพมหานคร ๑๐๒๔๐'], unit: 'ฝ่ายเทคโนโลยีสารสนเทศ' },
  number: 'กคช ๐๕๐๑/๗',
  date: new Date('2026-12-01T03:00:00Z'),
  signer: { name: 'นายผู้ว่า การเคหะ', position: 'ผู้ว่าการการเคหะแห่งชาติ' },
};

test(`[${STORE_KIND}] a data-subject request that was delivered gives its evidence letter: verification, disclosure, DPO`, async () => {
  const requester = await person(env, 'somchai', ['requester']);
  const it = await person(env, 'it', ['it_officer']);
  const owner = await person(env, 'owner', ['data_owner']);
  const dpo = await person(env, 'dpo', ['dpo']);
  const step = (who: any, id: string, name: string, inputs: Record<string, unknown> = {}) => tx(env, (t) => wf.transition(t, who, id, name, { inputs }));
  const { case: c } = await tx(env, (t) => wf.create(t, requester, 'subject_request', { inputs: { subject_name: 'นายสมชาย รักดี', email: 's@example.com', details: 'ข้อมูลสัญญาเช่า' } }));
  await step(it, c.id, 'approve', { verification_method: 'id_card', national_id: '1101700230708', officer_name: 'นายตรวจ บัตรดี' });
  const early = await tx(env, (t) => wf.show(t, dpo, c.id));
  assert.ok((await failure(Promise.resolve().then(() => letterFromCase(early, ctx)))) instanceof ValidationError, 'nothing disclosed yet: no letter');
  await step(owner, c.id, 'prepare', { datasets: ['ทะเบียนผู้เช่า'], fields: ['ชื่อ', 'เลขที่สัญญา'], records_count: 3 });
  await step(dpo, c.id, 'approve');
  await step(it, c.id, 'deliver', { link_expires_on: '2026-12-08' });
  const view = await tx(env, (t) => wf.show(t, dpo, c.id));
  const letter = letterFromCase(view, { ...ctx, people: { [dpo.id!]: { name: 'นางคุ้มครอง ส่วนบุคคล', position: 'DPO' } } });
  assert.equal(letter.requester.verification.method, 'id_card');
  assert.equal(letter.requester.verification.officer, 'นายตรวจ บัตรดี');
  assert.equal(letter.requester.verification.reference, 'เลขประจำตัวประชาชน 1-xxxx-xxxxx-70-8');
  assert.deepEqual(letter.disclosed, [{ dataset: 'ทะเบียนผู้เช่า', fields: ['ชื่อ', 'เลขที่สัญญา'], records: 3 }]);
  assert.deepEqual(letter.approvers.map((a) => [a.role, a.name]), [['เจ้าหน้าที่คุ้มครองข้อมูลส่วนบุคคล (DPO)', 'นางคุ้มครอง ส่วนบุคคล']]);
  assert.equal(letter.request.number, c.number);
  const pdf = await renderDisclosureLetter(letter);
  if (!poppler) return;
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lfc-')), 'l.pdf');
  fs.writeFileSync(file, pdf);
  const text = execFileSync('pdftotext', [file, '-'], { encoding: 'utf8' }).replace(/\s+/g, '');
  // Lines break between words, so compare without white space.
  for (const s of [c.number, 'นายสมชาย รักดี', 'นายตรวจ บัตรดี', 'การตรวจบัตรประจำตัวประชาชนโดยเจ้าหน้าที่', 'นางคุ้มครอง ส่วนบุคคล']) assert.ok(text.includes(s.replace(/\s+/g, '')), `missing ${s}`);
});

test(`[${STORE_KIND}] an information request whose exchange was recorded: requester, receipt, owner and CDO as approvers`, async () => {
  const requester = await person(env, 'somying', ['requester']);
  const it = await person(env, 'it2', ['it_officer']);
  const owner = await person(env, 'owner2', ['data_owner']);
  const cdo = await person(env, 'cdo2', ['cdo']);
  const step = (who: any, id: string, name: string, inputs: Record<string, unknown> = {}) => tx(env, (t) => wf.transition(t, who, id, name, { inputs }));
  const { case: c } = await tx(env, (t) => wf.create(t, requester, 'information_request', { inputs: {
    requester_name: 'นางสาวสมหญิง ใจดี', requester_kind: 'government', agency: 'กรมการปกครอง', position: 'นักวิเคราะห์', email: 'a@dopa.example.go.th',
    legal_basis: 'มาตรา 13', purpose: 'ตรวจสอบสิทธิที่อยู่อาศัย', datasets: ['ทะเบียนผู้เช่า'], fields: ['เลขที่สัญญา'], frequency: 'once', format: 'CSV', technology: 'rest' } }));
  await step(it, c.id, 'approve');
  await step(owner, c.id, 'analyse', { analysis: 'เปิดเผยได้', data_available: 'yes', category: 'general', conditions: 'ใช้ภายในหน่วยงานเท่านั้น' });
  await step(owner, c.id, 'approve');
  await step(cdo, c.id, 'approve');
  await step(it, c.id, 'record_exchange', { result: 'ส่งแล้ว', delivered_on: '2026-12-01', records_count: 1520, method: 'rest' });
  const letter = letterFromCase(await tx(env, (t) => wf.show(t, cdo, c.id)), { ...ctx, to: 'อธิบดีกรมการปกครอง' });
  assert.equal(letter.requester.agency, 'กรมการปกครอง');
  assert.equal(letter.requester.verification.method, 'official_letter');
  assert.match(letter.requester.verification.reference!, /ลงรับโดย it2/);
  assert.deepEqual(letter.approvers.map((a) => a.role), ['เจ้าของข้อมูล', 'ผู้บริหารข้อมูลระดับสูง (CDO)']);
  assert.deepEqual(letter.disclosed, [{ dataset: 'ทะเบียนผู้เช่า', fields: ['เลขที่สัญญา'], records: 1520 }]);
  assert.equal(letter.conditions, 'ใช้ภายในหน่วยงานเท่านั้น');
  assert.equal(letter.request.title, 'ตรวจสอบสิทธิที่อยู่อาศัย');
  assert.ok((await renderDisclosureLetter(letter)).length > 10_000);
});
