import { before, after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { testEnv, sys, makeOrg, makeUser, datasetInput, type TestEnv } from '../helpers.ts';
import { PageClient, textNear } from './client.ts';

/** Read pages over app.inject: what they show, to whom, in which language, with which headers. */
describe('portal read pages', () => {
  let env: TestEnv;
  let openDs: any;
  before(async () => {
    env = await testEnv({}, { web: true });
    await makeOrg(env, 'moph', 'กระทรวงสาธารณสุข');
    await makeOrg(env, 'ddc', 'กรมควบคุมโรค', 'moph');
    await sys(env, 'group_create', { name: 'health', title: 'สุขภาพ' });
    await makeUser(env, 'editor1', { org: 'ddc', role: 'editor' });
    openDs = await sys(env, 'package_create', datasetInput('ddc', {
      name: 'dengue-cases', title: 'จำนวนผู้ป่วยไข้เลือดออก <script>alert("x")</script>', tags: ['ไข้เลือดออก', 'สุขภาพ'],
      notes: 'ข้อมูลผู้ป่วยไข้เลือดออกรายจังหวัด ดูเพิ่มเติมที่ https://ddc.moph.go.th/', groups: [{ name: 'health' }],
    }));
    await sys(env, 'resource_create', { package_id: openDs.id, name: 'ตารางรายจังหวัด', url: 'https://ddc.moph.go.th/dengue.csv', format: 'CSV' });
    await sys(env, 'package_create', datasetInput('ddc', { name: 'patient-records', title: 'ทะเบียนผู้ป่วยรายบุคคล', data_category: 'ข้อมูลส่วนบุคคล', data_classification: 'ลับ', accessible_condition: 'ต้องทำหนังสือขออนุญาตจากกรมควบคุมโรค' }));
    await sys(env, 'package_create', datasetInput('ddc', { name: 'private-plan', title: 'แผนงานภายในที่เป็นส่วนตัว', private: true }));
    await sys(env, 'package_patch', { id: openDs.id, notes: 'ข้อมูลผู้ป่วยไข้เลือดออกรายจังหวัด ปรับปรุงรายสัปดาห์' });
  });
  after(async () => env.close());

  it('home page is Thai by default, with landmarks, a skip link and the counts', async () => {
    const res = await new PageClient(env.app).get('/');
    assert.equal(res.statusCode, 200);
    assert.match(res.body, /<html lang="th">/);
    assert.match(res.body, /<a class="skip-link" href="#main">ข้ามไปยังเนื้อหา<\/a>/);
    assert.match(res.body, /<main id="main"/);
    assert.match(res.body, /<header class="site-header">/);
    assert.match(res.body, /<footer class="site-footer">/);
    assert.match(res.body, /role="search"/);
    assert.match(res.body, /ชุดข้อมูลล่าสุด/);
  });

  it('switches to English by a link and keeps the choice in a cookie', async () => {
    const c = new PageClient(env.app);
    const sw = await c.get('/lang/en?next=/dataset');
    assert.equal(sw.statusCode, 303);
    assert.equal(sw.headers.location, '/dataset');
    const res = await c.get('/dataset');
    assert.match(res.body, /<html lang="en">/);
    assert.match(res.body, /datasets found/);
    const back = await c.get('/lang/th?next=//evil.example/');
    assert.equal(back.headers.location, '/', 'only same-site paths are followed');
  });

  it('escapes a title containing <script> (it renders as text)', async () => {
    const res = await new PageClient(env.app).get('/dataset/dengue-cases');
    assert.equal(res.statusCode, 200);
    assert.doesNotMatch(res.body, /<script>alert/);
    assert.match(res.body, /&lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt;/);
  });

  it('sends security headers with a strict CSP', async () => {
    const res = await new PageClient(env.app).get('/dataset/dengue-cases');
    const csp = String(res.headers['content-security-policy']);
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.ok(res.headers['x-frame-options']);
    assert.equal(res.headers['referrer-policy'], 'strict-origin-when-cross-origin');
    assert.doesNotMatch(res.body, /<script>(?!<)/, 'no inline script');
    assert.doesNotMatch(res.body, / style="/, 'no inline style');
  });

  it('lays the dataset page out as the national catalog: metadata table of its type, resources, tags, Buddhist-era dates', async () => {
    const res = await new PageClient(env.app).get('/dataset/dengue-cases');
    const body = res.body;
    assert.match(body, /ข้อมูลและทรัพยากร/);
    assert.match(body, /ตารางรายจังหวัด/);
    assert.match(body, /href="\/dataset\?tags=%E0%B9%84/);
    assert.match(body, /<th scope="row">ประเภทชุดข้อมูล<\/th><td>ข้อมูลสถิติ<\/td>/);
    assert.match(body, /หน่วยความถี่ของการปรับปรุงข้อมูล/);
    assert.doesNotMatch(body, /ชุดข้อมูลภูมิศาสตร์ \(สำหรับชุดข้อมูลภูมิศาสตร์สารสนเทศ\)/, 'GIS fields are not shown for statistical data');
    const year = new Date().getFullYear() + 543;
    assert.match(body, new RegExp(`<time datetime="[^"]+">[^<]*${year}`), 'dates in the Buddhist era');
    assert.match(body, /<a class="button" href="https:\/\/ddc\.moph\.go\.th\/dengue\.csv" rel="nofollow noopener">ไปยังแหล่งข้อมูล/);
  });

  it('shows access conditions and hides the files of shared data', async () => {
    const c = new PageClient(env.app);
    await c.signIn('editor1', 'correct horse battery');
    const res = await c.get('/dataset/patient-records');
    assert.equal(res.statusCode, 200);
    assert.match(res.body, /ต้องทำหนังสือขออนุญาตจากกรมควบคุมโรค/);
    assert.match(res.body, /ข้อมูลแบ่งปัน/);
  });

  it('an anonymous visitor cannot see private or personal-data datasets, by URL or by search', async () => {
    const c = new PageClient(env.app);
    assert.equal((await c.get('/dataset/patient-records')).statusCode, 404);
    // A private entry of public data answers 403 with a sign-in link (its name is not secret); nothing of it shows.
    const priv = await c.get('/dataset/private-plan');
    assert.equal(priv.statusCode, 403);
    assert.doesNotMatch(priv.body, /แผนงานภายใน/);
    assert.equal((await c.get('/dataset/activity/patient-records')).statusCode, 404);
    const search = await c.get(`/dataset?q=${encodeURIComponent('ผู้ป่วย')}`);
    assert.doesNotMatch(search.body, /ทะเบียนผู้ป่วยรายบุคคล/);
    const all = await c.get('/dataset');
    assert.doesNotMatch(all.body, /ทะเบียนผู้ป่วยรายบุคคล|แผนงานภายในที่เป็นส่วนตัว/);
    assert.match(all.body, /จำนวนผู้ป่วยไข้เลือดออก/);
    const org = await c.get('/organization/ddc');
    assert.doesNotMatch(org.body, /ทะเบียนผู้ป่วยรายบุคคล|แผนงานภายในที่เป็นส่วนตัว/);
  });

  it('search in Thai finds the dataset and the result links to it', async () => {
    const res = await new PageClient(env.app).get(`/dataset?q=${encodeURIComponent('ไข้เลือดออก')}`);
    assert.equal(res.statusCode, 200);
    assert.match(res.body, /href="\/dataset\/dengue-cases"/);
    assert.match(res.body, /พบ 1 ชุดข้อมูลสำหรับ “ไข้เลือดออก”/);
  });

  it('filters are links; an active filter shows as a chip that removes it', async () => {
    const res = await new PageClient(env.app).get('/dataset?organization=ddc');
    assert.equal(res.statusCode, 200);
    assert.match(res.body, /class="chip chip-remove" href="\/dataset"/);
    assert.match(res.body, /dengue-cases/);
    const none = await new PageClient(env.app).get('/dataset?organization=moph');
    assert.doesNotMatch(none.body, /dengue-cases/);
  });

  it('organization pages are faceted searches of their own datasets', async () => {
    const c = new PageClient(env.app);
    const org = await c.get('/organization/moph');
    assert.equal(org.statusCode, 200);
    assert.match(org.body, /dengue-cases/);
    // The search box searches this organisation; facet links stay on its page.
    assert.match(org.body, /<form class="search-form" role="search" method="get" action="\/organization\/moph">/);
    assert.match(org.body, new RegExp(`href="/organization/moph\\?tags=${encodeURIComponent('สุขภาพ')}"`));
    assert.match(org.body, /href="\/organization\/moph\?res_format=CSV"/);
    const csv = await c.get('/organization/moph?res_format=CSV');
    assert.match(csv.body, /dengue-cases/);
    assert.match(csv.body, /class="chip chip-remove" href="\/organization\/moph"/);
    const none = await c.get('/organization/moph?res_format=PDF');
    assert.doesNotMatch(none.body, /dengue-cases/);
    const q = await c.get(`/organization/moph?q=${encodeURIComponent('ไข้เลือดออก')}&res_format=CSV`);
    assert.match(q.body, /dengue-cases/);
    assert.match(q.body, /<input type="hidden" name="res_format" value="CSV">/);
    // This organisation only: its links keep the scope.
    const only = await c.get('/organization/moph?include_children=false');
    assert.doesNotMatch(only.body, /href="\/dataset\/dengue-cases"/);
    assert.match(only.body, /<input type="hidden" name="include_children" value="false">/);
  });

  it('the history tab shows readable differences with the standard\'s labels', async () => {
    const res = await new PageClient(env.app).get('/dataset/activity/dengue-cases');
    assert.equal(res.statusCode, 200);
    const row = textNear(res.body, '<th scope="row">รายละเอียด</th>');
    assert.match(row, /รายจังหวัด/);
    assert.match(row, /ปรับปรุงรายสัปดาห์/);
    assert.match(res.body, /<del>/);
    assert.match(res.body, /<ins>/);
  });

  it('organization pages show the hierarchy', async () => {
    const c = new PageClient(env.app);
    const list = await c.get('/organization');
    assert.match(list.body, /class="tree"[\s\S]*กระทรวงสาธารณสุข[\s\S]*class="tree-children"[\s\S]*กรมควบคุมโรค/);
    const child = await c.get('/organization/ddc');
    assert.match(child.body, /หน่วยงานแม่: <a href="\/organization\/moph">กระทรวงสาธารณสุข<\/a>/);
    const parent = await c.get('/organization/moph');
    assert.match(parent.body, /<a href="\/organization\/ddc">กรมควบคุมโรค<\/a>/);
    const group = await c.get('/group/health');
    assert.equal(group.statusCode, 200);
    assert.match(group.body, /dengue-cases/);
  });

  it('user pages need a signed-in viewer; unknown pages answer a Thai 404 page', async () => {
    const c = new PageClient(env.app);
    const anon = await c.get('/user/editor1');
    assert.equal(anon.statusCode, 403);
    assert.match(anon.body, /href="\/user\/login\?came_from=/);
    const missing = await c.get('/no/such/page');
    assert.equal(missing.statusCode, 404);
    assert.match(missing.body, /ไม่พบหน้าที่ต้องการ/);
    const api = await c.get('/api/no-such');
    assert.equal(api.statusCode, 404);
    assert.match(String(api.headers['content-type']), /json/);
  });

  it('serves its own CSS and JS from /static', async () => {
    const c = new PageClient(env.app);
    const css = await c.get('/static/portal.css');
    assert.equal(css.statusCode, 200);
    assert.match(css.body, /"Sarabun", "Noto Sans Thai"/);
    const js = await c.get('/static/portal.js');
    assert.equal(js.statusCode, 200);
  });
});
