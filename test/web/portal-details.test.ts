import { before, after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { testEnv, sys, makeOrg, makeUser, datasetInput, type TestEnv } from '../helpers.ts';
import { PageClient, textNear } from './client.ts';
import { PASSWORD, upload } from './seed.ts';
import { monogram } from '../../src/web/components/org-mark.ts';
import { parseFormDate } from '../../src/web/format.ts';

const STAT = 'ข้อมูลสถิติ';

describe('Buddhist-era dates, history words, favicon, read-only marks, organisation marks, numbers', () => {
  let env: TestEnv;
  let editor: PageClient;
  before(async () => {
    env = await testEnv({}, { web: true });
    await makeOrg(env, 'ddc', 'กรมควบคุมโรค');
    await makeUser(env, 'editor1', { org: 'ddc', role: 'editor' });
    editor = new PageClient(env.app);
    await editor.signIn('editor1', PASSWORD);
  });
  after(async () => env.close());

  it('Thai forms take and show dates as วัน/เดือน/ปี พ.ศ. and store ISO dates; English forms keep the Gregorian picker', async () => {
    const d = await sys(env, 'package_create', { ...datasetInput('ddc', { name: 'be-dates' }), state: 'draft' });
    const form = await editor.get(`/dataset/edit/${d.name}`);
    assert.match(form.body, /id="field-last_updated_date" name="last_updated_date" value="" inputmode="numeric" pattern=/);
    assert.doesNotMatch(form.body, /type="date"/, 'no Gregorian picker on Thai pages');
    const fields = { data_type: STAT, ...Object.fromEntries(Object.entries(datasetInput('ddc', { name: 'be-dates', title: d.title })).filter(([, v]) => typeof v === 'string')) } as Record<string, string>;
    const saved = await editor.post(`/dataset/edit/${d.name}`, { ...fields, tag_string: 'สถิติ', objective: 'พันธกิจหน่วยงาน', data_format: 'CSV', last_updated_date: '31/12/2567', save: 'draft' });
    assert.equal(saved.statusCode, 303, textNear(saved.body, 'error-summary', 800));
    const stored = await sys(env, 'package_show', { id: d.id });
    assert.equal(stored.last_updated_date, '2024-12-31');
    assert.match((await editor.get(`/dataset/edit/${d.name}`)).body, /name="last_updated_date" value="31\/12\/2567"/);
    // An impossible date is said in words beside its field.
    const bad = await editor.post(`/dataset/edit/${d.name}`, { ...fields, tag_string: 'สถิติ', last_updated_date: '31/02/2567', save: 'draft' });
    assert.equal(bad.statusCode, 400);
    assert.match(textNear(bad.body, 'id="err-last_updated_date"', 200), /กุมภาพันธ์ 2567 มี 29 วัน ไม่มีวันที่ 31/);
    // English: the ISO date picker with the ISO value.
    await editor.get('/lang/en?next=/');
    const en = await editor.get(`/dataset/edit/${d.name}`);
    assert.match(en.body, /<input type="date" id="field-last_updated_date" name="last_updated_date" value="2024-12-31"/);
    await editor.get('/lang/th?next=/');
  });

  it('reads both calendars on the server, with clear errors', () => {
    assert.deepEqual(parseFormDate('1/2/2567'), { iso: '2024-02-01' });
    assert.deepEqual(parseFormDate('2024-02-01'), { iso: '2024-02-01' });
    assert.deepEqual(parseFormDate('01.02.2024'), { iso: '2024-02-01' });
    assert.deepEqual(parseFormDate('29/02/2567'), { iso: '2024-02-29' });
    assert.match(JSON.stringify(parseFormDate('13/13/2567')), /ไม่มีเดือนที่ 13/);
    assert.match(JSON.stringify(parseFormDate('พรุ่งนี้')), /วัน\/เดือน\/ปี พ.ศ./);
    assert.equal(parseFormDate(' '), null);
  });

  it('history says state changes in the interface language, not raw values', async () => {
    const d = await sys(env, 'package_create', { ...datasetInput('ddc', { name: 'hist-state' }), state: 'draft' });
    await sys(env, 'package_patch', { id: d.id, state: 'active' });
    const page = await editor.get(`/dataset/activity/${d.name}`);
    const row = textNear(page.body, '<th scope="row">สถานะ</th>', 200);
    assert.match(row, /ฉบับร่าง/);
    assert.match(row, /เผยแพร่/);
    assert.doesNotMatch(row, /draft|active/);
  });

  it('serves /favicon.ico and names it in the pages', async () => {
    const res = await new PageClient(env.app).get('/favicon.ico');
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^image\/(x-icon|vnd\.microsoft\.icon)/);
    assert.equal(res.rawPayload.readUInt16LE(2), 1, 'an icon resource');
    assert.match((await new PageClient(env.app).get('/')).body, /<link rel="icon" href="\/favicon.ico"/);
  });

  it('read-only dataset pages carry no required-field stars; the form still does', async () => {
    await sys(env, 'package_create', datasetInput('ddc', { name: 'no-stars' }));
    const page = await new PageClient(env.app).get('/dataset/no-stars');
    assert.equal(page.statusCode, 200);
    assert.doesNotMatch(page.body, /class="req"/);
    assert.match((await editor.get('/dataset/edit/no-stars')).body, /class="req"/);
  });

  it('organisation tiles show the logo or a monogram of the name, not the first letter ก of every กรม', async () => {
    assert.equal(monogram('กรมควบคุมโรค'), 'คร');
    assert.equal(monogram('โรงพยาบาลศิริราช'), 'รพ');
    assert.equal(monogram('สำนักงานสถิติแห่งชาติ'), 'สห');
    assert.equal(monogram('กระทรวงสาธารณสุข'), 'ส');
    assert.equal(monogram('Department of Disease Control'), 'DDC');
    await makeOrg(env, 'logo-org', 'กรมมีโลโก้');
    await sys(env, 'organization_patch', { id: 'logo-org', image_url: 'https://example.go.th/logo.png' }).catch(() => sys(env, 'organization_update', { id: 'logo-org', name: 'logo-org', title: 'กรมมีโลโก้', image_url: 'https://example.go.th/logo.png' }));
    await makeOrg(env, 'bad-logo', 'กรมโลโก้ไม่ปลอดภัย');
    await sys(env, 'organization_update', { id: 'bad-logo', name: 'bad-logo', title: 'กรมโลโก้ไม่ปลอดภัย', image_url: 'javascript:alert(1)' }).catch(() => null);
    for (const name of ['logo-org', 'bad-logo']) await sys(env, 'package_create', datasetInput(name));
    const home = await new PageClient(env.app).get('/');
    assert.match(home.body, /<span class="card-mark" aria-hidden="true">คร<\/span>/);
    assert.match(home.body, /<img src="https:\/\/example.go.th\/logo.png" alt=""/);
    assert.doesNotMatch(home.body, /javascript:alert/);
  });

  it('numbers in preview tables are right-aligned, text stays left', async () => {
    const d = await sys(env, 'package_create', datasetInput('ddc', { name: 'preview-numbers' }));
    const csv = 'จังหวัด,ผู้ป่วย,อัตรา\nกรุงเทพมหานคร,"1,520",2.5\nเชียงใหม่,830,1.1\n';
    const r = await sys(env, 'resource_create', { package_id: d.id, name: 'ตาราง', format: 'CSV', upload: await upload(env, 'n.csv', csv) });
    const page = await new PageClient(env.app).get(`/dataset/${d.name}/resource/${r.id}`);
    assert.equal(page.statusCode, 200, textNear(page.body, '<main', 600));
    assert.match(page.body, /<th scope="col">จังหวัด<\/th><th scope="col" class="num">ผู้ป่วย<\/th>/);
    assert.match(page.body, /<td>เชียงใหม่<\/td><td class="num">830<\/td><td class="num">1.1<\/td>/);
  });
});
