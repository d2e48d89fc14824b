import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { as, api, STORE_KIND } from '../helpers.ts';
import { grantFor } from '../../src/access/grants.ts';
import { matchRow } from '../../src/access/row-condition.ts';
import { fixture, agreementInput, fails, type Fixture } from './agreements-fixture.ts';

let f: Fixture;
before(async () => { f = await fixture(); });
after(() => f.env.close());

const see = async (who: keyof Fixture['people'], id: string) => {
  try { await as(f.env, f.people[who], 'package_show', { id }); return 200; } catch (e) { return ['NotFoundError', 'AuthorizationError'].includes((e as Error).name) ? 404 : 500; }
};

test(`[${STORE_KIND}] agreement: draft → approval → approved → active issues a usable grant; terminate stops it at once`, async () => {
  const a = await as(f.env, f.people.owner, 'agreement_create', agreementInput(f));
  assert.equal(a.state, 'draft');
  assert.match(a.number, /^AGR-25\d\d-\d{6}$/);
  assert.equal(a.grants.length, 1);
  assert.equal(a.grants[0].usable, false);
  assert.equal(a.grants[0].scope, 'metadata', 'restricted fields: no whole-file downloads');
  assert.equal(await see('partner', f.dataset), 404, 'a draft gives nothing');
  assert.equal(await grantFor(f.env.services.store.db, f.people.partner, f.dataset, new Date()), null);

  const sub = await as(f.env, f.people.owner, 'agreement_transition', { id: a.id, transition: 'submit' });
  assert.equal(sub.state, 'approval', 'a non-MOU skips legal review');
  // separation of duties: the drafter cannot approve even if they held the duty; committee can
  const self = await fails(as(f.env, f.people.owner, 'agreement_transition', { id: a.id, transition: 'approve' }));
  assert.equal(self.constructor.name, 'WorkflowForbiddenError');
  const ok = await as(f.env, f.people.committee, 'agreement_transition', { id: a.id, transition: 'approve' });
  assert.equal(ok.state, 'approved');
  assert.equal(await see('partner', f.dataset), 404, 'approved is not yet in force');
  const act = await as(f.env, f.people.owner, 'agreement_transition', { id: a.id, transition: 'activate' });
  assert.equal(act.state, 'active');
  assert.equal(act.grants[0].usable, true);
  assert.equal(await see('partner', f.dataset), 200, 'the catalog enforces metadata visibility through the grant');
  assert.equal(await see('outsider', f.dataset), 404);
  const g = await grantFor(f.env.services.store.db, f.people.partner, f.dataset, new Date());
  assert.deepEqual(g?.fields, ['name', 'province']);
  assert.equal(matchRow(g!.row_condition!, { province: 'เชียงใหม่', age: '30' }), true);
  assert.equal(matchRow(g!.row_condition!, { province: 'เชียงใหม่', age: '12' }), false);
  // metadata grant: no file download
  const dl = await f.env.app.inject({ method: 'GET', url: f.fileUrl, headers: { authorization: f.tokens.partner_user! } });
  assert.notEqual(dl.statusCode, 200);

  // the partner's member may read the agreement; an outsider gets 404
  assert.equal((await as(f.env, f.people.partner, 'agreement_show', { id: a.id })).id, a.id);
  assert.equal((await fails(as(f.env, f.people.outsider, 'agreement_show', { id: a.id }))).name, 'NotFoundError');

  const bad = await fails(as(f.env, f.people.owner, 'agreement_terminate', { id: a.id, ground: 'whim', reason: '' }));
  assert.deepEqual(Object.keys({ ...bad.errors }).sort(), ['ground', 'reason']);
  assert.match(bad.errors.ground[0].th, /ไม่อยู่ในรายการ/);
  const t = await as(f.env, f.people.owner, 'agreement_terminate', { id: a.id, ground: 'no_longer_needed', reason: 'โครงการสิ้นสุด' });
  assert.equal(t.state, 'terminated');
  assert.equal(t.revoked_grants.length, 1);
  assert.equal(await see('partner', f.dataset), 404, 'terminated: access stops in the same instant');
  assert.equal(await grantFor(f.env.services.store.db, f.people.partner, f.dataset, new Date()), null);
  const mail = await f.env.services.store.db.selectFrom('mail_outbox').select(['to_address', 'subject']).where('subject', 'like', `%${a.number}%`).execute();
  assert.ok(mail.some((m) => m.to_address === 'owner@example.go.th'), JSON.stringify(mail));
  const audit = await f.env.services.store.db.selectFrom('audit_log').select('action').where('object_id', '=', a.id).execute();
  assert.deepEqual(audit.map((r) => r.action), ['agreement_create', 'agreement_transition', 'agreement_transition', 'agreement_transition', 'agreement_terminate']);
});

test(`[${STORE_KIND}] MOU goes through the legal officer; reject needs a reason and returns to draft; draft edits only`, async () => {
  const a = await as(f.env, f.people.it, 'agreement_create', agreementInput(f, { kind: 'mou' }));
  assert.equal((await as(f.env, f.people.it, 'agreement_transition', { id: a.id, transition: 'submit' })).state, 'legal_review');
  const early = await fails(as(f.env, f.people.committee, 'agreement_transition', { id: a.id, transition: 'approve' }));
  assert.equal(early.constructor.name, 'WorkflowForbiddenError', 'the committee cannot skip legal review');
  const noReason = await fails(as(f.env, f.people.legal, 'agreement_transition', { id: a.id, transition: 'reject' }));
  assert.ok(noReason.errors.reason[0].en);
  const edit = await fails(as(f.env, f.people.it, 'agreement_update', { id: a.id, title: 'x' }));
  assert.ok({ ...edit.errors }.state);
  assert.equal((await as(f.env, f.people.legal, 'agreement_transition', { id: a.id, transition: 'reject', reason: 'แก้ข้อ 4' })).state, 'draft');
  const up = await as(f.env, f.people.it, 'agreement_update', { id: a.id, title: 'ฉบับแก้ไข', items: [{ dataset: f.datasetName, fields: ['citizen_id', 'name', 'province', 'age', 'status'] }] });
  assert.equal(up.title, 'ฉบับแก้ไข');
  assert.equal(up.grants[0].scope, 'files', 'every field, every row: files may be served');
  await as(f.env, f.people.it, 'agreement_transition', { id: a.id, transition: 'submit' });
  assert.equal((await as(f.env, f.people.legal, 'agreement_transition', { id: a.id, transition: 'approve' })).state, 'approval');
  // the legal reviewer may not also approve
  await f.env.services.store.db.insertInto('duties').values({ group_id: f.org, user_id: (f.people.legal as any).user.id, role: 'governance_committee', created_by: null }).execute();
  const { actorFor } = await import('../helpers.ts');
  const legal2 = await actorFor(f.env, 'legal');
  assert.equal((await fails(as(f.env, legal2, 'agreement_transition', { id: a.id, transition: 'approve' }))).constructor.name, 'WorkflowForbiddenError');
  await as(f.env, f.people.committee, 'agreement_transition', { id: a.id, transition: 'approve' });
  await as(f.env, f.people.it, 'agreement_transition', { id: a.id, transition: 'activate' });
  const dl = await f.env.app.inject({ method: 'GET', url: f.fileUrl, headers: { authorization: f.tokens.partner_user! } });
  assert.equal(dl.statusCode, 200, 'a whole-dataset grant serves files');
  // A field added to the dictionary after approval was never agreed: the whole file is no longer served.
  const db = f.env.services.store.db;
  const res = await db.selectFrom('resources').select(['id', 'data_dictionary']).where('dataset_id', '=', f.dataset).executeTakeFirstOrThrow();
  const dict = (res.data_dictionary ?? []) as unknown[];
  await db.updateTable('resources').set({ data_dictionary: JSON.stringify([...dict, { name: 'income', type: 'number', personal_data: true }]) }).where('id', '=', res.id).execute();
  const grown = await f.env.app.inject({ method: 'GET', url: f.fileUrl, headers: { authorization: f.tokens.partner_user! } });
  assert.notEqual(grown.statusCode, 200, 'a field added after approval widened the grant');
  await db.updateTable('resources').set({ data_dictionary: JSON.stringify(dict) }).where('id', '=', res.id).execute();
  assert.equal((await f.env.app.inject({ method: 'GET', url: f.fileUrl, headers: { authorization: f.tokens.partner_user! } })).statusCode, 200);
  // out-of-order step: 409 with the allowed steps
  const wrong = await fails(as(f.env, f.people.committee, 'agreement_transition', { id: a.id, transition: 'approve' }));
  assert.equal(wrong.constructor.name, 'TransitionNotAllowedError');
  await as(f.env, f.people.it, 'agreement_terminate', { id: a.id, ground: 'breach_of_law', reason: 'ผิดเงื่อนไข' });
  const dl2 = await f.env.app.inject({ method: 'GET', url: f.fileUrl, headers: { authorization: f.tokens.partner_user! } });
  assert.notEqual(dl2.statusCode, 200, 'file downloads stop with the agreement');
});

test(`[${STORE_KIND}] field-level Thai/English errors: unknown fields, bad row condition, window, codes, legal basis`, async () => {
  const e = await fails(as(f.env, f.people.owner, 'agreement_create', agreementInput(f, {
    access_to: new Date(Date.now() - 86400_000 * 2).toISOString(), technology: 'carrier-pigeon', legal_basis: '', frequency_count: 0,
    items: [{ dataset: f.datasetName, fields: ['name', 'salary'], row_condition: "province = 'x' AND DROP TABLE users" }],
  })));
  const errs = { ...e.errors };
  assert.deepEqual(Object.keys(errs).sort(), ['access_to', 'frequency_count', 'items.0.fields', 'items.0.row_condition', 'legal_basis', 'technology']);
  assert.match(errs['items.0.fields'][0].th, /ไม่มีฟิลด์ "salary"/);
  assert.match(errs['items.0.fields'][0].en, /no field "salary"/);
  assert.match(errs['items.0.row_condition'][0].en, /Invalid row condition/);
  const unknownField = await fails(as(f.env, f.people.owner, 'agreement_create', agreementInput(f, { items: [{ dataset: f.datasetName, fields: ['name'], row_condition: 'password = 1' }] })));
  assert.match(unknownField.errors['items.0.row_condition'][0].en, /no field "password"/);
  // not an owner-side duty holder: 403; an editor (catalog role) drafts nothing
  assert.equal((await fails(as(f.env, f.people.editor, 'agreement_create', agreementInput(f)))).name, 'AuthorizationError');
  // JSON cannot pretend to be an upload
  const up = await fails(as(f.env, f.people.owner, 'agreement_create', agreementInput(f, { upload: { filename: 'x.pdf', key: '../../etc/passwd' } })));
  assert.ok({ ...up.errors }.upload);
  // over HTTP: 409 with messages in the caller's language
  const r = await api(f.env, 'agreement_create', agreementInput(f, { title: '' }), { token: f.tokens.owner, lang: 'en' });
  assert.equal(r.status, 409);
  assert.ok(r.json.error.title);
});

test(`[${STORE_KIND}] approval after the window has passed is refused`, async () => {
  const a = await as(f.env, f.people.owner, 'agreement_create', agreementInput(f, { access_from: new Date(Date.now() - 86400_000 * 10).toISOString(), access_to: new Date(Date.now() + 1500).toISOString() }));
  await as(f.env, f.people.owner, 'agreement_transition', { id: a.id, transition: 'submit' });
  await new Promise((r) => setTimeout(r, 1600));
  const e = await fails(as(f.env, f.people.committee, 'agreement_transition', { id: a.id, transition: 'approve' }));
  assert.ok({ ...e.errors }.access_to);
  const list = await as(f.env, f.people.partner, 'agreement_list', {});
  assert.ok(list.some((x: any) => x.id === a.id));
  assert.equal((await as(f.env, f.people.outsider, 'agreement_list', {})).length, 0);
});
