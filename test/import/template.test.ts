import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import ExcelJS from 'exceljs';
import { api, makeOrg, makeUser, STORE_KIND, sys, testEnv, type TestEnv } from '../helpers.ts';
import { blankTemplate } from '../../src/import/template/write.ts';
import { currentStandard } from '../../src/standard/index.ts';
import { PageClient } from '../web/client.ts';

/** A filled national template: the blank one this catalog hands out, with rows from row 6 on. */
async function filled(rows: Record<string, Array<Record<number, unknown>>>): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load((await blankTemplate(currentStandard())) as unknown as ArrayBuffer);
  for (const [sheet, list] of Object.entries(rows)) {
    const ws = wb.getWorksheet(sheet)!;
    list.forEach((cells, i) => {
      for (const [col, v] of Object.entries(cells)) ws.getCell(6 + i, Number(col)).value = v as ExcelJS.CellValue;
    });
  }
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** Columns of Temp2_Meta_Record by position (sheets.json), 1-based as Excel counts them. */
function recordRow(name: string, title: string, extra: Record<number, unknown> = {}): Record<number, unknown> {
  return {
    1: name, 2: 'ข้อมูลระเบียน', 3: title, 4: 'กรมตัวอย่าง', 5: 'ฝ่ายสถิติ', 6: 'stat@example.go.th', 7: 'สถิติ, ประชากร', 8: `คำอธิบาย ${title}`,
    9: 'พันธกิจหน่วยงาน', 10: 'ปี', 11: 1, 12: 'ประเทศ', 13: 'สำนักงานตัวอย่าง', 14: 'CSV', 15: 'ข้อมูลสาธารณะ', 16: 'เปิดเผย', 17: 'Open Data Common',
    19: '15/01/2566', 20: '2567-03-31', 24: 'ไทย', 25: 'ไม่ใช่', 26: 'ใช่', ...extra,
  };
}

function multipart(fields: Record<string, string>, file: Buffer, filename = 'template.xlsx'): Buffer {
  const parts: Buffer[] = [];
  const push = (s: string) => parts.push(Buffer.from(s));
  for (const [k, v] of Object.entries(fields)) push(`--B\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`);
  push(`--B\r\nContent-Disposition: form-data; name="upload"; filename="${filename}"\r\nContent-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n`);
  parts.push(file);
  push('\r\n--B--\r\n');
  return Buffer.concat(parts);
}

describe(`[${STORE_KIND}] the national Excel metadata template`, () => {
  let env: TestEnv;
  let token = '';
  before(async () => {
    env = await testEnv({}, { web: true });
    await makeOrg(env, 'dept-x', 'กรมตัวอย่าง');
    await makeOrg(env, 'dept-y', 'กรมอื่น');
    ({ token } = await makeUser(env, 'officer', { org: 'dept-x', role: 'editor' }));
  });
  after(() => env.close());

  const send = (file: Buffer, fields: Record<string, string> = { owner_org: 'dept-x' }, who = token) =>
    env.app.inject({ method: 'POST', url: '/api/3/action/package_template_import', headers: { authorization: who, 'content-type': 'multipart/form-data; boundary=B' }, payload: multipart(fields, file) });
  const count = async () => Number((await env.services.store.db.selectFrom('datasets').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

  it('imports every sheet: Buddhist-era dates to ISO, values outside the lists to "อื่นๆ", flags, tags, resources joined by name; private, as thai_gdc does', async () => {
    const file = await filled({
      Temp2_Meta_Record: [recordRow('Pop Register 2567', 'ทะเบียนประชากรรายจังหวัด', { 9: 'เพื่อการวางแผนเฉพาะกิจ' })],
      Temp3_Resource_Record: [{ 1: 'Pop Register 2567', 2: 'ไฟล์ CSV รายจังหวัด', 3: 'https://data.example.go.th/pop.csv', 4: 'ตารางรายจังหวัด', 6: '01/02/2567', 7: 'CSV' }],
      Temp2_Meta_Stat: [{ 1: 'births-2566', 3: 'จำนวนการเกิดรายปี', 5: 'ฝ่ายสถิติ', 6: 'stat@example.go.th', 7: 'การเกิด', 8: 'สถิติการเกิด', 9: 'พันธกิจหน่วยงาน', 10: 'ปี', 12: 'ประเทศ', 13: 'กรมตัวอย่าง', 14: 'CSV', 15: 'ข้อมูลสาธารณะ', 16: 'เปิดเผย', 17: 'Open Data Common', 30: 'ไม่เป็นสถิติทางการ' }],
    });
    const r = await send(file);
    assert.equal(r.statusCode, 200, r.body);
    const result = r.json().result;
    assert.equal(result.imported.length, 2);
    assert.equal(result.resources, 1);
    const pop = (await api(env, 'package_show', { id: 'pop-register-2567' }, { token })).json.result;
    assert.equal(pop.title, 'ทะเบียนประชากรรายจังหวัด');
    assert.equal(pop.private, true);
    assert.equal(pop.created_date, '2023-01-15');
    assert.equal(pop.last_updated_date, '2024-03-31');
    assert.deepEqual(pop.objective, ['อื่นๆ']);
    assert.equal(pop.objective_other, 'เพื่อการวางแผนเฉพาะกิจ');
    assert.equal(pop.high_value_dataset, 'False', 'flags as thai_gdc stores them');
    assert.equal(pop.reference_data, 'True');
    assert.deepEqual(pop.tags.map((t: { name: string }) => t.name).sort(), ['ประชากร', 'สถิติ']);
    assert.equal(pop.organization.name, 'dept-x');
    assert.equal(pop.resources.length, 1);
    assert.equal(pop.resources[0].resource_last_updated_date, '2024-02-01');
    assert.equal(pop.resources[0].url, 'https://data.example.go.th/pop.csv');
    const births = (await api(env, 'package_show', { id: 'births-2566' }, { token })).json.result;
    assert.equal(births.data_type, 'ข้อมูลสถิติ');
    assert.equal(births.official_statistics, 'False');
    const audit = await sys(env, 'audit_search', { action: 'package_template_import' });
    assert.ok(JSON.stringify(audit).includes('"datasets":2'));
  });

  it('one bad row fails the whole file: every error names its sheet, row and column, and nothing is written', async () => {
    const before = await count();
    const file = await filled({
      Temp2_Meta_Record: [
        recordRow('good-one', 'ชุดข้อมูลที่ถูกต้อง'),
        recordRow('bad-date', 'วันที่ผิด', { 19: '31/02/2567' }),
        recordRow('bad-mail', 'อีเมลผิด', { 6: 'not-an-email', 16: 'ลับ' }),
      ],
      Temp3_Resource_Record: [{ 1: 'no-such-dataset', 2: 'ไฟล์', 3: 'https://x.example/a.csv', 7: 'CSV' }],
    });
    const r = await send(file);
    assert.equal(r.statusCode, 409, r.body);
    const err = r.json().error;
    assert.equal(err.__type, 'Validation Error');
    assert.match(err['Temp2_Meta_Record[7].created_date'][0], /กุมภาพันธ์ 2567 มี 29 วัน/);
    assert.ok(err['Temp2_Meta_Record[8].maintainer_email'], JSON.stringify(err));
    assert.ok(err['Temp2_Meta_Record[8].data_classification'], 'a level the public category does not allow');
    assert.match(err['Temp3_Resource_Record[6].dataset_name'][0], /no-such-dataset/);
    assert.equal(err['Temp2_Meta_Record[6].title'], undefined, 'the good row has no error');
    assert.equal(await count(), before, 'nothing half-imported');
    const en = await env.app.inject({ method: 'POST', url: '/api/3/action/package_template_import', headers: { authorization: token, 'accept-language': 'en', 'content-type': 'multipart/form-data; boundary=B' }, payload: multipart({ owner_org: 'dept-x' }, file) });
    assert.match(en.json().error['Temp3_Resource_Record[6].dataset_name'][0], /No dataset "no-such-dataset"/);
  });

  it('refuses a workbook that is not the template, a file that is not a workbook, and an organisation the caller may not write to', async () => {
    const other = new ExcelJS.Workbook();
    other.addWorksheet('Sheet1').getCell(1, 1).value = 'hello';
    const notTemplate = await send(Buffer.from(await other.xlsx.writeBuffer()));
    assert.equal(notTemplate.statusCode, 409);
    assert.match(notTemplate.json().error.upload[0], /ไม่ใช่แม่แบบ.*Temp2_Meta_Record.*พบ Sheet1/);
    const garbage = await send(Buffer.from('name,title\nx,y\n'));
    assert.equal(garbage.statusCode, 409);
    assert.ok(garbage.json().error.upload);
    const empty = await send(await filled({}));
    assert.equal(empty.statusCode, 409);
    assert.match(empty.json().error.upload[0], /ไม่พบแถวข้อมูล/);
    const foreign = await send(await filled({ Temp2_Meta_Record: [recordRow('foreign', 'ของหน่วยงานอื่น')] }), { owner_org: 'dept-y' });
    assert.equal(foreign.statusCode, 403);
    const anon = await env.app.inject({ method: 'POST', url: '/api/3/action/package_template_import', headers: { 'content-type': 'multipart/form-data; boundary=B' }, payload: multipart({ owner_org: 'dept-x' }, await filled({})) });
    assert.equal(anon.statusCode, 403);
  });

  it('template_org keeps only the rows of one agency in a shared template', async () => {
    const file = await filled({
      Temp2_Meta_Record: [recordRow('mine-a', 'ของเรา ก'), recordRow('theirs-b', 'ของเขา ข', { 4: 'กรมอื่น' })],
    });
    const r = await send(file, { owner_org: 'dept-x', template_org: 'กรมตัวอย่าง' });
    assert.equal(r.statusCode, 200, r.body);
    assert.deepEqual(r.json().result.imported.map((x: { name: string }) => x.name), ['mine-a']);
  });

  it('the portal page: a blank template to download, errors in a table by sheet and row, then the imported datasets', async () => {
    const c = new PageClient(env.app);
    await c.signIn('officer', 'correct horse battery');
    const list = await c.get('/dataset');
    assert.match(list.body, /href="\/dataset\/import"/, 'the link sits beside "add dataset"');
    const form = await c.get('/dataset/import');
    assert.equal(form.statusCode, 200);
    assert.match(form.body, /<option value="dept-x"/);
    assert.doesNotMatch(form.body, /<option value="dept-y"/, 'only organisations the caller may add to');
    const blank = await env.app.inject({ url: '/dataset/import/template.xlsx' });
    assert.equal(blank.statusCode, 200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(blank.rawPayload as unknown as ArrayBuffer);
    assert.deepEqual(wb.worksheets.map((w) => w.name).filter((n) => n.startsWith('Temp2')), ['Temp2_Meta_Record', 'Temp2_Meta_Stat', 'Temp2_Meta_GIS', 'Temp2_Meta_Multi', 'Temp2_Meta_Other']);
    assert.match(String(wb.getWorksheet('Temp2_Meta_Record')!.getCell(4, 3).value), /ชื่อชุดข้อมูล|ชื่อ/);

    const bad = await c.postFile('/dataset/import', { owner_org: 'dept-x' }, { name: 'bad.xlsx', content: await filled({ Temp2_Meta_Record: [recordRow('page-bad', 'หน้าเว็บ', { 20: '32/01/2567' })] }) });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /ยังไม่ได้นำเข้า/);
    assert.match(bad.body, /<td>Temp2_Meta_Record<\/td><td class="num">6<\/td><td>[^<]*\(last_updated_date\)<\/td>/);
    const good = await c.postFile('/dataset/import', { owner_org: 'dept-x' }, { name: 'good.xlsx', content: await filled({ Temp2_Meta_Record: [recordRow('page-good', 'นำเข้าจากหน้าเว็บ')] }) });
    assert.equal(good.statusCode, 200, good.body.slice(0, 500));
    assert.match(good.body, /นำเข้าแล้ว 1 ชุดข้อมูล/);
    assert.match(good.body, /href="\/dataset\/page-good"/);
    const none = await c.postFile('/dataset/import', { owner_org: 'dept-x' }, null);
    assert.equal(none.statusCode, 400);
    assert.match(none.body, /กรุณาแนบไฟล์แม่แบบ/);
  });
});
