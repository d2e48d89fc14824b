import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { as, STORE_KIND, SERVER_URL } from '../helpers.ts';
import { runLookup, LookupRateLimited } from '../../src/exchange/lookup/run.ts';
import { citizenRef } from '../../src/exchange/lookup/citizen-ref.ts';
import { fixture, agreementInput, fails, type Fixture } from '../governance/agreements-fixture.ts';
import { upload, runLoads } from '../datastore/helpers.ts';
import { startSources, PAID, type Sources } from './sources.ts';
import { openServices } from '../../src/services.ts';

const PENDING = '3101700230704';
const UNKNOWN = '5101700230701';
const statuses = { PAID: 'received', PENDING: 'not_yet', NO: 'not_eligible' };

let f: Fixture;
let src: Sources;
let agreement: string;
before(async () => {
  f = await fixture();
  src = await startSources();
  const a = await as(f.env, f.people.owner, 'agreement_create', agreementInput(f));
  await as(f.env, f.people.owner, 'agreement_transition', { id: a.id, transition: 'submit' });
  await as(f.env, f.people.committee, 'agreement_transition', { id: a.id, transition: 'approve' });
  await as(f.env, f.people.owner, 'agreement_transition', { id: a.id, transition: 'activate' });
  agreement = a.id;
  const rest = (url: string, extra: Record<string, unknown> = {}) => ({ preset: 'rest', url: `${url}/benefit/{citizen_id}`, method: 'GET', timeout_ms: 8000, status_field: 'data.status', statuses, detail_field: 'data.amount', on_404: 'not_eligible', ...extra });
  const mk = (name: string, title: string, connector: unknown, secret?: string) => as(f.env, f.people.it, 'lookup_source_create', { name, title_th: title, title_en: name, organization: 'nha', dataset: 'tenants', connector, ...(secret ? { secret } : {}) });
  await mk('a-good', 'เบี้ยยังชีพผู้สูงอายุ', rest(src.good), 'Bearer source-token');
  await mk('b-slow', 'ค่าภัยแล้ง', rest(src.slow, { timeout_ms: 1000 }));
  await mk('c-broken', 'เงินคนพิการ', rest(src.broken));
  await mk('d-badjson', 'ค่าปุ๋ย', rest(src.badJson));
  // Another banchi: the preset asks this instance's own DataStore over real HTTP.
  await f.env.app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(f.env.app.server.address() as { port: number }).port}`;
  const res = await upload(f.env, f.tokens.editor!, { package_id: 'tenants', name: 'สิทธิผู้เช่า' }, 'rights.csv', `citizen_id,status\n${PAID},received\n${PENDING},waiting\n`);
  await f.env.services.store.db.updateTable('resources').set({ data_dictionary: JSON.stringify([{ name: 'citizen_id', type: 'text', description_th: '', description_en: '', unit: '', example: '', personal_data: false }, { name: 'status', type: 'text', description_th: '', description_en: '', unit: '', example: '', personal_data: false }]) }).where('id', '=', res.id).execute();
  await as(f.env, f.people.editor, 'datastore_load', { resource_id: res.id });
  await runLoads(f.env);
  await mk('e-banchi', 'สิทธิเช่าบ้านการเคหะ', { preset: 'banchi_datastore', base_url: base, resource_id: res.id, id_field: 'citizen_id', status_field: 'status', statuses: { received: 'received', waiting: 'not_yet' }, timeout_ms: 8000 }, f.tokens.editor);
});
after(async () => {
  await src.close();
  await f.env.close();
});

const caller = () => ({ actor: f.people.partner, ip: '10.0.0.9' });
const ask = (cid: string, over: Record<string, unknown> = {}) => runLookup(f.env.services, caller(), { citizen_id: cid, purpose: 'welfare_eligibility', legal_basis: 'pdpa_24_4', ...over });

test(`[${STORE_KIND}] sources are checked when registered; only IT officers of the provider keep them`, async () => {
  const bad = await fails(as(f.env, f.people.it, 'lookup_source_create', { name: 'X', organization: 'nha', dataset: 'nope', connector: { preset: 'rest', url: 'ftp://x', method: 'PUT', status_field: 'a..b', statuses: { A: 'maybe' }, timeout_ms: 99999 } }));
  assert.deepEqual(Object.keys({ ...bad.errors }).sort(), ['connector.method', 'connector.status_field', 'connector.statuses.A', 'connector.timeout_ms', 'connector.url', 'dataset', 'name', 'title_en', 'title_th']);
  assert.equal((await fails(as(f.env, f.people.partner, 'lookup_source_create', { name: 'x1', organization: 'nha' }))).name, 'AuthorizationError');
  const list = await as(f.env, f.people.it, 'lookup_source_list', {});
  assert.equal(list.length, 5);
  assert.ok(list.every((s: any) => !('secret' in s)) && list.find((s: any) => s.name === 'a-good').has_secret);
});

test(`[${STORE_KIND}] a look-up asks every covered source at once; each answer or failure stands alone`, async () => {
  const order: string[] = [];
  const r = await ask(`${PAID.slice(0, 1)}-${PAID.slice(1, 5)}-${PAID.slice(5, 10)}-${PAID.slice(10, 12)}-${PAID.slice(12)}`, {}).catch((e) => { throw e; });
  void order;
  const by = Object.fromEntries(r.results.map((x) => [x.source, x.answer]));
  assert.deepEqual(r.results.map((x) => x.source), ['a-good', 'b-slow', 'c-broken', 'd-badjson', 'e-banchi']);
  assert.deepEqual(by['a-good'], { status: 'received', http_status: 200, detail: '600' });
  assert.deepEqual(by['b-slow'], { status: 'unavailable', reason: 'timeout' });
  assert.deepEqual(by['c-broken'], { status: 'unavailable', reason: 'http_error', http_status: 500 });
  assert.deepEqual(by['d-badjson'], { status: 'unavailable', reason: 'bad_answer', http_status: 200 });
  assert.equal(by['e-banchi']!.status, 'received');
  assert.ok(src.seen.some((s) => s === `GET /benefit/${PAID} `), 'the source got the ID, dashes removed');

  const pending = Object.fromEntries((await ask(PENDING)).results.map((x) => [x.source, x.answer.status]));
  assert.deepEqual([pending['a-good'], pending['e-banchi']], ['not_yet', 'not_yet']);
  const unknown = Object.fromEntries((await ask(UNKNOWN)).results.map((x) => [x.source, x.answer.status]));
  assert.deepEqual([unknown['a-good'], unknown['e-banchi']], ['not_eligible', 'not_eligible'], '404 and an empty DataStore answer mean not eligible');
});

test(`[${STORE_KIND}] the ID never appears in the audit in clear; purpose and legal basis do`, async () => {
  const rows = await f.env.services.store.db.selectFrom('audit_log').selectAll().where('action', 'in', ['citizen_lookup', 'citizen_lookup_result']).orderBy('seq').execute();
  assert.ok(rows.length >= 6);
  const text = JSON.stringify(rows);
  for (const cid of [PAID, PENDING, UNKNOWN]) assert.ok(!text.includes(cid) && !text.includes(cid.slice(1, 12)), 'no ID in the audit');
  const first = rows.find((r) => r.action === 'citizen_lookup')!;
  assert.equal(first.actor_name, 'partner_user');
  assert.deepEqual([first.detail.purpose, first.detail.legal_basis, first.detail.subject], ['welfare_eligibility', 'pdpa_24_4', citizenRef(f.env.config, PAID)]);
  assert.match(String(first.detail.subject), /^hmac-sha256:[0-9a-f]{64}$/);
  const result = rows.find((r) => r.action === 'citizen_lookup_result' && (r.detail as any).lookup_id === first.detail.lookup_id)!;
  assert.deepEqual((result.detail as any).outcomes.map((o: any) => [o.source, o.answered]), [['a-good', true], ['b-slow', false], ['c-broken', false], ['d-badjson', false], ['e-banchi', true]]);
  assert.ok(!JSON.stringify(result.detail).includes('received'), 'what a source answered is not kept');
});

test(`[${STORE_KIND}] bad input and officials without an agreement are refused before any source is asked`, async () => {
  const before = src.seen.length;
  const bad = await fails(ask('1101700230709', { purpose: 'curiosity', legal_basis: '' }));
  assert.deepEqual(Object.keys({ ...bad.errors }).sort(), ['citizen_id', 'legal_basis', 'purpose']);
  assert.match(bad.errors.citizen_id[0].en, /check digit/);
  assert.equal((await fails(runLookup(f.env.services, { actor: f.people.outsider }, { citizen_id: PAID, purpose: 'welfare_eligibility', legal_basis: 'pdpa_24_4' }))).name, 'AuthorizationError');
  assert.equal((await fails(runLookup(f.env.services, { actor: { kind: 'anonymous' } }, { citizen_id: PAID, purpose: 'welfare_eligibility', legal_basis: 'pdpa_24_4' }))).name, 'AuthorizationError');
  assert.equal(src.seen.length, before);
  const avail = await as(f.env, f.people.outsider, 'lookup_sources_available', {});
  assert.equal(avail.length, 0);
  assert.equal((await as(f.env, f.people.partner, 'lookup_sources_available', {})).length, 5);
});

test(`[${STORE_KIND}] look-ups are rate-limited per official in the database (shared by processes)`, async () => {
  const db = f.env.services.store.db;
  await db.insertInto('settings').values({ key: 'exchange.lookup_rate', value: JSON.stringify({ per_minute: 1000, per_day: 6 }) }).onConflict((oc) => oc.column('key').doUpdateSet({ value: JSON.stringify({ per_minute: 1000, per_day: 6 }) })).execute();
  const used = await db.selectFrom('lookup_rate').select(['count', 'window_start']).where('window_kind', '=', 'day').executeTakeFirstOrThrow();
  assert.equal(used.count, 3);
  // The day is the official's day in Thailand (UTC+7): its window starts at Bangkok midnight, 17:00 UTC.
  const start = new Date(used.window_start as unknown as string | Date);
  assert.equal(new Date(start.getTime() + 7 * 3600_000).toISOString().slice(11), '00:00:00.000Z', start.toISOString());
  await ask(UNKNOWN);
  await ask(UNKNOWN);
  // A second server process on the same database sees the same counter.
  const other = SERVER_URL ? await openServices(f.env.config) : f.env.services;
  try {
    await runLookup(other, caller(), { citizen_id: UNKNOWN, purpose: 'welfare_eligibility', legal_basis: 'pdpa_24_4' });
    const e = await fails(runLookup(other, caller(), { citizen_id: UNKNOWN, purpose: 'welfare_eligibility', legal_basis: 'pdpa_24_4' }));
    assert.ok(e instanceof LookupRateLimited, String(e));
    assert.ok(e.retryAfter > 0);
  } finally {
    if (other !== f.env.services) await other.store.close();
  }
  const e2 = await fails(ask(PAID));
  assert.ok(e2 instanceof LookupRateLimited);
  assert.equal((await db.selectFrom('lookup_rate').select('count').where('window_kind', '=', 'day').executeTakeFirstOrThrow()).count, 6, 'refused look-ups do not count');
  await db.deleteFrom('settings').where('key', '=', 'exchange.lookup_rate').execute();
});

test(`[${STORE_KIND}] the JSON API runs the same look-up for systems: token, checks, answers per source, 400/401/403/429`, async () => {
  const post = (body: unknown, token?: string) => f.env.app.inject({ method: 'POST', url: '/exchange/v1/lookup', payload: body as object, headers: { 'content-type': 'application/json', 'accept-language': 'en', ...(token ? { authorization: token } : {}) } });
  const good = { citizen_id: PAID, purpose: 'welfare_eligibility', legal_basis: 'pdpa_24_4' };
  assert.equal((await post(good)).statusCode, 401);
  const bad = await post({ citizen_id: '1101700230709', purpose: 'x', legal_basis: 'pdpa_24_4' }, f.tokens.partner_user);
  assert.equal(bad.statusCode, 400, bad.body);
  assert.deepEqual(Object.keys(bad.json().error.fields).sort(), ['citizen_id', 'purpose']);
  assert.equal((await post({}, f.tokens.partner_user)).statusCode, 400);
  assert.equal((await post(good, f.tokens.outsider)).statusCode, 403);
  const seen = src.seen.length;
  const r = await post(good, f.tokens.partner_user);
  assert.equal(r.statusCode, 200, r.body);
  assert.equal(r.headers['cache-control'], 'no-store');
  const by = Object.fromEntries(r.json().results.map((x: any) => [x.source, x.status]));
  assert.deepEqual(by, { 'a-good': 'received', 'b-slow': 'unavailable', 'c-broken': 'unavailable', 'd-badjson': 'unavailable', 'e-banchi': 'received' });
  assert.ok(src.seen.length > seen);
  const audit = await f.env.services.store.db.selectFrom('audit_log').select('detail').where('action', '=', 'citizen_lookup').orderBy('seq', 'desc').limit(1).executeTakeFirstOrThrow();
  assert.equal((audit.detail as any).lookup_id, r.json().lookup_id);
  const sources = await f.env.app.inject({ url: '/exchange/v1/lookup/sources', headers: { authorization: f.tokens.partner_user! } });
  assert.deepEqual(sources.json().map((x: any) => x.name), ['a-good', 'b-slow', 'c-broken', 'd-badjson', 'e-banchi']);
  // The official's daily limit reached: 429 with Retry-After, as the page refuses it.
  const db = f.env.services.store.db;
  const used = (await db.selectFrom('lookup_rate').select('count').where('window_kind', '=', 'day').executeTakeFirstOrThrow()).count;
  await db.insertInto('settings').values({ key: 'exchange.lookup_rate', value: JSON.stringify({ per_minute: 1000, per_day: used }) }).execute();
  const limited = await post(good, f.tokens.partner_user);
  assert.equal(limited.statusCode, 429, limited.body);
  assert.ok(Number(limited.headers['retry-after']) > 0);
  await db.deleteFrom('settings').where('key', '=', 'exchange.lookup_rate').execute();
});

test(`[${STORE_KIND}] an agreement that ends stops the look-up at once`, async () => {
  await as(f.env, f.people.owner, 'agreement_terminate', { id: agreement, ground: 'purpose_not_met', reason: 'สิ้นสุด' });
  assert.equal((await fails(ask(PAID))).name, 'AuthorizationError');
});
