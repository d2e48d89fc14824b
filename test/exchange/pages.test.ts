import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { as, STORE_KIND } from '../helpers.ts';
import { fixture, agreementInput, type Fixture } from '../governance/agreements-fixture.ts';
import { PageClient } from '../web/client.ts';
import { startSources, PAID, type Sources } from './sources.ts';

let f: Fixture;
let src: Sources;
let resourceId: string;
const PW = 'correct horse battery';

before(async () => {
  f = await fixture({ web: true });
  src = await startSources();
  const a = await as(f.env, f.people.owner, 'agreement_create', agreementInput(f));
  await as(f.env, f.people.owner, 'agreement_transition', { id: a.id, transition: 'submit' });
  await as(f.env, f.people.committee, 'agreement_transition', { id: a.id, transition: 'approve' });
  await as(f.env, f.people.owner, 'agreement_transition', { id: a.id, transition: 'activate' });
  const rest = (url: string, t = 8000) => ({ preset: 'rest', url: `${url}/benefit/{citizen_id}`, timeout_ms: t, status_field: 'data.status', statuses: { PAID: 'received', PENDING: 'not_yet' }, on_404: 'not_eligible' });
  await as(f.env, f.people.it, 'lookup_source_create', { name: 'a-good', title_th: 'เบี้ยยังชีพผู้สูงอายุ', title_en: 'Old-age allowance', organization: 'nha', dataset: 'tenants', connector: rest(src.good) });
  await as(f.env, f.people.it, 'lookup_source_create', { name: 'b-broken', title_th: 'เงินคนพิการ', title_en: 'Disability allowance', organization: 'nha', dataset: 'tenants', connector: rest(src.broken) });
  await as(f.env, f.people.it, 'lookup_source_create', { name: 'c-slow', title_th: 'ค่าภัยแล้ง', title_en: 'Drought relief', organization: 'nha', dataset: 'tenants', connector: rest(src.slow, 1500) });
  await as(f.env, f.people.it, 'linkage_create', { organization: 'nha', direction: 'inbound', partner: 'dopa', method: 'REST', datasets: ['tenants'], frequency: 'daily' });
  resourceId = (await f.env.services.store.db.selectFrom('resources').select('id').where('dataset_id', '=', f.dataset).executeTakeFirstOrThrow()).id;
});
after(async () => {
  await src.close();
  await f.env.close();
});

test(`[${STORE_KIND}] the look-up page: a plain form, answers per source, the ID masked, nothing cached`, async () => {
  const anon = new PageClient(f.env.app);
  assert.equal((await anon.get('/exchange/lookup')).statusCode, 403);
  const official = new PageClient(f.env.app);
  await official.signIn('partner_user', PW);
  const formPage = await official.get('/exchange/lookup');
  assert.equal(formPage.statusCode, 200);
  assert.match(formPage.body, /เบี้ยยังชีพผู้สูงอายุ/);
  assert.match(formPage.body, /name="citizen_id"[^>]*inputmode="numeric"/);
  // Thai digits as officials type them: the form's own pattern lets them through (browsers check it with the v flag), the answer masks the ID.
  const thaiId = '๑-๑๐๑๗-๐๐๒๓๐-๗๐-๘';
  const pattern = /name="citizen_id"[^>]*pattern="([^"]+)"/.exec(formPage.body)?.[1] ?? '';
  assert.match(thaiId, new RegExp(`^(?:${pattern})$`, 'v'), pattern);
  const thai = await official.post('/exchange/lookup', { citizen_id: thaiId, purpose: 'welfare_eligibility', legal_basis: 'pdpa_24_4' });
  assert.equal(thai.statusCode, 200, thai.body.slice(0, 500));
  assert.match(thai.body, /1-xxxx-xxxxx-70-8/);
  assert.ok(!thai.body.includes(thaiId) && !thai.body.includes(PAID), 'the full ID is not echoed');
  await official.get('/exchange/lookup');
  const bad = await official.post('/exchange/lookup', { citizen_id: '1101700230709', purpose: 'welfare_eligibility', legal_basis: 'pdpa_24_4' });
  assert.equal(bad.statusCode, 400);
  assert.match(bad.body, /field-error[^>]*>[^<]*เลขตรวจสอบ/);
  await official.get('/exchange/lookup');
  const res = await official.post('/exchange/lookup', { citizen_id: PAID, purpose: 'welfare_eligibility', legal_basis: 'pdpa_24_4' });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['cache-control'], 'no-store');
  assert.ok(!res.body.includes(PAID), 'the full ID is not echoed');
  assert.match(res.body, /1-xxxx-xxxxx-70-8/);
  const summary = res.body.slice(res.body.indexOf('สรุปสถานะสิทธิ'));
  assert.match(summary, /เบี้ยยังชีพผู้สูงอายุ<\/td><td>[^<]+<\/td><td><strong class="lookup-received">รับแล้ว/);
  assert.match(summary, /เงินคนพิการ<\/td><td>[^<]+<\/td><td><strong class="lookup-unavailable">ติดต่อแหล่งข้อมูลไม่ได้<\/strong> <span class="muted">\(ตอบข้อผิดพลาด 500\)/);
  assert.match(summary, /ค่าภัยแล้ง<\/td><td>[^<]+<\/td><td><strong class="lookup-unavailable">ติดต่อแหล่งข้อมูลไม่ได้<\/strong> <span class="muted">\(ไม่ตอบภายในเวลาที่กำหนด/);
  assert.match(res.body, /<\/html>\s*$/);

  const outsider = new PageClient(f.env.app);
  await outsider.signIn('outsider', PW);
  assert.match((await outsider.get('/exchange/lookup')).body, /ยังไม่มีข้อตกลงที่ใช้งานได้/);
});

test(`[${STORE_KIND}] the answer page streams: its head arrives before the slow source's time-out ends it`, async () => {
  await f.env.app.listen({ port: 0, host: '127.0.0.1' });
  const port = (f.env.app.server.address() as { port: number }).port;
  const c = new PageClient(f.env.app);
  await c.signIn('partner_user', PW);
  await c.get('/exchange/lookup');
  const body = new URLSearchParams({ _csrf: c.csrf(), citizen_id: PAID, purpose: 'welfare_eligibility', legal_basis: 'pdpa_24_4' }).toString();
  const chunks: string[] = await new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/exchange/lookup', method: 'POST', headers: { cookie: c.cookieHeader(), 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const got: string[] = [];
      res.setEncoding('utf8');
      res.on('data', (d: string) => got.push(d));
      res.on('end', () => resolve(got));
    });
    req.on('error', reject);
    req.end(body);
  });
  assert.ok(chunks.length >= 2, `streamed in ${chunks.length} chunk(s)`);
  assert.match(chunks[0]!, /<h1>/);
  assert.ok(!chunks[0]!.includes('สรุปสถานะสิทธิ'), 'the summary comes last, after every source');
  assert.match(chunks.join(''), /สรุปสถานะสิทธิ/);
});

test(`[${STORE_KIND}] a rate-limited official gets 429 with Retry-After`, async () => {
  await f.env.services.store.db.insertInto('settings').values({ key: 'exchange.lookup_rate', value: JSON.stringify({ per_minute: 1, per_day: 1 }) }).execute();
  const c = new PageClient(f.env.app);
  await c.signIn('partner_user', PW);
  await c.get('/exchange/lookup');
  const r = await c.post('/exchange/lookup', { citizen_id: PAID, purpose: 'welfare_eligibility', legal_basis: 'pdpa_24_4' });
  assert.equal(r.statusCode, 429);
  assert.ok(Number(r.headers['retry-after']) > 0);
  await f.env.services.store.db.deleteFrom('settings').where('key', '=', 'exchange.lookup_rate').execute();
});

test(`[${STORE_KIND}] items, the resource page's mapping section and the monitoring dashboard`, async () => {
  const anon = new PageClient(f.env.app);
  const list = await anon.get('/exchange/items');
  assert.equal(list.statusCode, 200);
  assert.match(list.body, /<code>citizen_id<\/code>/);
  assert.ok(!list.body.includes('name="label_th"'), 'no edit form for visitors');
  assert.match((await anon.get('/exchange/items/birth_date')).body, /YYYY-MM-DD/);
  assert.equal((await anon.get('/exchange/items/nope')).statusCode, 404);

  const editor = new PageClient(f.env.app);
  await editor.signIn('editor', PW);
  const rp = await editor.get(`/dataset/tenants/resource/${resourceId}`);
  assert.equal(rp.statusCode, 200);
  assert.match(rp.body, /การจับคู่กับรายการข้อมูลสำหรับแลกเปลี่ยน/);
  const saved = await editor.post(`/exchange/mapping/${resourceId}`, { 'map.citizen_id': 'citizen_id', 'map.name': 'first_name_th', back: `/dataset/tenants/resource/${resourceId}` }, { csrf: editor.csrf(rp.body.slice(rp.body.indexOf('/exchange/mapping/'))) });
  assert.equal(saved.statusCode, 303);
  const after = await editor.follow();
  assert.match(after.body, /<code>name<\/code><\/td><td><a href="\/exchange\/items\/first_name_th">/);

  const it = new PageClient(f.env.app);
  await it.signIn('it', PW);
  const mon = await it.get('/exchange/monitoring');
  assert.equal(mon.statusCode, 200);
  assert.match(mon.body, /<svg[^>]*role="img"/);
  assert.match(mon.body, /<strong>1<\/strong> รายการ/);
  assert.match(mon.body, /ยังเชื่อมโยงไม่ครบ/);
  const filtered = await it.get('/exchange/monitoring?flag=format_differs');
  assert.match(filtered.body, /<strong>0<\/strong> รายการ/);
  assert.equal((await it.get('/exchange/monitoring?state=bogus')).statusCode, 400);
  assert.equal((await anon.get('/exchange/monitoring')).statusCode, 403);
});
