import { before, after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import ExcelJS from 'exceljs';
import { testEnv, sys, makeOrg, makeUser, type TestEnv } from '../helpers.ts';
import { PageClient, textNear } from './client.ts';

const STAT = 'ข้อมูลสถิติ';

/** The fields a complete statistical dataset needs, as the form posts them. */
function statForm(overrides: Record<string, string | string[]> = {}): Record<string, string | string[]> {
  return {
    data_type: STAT,
    title: 'สถิติการท่องเที่ยวรายจังหวัด',
    name: 'tourism-by-province',
    owner_org: 'mots',
    maintainer: 'กองยุทธศาสตร์และแผนงาน',
    maintainer_email: 'plan@mots.go.th',
    tag_string: 'ท่องเที่ยว, นักท่องเที่ยว',
    notes: 'จำนวนนักท่องเที่ยวและรายได้จากการท่องเที่ยว จำแนกรายจังหวัด',
    objective: ['พันธกิจหน่วยงาน', 'เพื่อการให้บริการประชาชน'],
    update_frequency_unit: 'เดือน',
    update_frequency_interval: '1',
    geo_coverage: 'จังหวัด',
    data_source: 'สำนักงานปลัดกระทรวงการท่องเที่ยวและกีฬา',
    data_format: ['CSV', 'XLS'],
    data_category: 'ข้อมูลสาธารณะ',
    data_classification: 'เปิดเผย',
    license_id: 'Open Data Common',
    first_year_of_data: '2560',
    save: 'next',
    ...overrides,
  };
}

describe('dataset form (two steps) and resource pages', () => {
  let env: TestEnv;
  let editor: PageClient;
  before(async () => {
    env = await testEnv({}, { web: true });
    await makeOrg(env, 'mots', 'กระทรวงการท่องเที่ยวและกีฬา');
    await makeUser(env, 'editor1', { org: 'mots', role: 'editor' });
    await sys(env, 'group_create', { name: 'travel', title: 'การท่องเที่ยวและการเดินทาง' });
    editor = new PageClient(env.app);
    await editor.signIn('editor1', 'correct horse battery');
  });
  after(async () => env.close());

  it('asks for the data type first, then shows only that type\'s fields from the standard', async () => {
    const first = await editor.get('/dataset/new');
    assert.equal(first.statusCode, 200);
    assert.match(first.body, /name="data_type" value="ข้อมูลสถิติ"/);
    assert.doesNotMatch(first.body, /name="maintainer_email"/, 'no fields before the type is chosen');
    const stat = await editor.get(`/dataset/new?data_type=${encodeURIComponent(STAT)}`);
    assert.match(stat.body, /name="first_year_of_data"/, 'statistical fields');
    assert.doesNotMatch(stat.body, /name="geographic_data_set"/, 'no GIS fields');
    assert.match(stat.body, /<legend>วัตถุประสงค์ <span class="req" aria-hidden="true">\*<\/span>/, 'multi-select as a group of checkboxes, required marked');
    assert.match(stat.body, /type="checkbox" name="objective" value="ยุทธศาสตร์ชาติ"/);
    assert.match(stat.body, /data-other-for="objective"/, 'the อื่นๆ text box');
    assert.match(stat.body, /<select id="field-data_classification" name="data_classification"[^>]*data-category-levels=/);
    assert.match(stat.body, /<option value="mots" selected>กระทรวงการท่องเที่ยวและกีฬา<\/option>/, 'the editor\'s only organisation is chosen');
    assert.match(stat.body, /class="help" id="help-title"/, 'help texts from the standard');
    assert.match(stat.body, /aria-describedby="help-title"/);
    const gis = await editor.get(`/dataset/new?data_type=${encodeURIComponent('ข้อมูลภูมิสารสนเทศเชิงพื้นที่')}`);
    assert.match(gis.body, /name="geographic_data_set"/);
    assert.doesNotMatch(gis.body, /name="first_year_of_data"/);
  });

  it('shows each validation error beside its field, in Thai, and keeps what was typed', async () => {
    await editor.get(`/dataset/new?data_type=${encodeURIComponent(STAT)}`);
    const res = await editor.post('/dataset/new', statForm({ maintainer_email: 'not-an-email', geo_coverage: 'อื่นๆ', data_classification: 'ลับ', notes: '' }));
    assert.equal(res.statusCode, 400);
    assert.match(res.body, /role="alert"/);
    assert.match(textNear(res.body, 'id="err-maintainer_email"', 200), /รูปแบบอีเมลไม่ถูกต้อง/);
    assert.match(res.body, /id="err-maintainer_email"[\s\S]{0,400}id="field-maintainer_email"[^>]*aria-invalid="true"/, 'the message sits beside its input');
    assert.match(textNear(res.body, 'id="err-notes"', 200), /กรุณากรอกข้อมูลนี้/);
    assert.match(textNear(res.body, 'id="err-geo_coverage_other"', 200), /อื่นๆ/);
    assert.match(textNear(res.body, 'id="err-data_classification"', 300), /\S/);
    assert.match(res.body, /value="สถิติการท่องเที่ยวรายจังหวัด"/, 'typed values are kept');
    assert.match(res.body, /value="พันธกิจหน่วยงาน"[^>]* checked/);
    const none = await env.services.store.db.selectFrom('datasets').select('id').where('name', '=', 'tourism-by-province').executeTakeFirst();
    assert.equal(none, undefined);
  });

  it('saves a draft with only some fields', async () => {
    await editor.get(`/dataset/new?data_type=${encodeURIComponent(STAT)}`);
    const res = await editor.post('/dataset/new', { data_type: STAT, name: 'half-done', title: 'ชุดข้อมูลที่ยังไม่เสร็จ', owner_org: 'mots', save: 'draft' });
    assert.equal(res.statusCode, 303, res.body.slice(0, 300));
    assert.equal(res.headers.location, '/dataset/edit/half-done');
    const row = await env.services.store.db.selectFrom('datasets').select('state').where('name', '=', 'half-done').executeTakeFirstOrThrow();
    assert.equal(row.state, 'draft');
    const anon = new PageClient(env.app);
    assert.notEqual((await anon.get('/dataset/half-done')).statusCode, 200, 'a draft is not public');
  });

  it('creates a statistical dataset with two resources (a file and a link), finishes it, and search finds it', async () => {
    await editor.get(`/dataset/new?data_type=${encodeURIComponent(STAT)}`);
    const step1 = await editor.post('/dataset/new', statForm());
    assert.equal(step1.statusCode, 303, step1.body.slice(0, 2000));
    assert.equal(step1.headers.location, '/dataset/resources/tourism-by-province');
    const step2 = await editor.follow();
    assert.match(step2.body, /aria-current="step"><span class="step-no">2/);
    const csv = 'จังหวัด,นักท่องเที่ยว,รายได้\nเชียงใหม่,10000,5000000\nภูเก็ต,20000,9000000\n';
    const up = await editor.postFile('/dataset/tourism-by-province/resource/new', { source: 'upload', name: 'ตารางรายจังหวัด', format: '' }, { name: 'tourism.csv', content: csv, type: 'text/csv' });
    assert.equal(up.statusCode, 303, up.body.slice(0, 2000));
    await editor.follow();
    const link = await editor.postFile('/dataset/tourism-by-province/resource/new', { source: 'link', name: 'API รายเดือน', url: 'https://api.mots.go.th/tourism.json', format: 'JSON' }, null);
    assert.equal(link.statusCode, 303, link.body.slice(0, 2000));
    await editor.follow();
    const finish = await editor.post('/dataset/resources/tourism-by-province/finish', {});
    assert.equal(finish.statusCode, 303, finish.body.slice(0, 2000));
    const anon = new PageClient(env.app);
    const search = await anon.get(`/dataset?q=${encodeURIComponent('ท่องเที่ยว')}`);
    assert.match(search.body, /href="\/dataset\/tourism-by-province"/);
    const page = await anon.get('/dataset/tourism-by-province');
    assert.match(page.body, /ตารางรายจังหวัด/);
    assert.match(page.body, /API รายเดือน/);
    assert.match(page.body, /<span class="format" data-format="CSV">CSV<\/span>/);
  });

  it('previews the first rows of an uploaded CSV as a table, and the download works', async () => {
    const anon = new PageClient(env.app);
    const page = await anon.get('/dataset/tourism-by-province');
    const href = /href="(\/dataset\/tourism-by-province\/resource\/[0-9a-f-]{36})"/.exec(page.body)![1]!;
    const res = await anon.get(href);
    assert.equal(res.statusCode, 200);
    assert.match(res.body, /<th scope="col">จังหวัด<\/th>/);
    assert.match(res.body, /<td>ภูเก็ต<\/td>/);
    const download = /href="(\/dataset\/[^"]+\/download\/tourism\.csv)"/.exec(res.body)![1]!;
    const file = await anon.get(download);
    assert.equal(file.statusCode, 200);
    assert.match(file.body, /เชียงใหม่/);
  });

  it('previews XLSX (first sheet) and JSON (pretty-printed), and Windows-874 CSV', async () => {
    const ds = await sys(env, 'package_create', { ...statFormAsDict(), name: 'preview-formats', title: 'ชุดข้อมูลตัวอย่างรูปแบบไฟล์' });
    const wb = new ExcelJS.Workbook();
    const sheet = wb.addWorksheet('ข้อมูล');
    sheet.addRow(['ปี', 'จำนวน']);
    for (let y = 2560; y < 2620; y++) sheet.addRow([y, y * 2]);
    const xlsx = Buffer.from(await wb.xlsx.writeBuffer());
    await editor.get('/dataset/resources/preview-formats');
    await editor.postFile('/dataset/preview-formats/resource/new', { source: 'upload', name: 'ตาราง Excel', format: '' }, { name: 'table.xlsx', content: xlsx });
    await editor.follow();
    await editor.postFile('/dataset/preview-formats/resource/new', { source: 'upload', name: 'ข้อมูล JSON', format: '' }, { name: 'data.json', content: '{"จังหวัด":"น่าน","values":[1,2,3]}' });
    await editor.follow();
    const tis620 = Buffer.from([0xbb, 0xd5, 0x2c, 0xa8, 0xd3, 0xb9, 0xc7, 0xb9, 0x0a, 0x32, 0x35, 0x36, 0x37, 0x2c, 0x31, 0x0a]); // "ปี,จำนวน\n2567,1\n"
    await editor.postFile('/dataset/preview-formats/resource/new', { source: 'upload', name: 'ไฟล์ภาษาไทยแบบเก่า', format: '' }, { name: 'old.csv', content: tis620 });
    const d = await sys(env, 'package_show', { id: ds.id });
    const byName = (n: string) => d.resources.find((r: any) => r.name === n);
    const x = await editor.get(`/dataset/preview-formats/resource/${byName('ตาราง Excel').id}`);
    assert.match(x.body, /<th scope="col" class="num">ปี<\/th>/);
    assert.match(x.body, /<td class="num">2560<\/td>/);
    assert.match(x.body, /แสดงเพียง 50 แถวแรก/);
    assert.equal((x.body.match(/<tr><td[ >]/g) ?? []).length, 50);
    const j = await editor.get(`/dataset/preview-formats/resource/${byName('ข้อมูล JSON').id}`);
    assert.match(j.body, /<pre class="preview-json"[^>]*>\{\n {2}&quot;จังหวัด&quot;: &quot;น่าน&quot;/);
    const t = await editor.get(`/dataset/preview-formats/resource/${byName('ไฟล์ภาษาไทยแบบเก่า').id}`);
    assert.match(t.body, /<th scope="col" class="num">จำนวน<\/th>/);
  });

  it('editing records a version whose history shows the change', async () => {
    const edit = await editor.get('/dataset/edit/tourism-by-province');
    assert.equal(edit.statusCode, 200);
    assert.match(edit.body, /value="ท่องเที่ยว, นักท่องเที่ยว"/);
    const res = await editor.post('/dataset/edit/tourism-by-province', statForm({ save: 'save', maintainer: 'กองสถิติการท่องเที่ยว' }));
    assert.equal(res.statusCode, 303, res.body.slice(0, 2000));
    const history = await editor.get('/dataset/activity/tourism-by-province');
    const row = textNear(history.body, '<th scope="row">ชื่อฝ่ายงานสำหรับติดต่อ</th>');
    assert.match(row, /กองยุทธศาสตร์และแผนงาน/);
    assert.match(row, /กองสถิติการท่องเที่ยว/);
    const page = await editor.get('/dataset/tourism-by-province');
    assert.match(page.body, /ตารางรายจังหวัด/, 'resources stay after an edit');
  });

  it('edits a resource keeping its file, then deletes it', async () => {
    const d = await sys(env, 'package_show', { id: 'tourism-by-province' });
    const file = d.resources.find((r: any) => r.url_type === 'upload');
    const base = `/dataset/tourism-by-province/resource/${file.id}`;
    const edit = await editor.get(`${base}/edit`);
    assert.match(edit.body, /name="source" value="keep"[^>]* checked/);
    const saved = await editor.postFile(`${base}/edit`, { source: 'keep', name: 'ตารางรายจังหวัด (ปรับปรุง)', format: 'CSV' }, null);
    assert.equal(saved.statusCode, 303, saved.body.slice(0, 1500));
    const after = await sys(env, 'resource_show', { id: file.id });
    assert.equal(after.name, 'ตารางรายจังหวัด (ปรับปรุง)');
    assert.equal(after.url_type, 'upload', 'the file stays');
    assert.equal((await editor.get(`${base}/download/tourism.csv`)).statusCode, 200);
    await editor.get('/dataset/resources/tourism-by-province');
    const gone = await editor.post(`${base}/delete`, {});
    assert.equal(gone.statusCode, 303);
    assert.equal((await editor.get(base)).statusCode, 404);
  });

  it('puts the dataset into a group from its groups tab', async () => {
    const tab = await editor.get('/dataset/groups/tourism-by-province');
    assert.equal(tab.statusCode, 200);
    const res = await editor.post('/dataset/groups/tourism-by-province', { groups: 'travel' });
    assert.equal(res.statusCode, 303, res.body.slice(0, 1000));
    const group = await new PageClient(env.app).get('/group/travel');
    assert.match(group.body, /href="\/dataset\/tourism-by-province"/);
  });

  it('a visitor without rights gets no form and no edit tab', async () => {
    const anon = new PageClient(env.app);
    const res = await anon.get('/dataset/new');
    assert.equal(res.statusCode, 303);
    assert.match(String(res.headers.location), /^\/user\/login\?came_from=/);
    assert.equal((await anon.get('/dataset/edit/tourism-by-province')).statusCode, 403);
    const page = await anon.get('/dataset/tourism-by-province');
    assert.doesNotMatch(page.body, /\/dataset\/edit\//);
  });
});

function statFormAsDict(): Record<string, unknown> {
  const f = statForm();
  const { tag_string, save: _s, ...rest } = f;
  return { ...rest, tags: String(tag_string).split(',').map((s) => s.trim()) };
}
