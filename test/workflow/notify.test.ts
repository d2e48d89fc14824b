import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { testEnv, STORE_KIND, type TestEnv } from '../helpers.ts';
import { loadWorkflows } from '../../src/workflow/engine.ts';
import { queueTransitionMail, type RecipientResolver } from '../../src/workflow/notify.ts';
import type { WorkflowActor } from '../../src/workflow/types.ts';
import { person, tx } from './helpers.ts';

const wf = loadWorkflows();
let env: TestEnv;
let requester: WorkflowActor, it: WorkflowActor;

before(async () => {
  env = await testEnv();
  requester = await person(env, 'requester', ['requester']);
  it = await person(env, 'it', ['it_officer']);
});
after(() => env.close());

const people: Record<string, { email: string; name: string; lang?: 'th' | 'en' }[]> = {
  it_officer: [{ email: 'it@nha.example.go.th', name: 'ทส.' }],
  creator: [{ email: 'somying@dopa.example.go.th', name: 'คุณสมหญิง' }],
  data_owner: [{ email: 'owner@nha.example.go.th', name: 'Owner', lang: 'en' }, { email: 'dir@nha.example.go.th', name: 'ผอ.' }, { email: 'Owner@NHA.example.go.th', name: 'same person again' }],
};
const resolve: RecipientResolver = async (role) => people[role] ?? [];
const opts = { siteTitle: 'บัญชีข้อมูล', caseUrl: (c: { number: string }) => `https://catalog.example.go.th/case/${c.number}` };

test(`[${STORE_KIND}] a step's notify list becomes outbox mail in the same transaction: waiting, update, outcome`, async () => {
  const part1 = { requester_name: 'สมหญิง', requester_kind: 'government', agency: 'กรมการปกครอง', position: 'นักวิเคราะห์', email: 'somying@dopa.example.go.th', legal_basis: 'มาตรา 13', purpose: 'ตรวจสิทธิ', datasets: ['ทะเบียนผู้เช่า'], frequency: 'once', format: 'CSV', technology: 'rest' };
  const created = await tx(env, async (t) => {
    const r = await wf.create(t, requester, 'information_request', { inputs: part1 });
    assert.equal(await queueTransitionMail(t, wf, r, resolve, opts), 1);
    return r;
  });
  const received = await tx(env, async (t) => {
    const r = await wf.transition(t, it, created.case.id, 'approve');
    // creator + the two data owners
    assert.equal(await queueTransitionMail(t, wf, r, resolve, opts), 3);
    assert.deepEqual(wf.waitingRoles(r.case), ['data_owner', 'data_steward'], 'the requester may withdraw, but nobody waits for that');
    return r;
  });
  await tx(env, async (t) => {
    const r = await wf.transition(t, requester, received.case.id, 'withdraw');
    assert.deepEqual(r.notify, []);
  });
  const rows = await env.services.store.db.selectFrom('mail_outbox').selectAll().orderBy('created').execute();
  const by = (to: string) => rows.filter((r) => r.to_address === to);
  assert.equal(by('it@nha.example.go.th')[0]!.template, 'case_waiting', 'IT acts on a new request');
  assert.match(by('it@nha.example.go.th')[0]!.subject, /^\[REQ-25\d\d-\d{6}\] รอการดำเนินการของท่าน: คำขอข้อมูลข่าวสาร/);
  assert.equal(by('somying@dopa.example.go.th')[0]!.template, 'case_update');
  assert.match(by('somying@dopa.example.go.th')[0]!.body, /ได้รับการดำเนินการ "ตรวจครบถ้วน ลงรับคำขอ" โดย it/);
  const owner = by('owner@nha.example.go.th')[0]!;
  assert.equal(owner.template, 'case_waiting');
  assert.equal(owner.lang, 'en');
  assert.match(owner.subject, /Waiting for you: Information/);
  assert.ok(owner.body.includes(`https://catalog.example.go.th/case/${created.case.number}`));
  const jobs = await env.services.store.db.selectFrom('jobs').select('id').where('queue', '=', 'mail').execute();
  assert.equal(jobs.length, 4);
  assert.equal(by('Owner@NHA.example.go.th').length, 0, 'one message per address');
});
