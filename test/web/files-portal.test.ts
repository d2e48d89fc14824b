import { before, after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { testEnv, sys, makeOrg, makeUser, datasetInput, STORE_KIND, type TestEnv } from '../helpers.ts';
import { PageClient } from './client.ts';
import { PASSWORD, upload } from './seed.ts';
import { previewCache } from '../../src/web/preview.ts';

/** Issue 7 findings 1 and 7 on the portal: forged uploads in forms, and previews that cannot stall the server. */
describe(`[${STORE_KIND}] portal files`, () => {
  let env: TestEnv;
  let attacker: PageClient;
  let victimKey: string;
  let ownResource: { id: string };
  before(async () => {
    env = await testEnv({}, { web: true });
    await makeOrg(env, 'victim');
    await makeOrg(env, 'attacker');
    await makeUser(env, 'a-editor', { org: 'attacker' });
    const secret = await sys(env, 'package_create', datasetInput('victim', { name: 'secret-ds', data_category: 'ข้อมูลความลับทางราชการ', data_classification: 'ลับ' }));
    const res = await sys(env, 'resource_create', { package_id: secret.id, name: 'ลับ', upload: await upload(env, 'secret.csv', 'a,b\n1,2\n') });
    victimKey = (await env.services.store.db.selectFrom('resources').select('storage_key').where('id', '=', res.id).executeTakeFirstOrThrow()).storage_key!;
    const mine = await sys(env, 'package_create', datasetInput('attacker', { name: 'attacker-open' }));
    ownResource = await sys(env, 'resource_create', { package_id: mine.id, name: 'ของฉัน', upload: await upload(env, 'mine.csv', 'x\n1\n') });
    attacker = new PageClient(env.app);
    assert.equal((await attacker.signIn('a-editor', PASSWORD)).statusCode, 303);
  });
  after(() => env.close());

  it('"switch to link" with a forged upload object in a JSON form body removes nobody\'s file', async () => {
    const edit = `/dataset/attacker-open/resource/${ownResource.id}/edit`;
    const page = await attacker.get(edit);
    assert.equal(page.statusCode, 200);
    const res = await env.app.inject({
      method: 'POST',
      url: edit,
      remoteAddress: attacker.ip,
      headers: { cookie: attacker.cookieHeader(), 'content-type': 'application/json' },
      payload: JSON.stringify({ _csrf: attacker.csrf(), source: 'link', url: 'https://example.go.th/x.csv', name: 'x', format: 'CSV', upload: { key: victimKey, size: 1, sha256: 'f'.repeat(64), filename: 'x.csv' } }),
    });
    assert.ok(res.statusCode < 500, res.body.slice(0, 500));
    assert.ok(await env.services.files.exists(victimKey), 'the victim file is still there');
    const forgedUpload = await env.app.inject({
      method: 'POST',
      url: edit,
      remoteAddress: attacker.ip,
      headers: { cookie: attacker.cookieHeader(), 'content-type': 'application/json' },
      payload: JSON.stringify({ _csrf: attacker.csrf(), source: 'upload', name: 'x', format: 'CSV', upload: { key: victimKey, size: 1, sha256: 'f'.repeat(64), filename: 'x.csv' } }),
    });
    assert.ok(forgedUpload.statusCode >= 400 && forgedUpload.statusCode < 500, `${forgedUpload.statusCode}`);
    const rows = await env.services.store.db.selectFrom('resources').select('id').where('storage_key', '=', victimKey).execute();
    assert.equal(rows.length, 1, 'the file is not attached to the attacker\'s resource');
  });

  async function xlsxResource(name: string, content: Buffer) {
    const ds = await sys(env, 'package_show', { id: 'attacker-open' });
    return sys(env, 'resource_create', { package_id: ds.id, name, upload: await upload(env, `${name}.xlsx`, content) });
  }

  it('XLSX preview: first rows of the first sheet, shared strings and dates, answered from the cache the second time', async () => {
    const wb = new ExcelJS.Workbook();
    const s = wb.addWorksheet('แรก');
    s.addRow(['จังหวัด', 'วันที่', 'จำนวน']);
    for (let i = 0; i < 200; i++) s.addRow([`จังหวัด ${i}`, new Date(Date.UTC(2024, 0, 1 + i)), i * 1.5]);
    wb.addWorksheet('สอง').addRow(['ไม่ควรเห็น']);
    const r = await xlsxResource('book', Buffer.from(await wb.xlsx.writeBuffer()));
    const anon = new PageClient(env.app);
    const page = await anon.get(`/dataset/attacker-open/resource/${r.id}`);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<th scope="col">จังหวัด<\/th>/);
    assert.match(page.body, /<td>จังหวัด 0<\/td><td>2024-01-01<\/td><td class="num">0<\/td>/);
    assert.match(page.body, /<td class="num">1\.5<\/td>/);
    assert.doesNotMatch(page.body, /ไม่ควรเห็น/);
    assert.equal((page.body.match(/<tr><td>/g) ?? []).length, 50);
    // The second view comes from the cache: it shows the table even with the file gone from disk.
    const key = (await env.services.store.db.selectFrom('resources').select('storage_key').where('id', '=', r.id).executeTakeFirstOrThrow()).storage_key!;
    await env.services.files.remove(key);
    const again = await anon.get(`/dataset/attacker-open/resource/${r.id}`);
    assert.match(again.body, /<td>จังหวัด 49<\/td>/);
  });

  it('an XLSX zip bomb stops at the inflate budget, quickly, and the server keeps answering', async () => {
    // A sheet of 24 MB of zeros (the budget is 16 MB) inside a valid workbook: a few hundred KB on disk.
    const wb = new ExcelJS.Workbook();
    wb.addWorksheet('a').addRow(['x']);
    const JSZip = (await import('jszip')).default;
    const zip = await JSZip.loadAsync(Buffer.from(await wb.xlsx.writeBuffer()));
    const huge = `<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>${'0'.repeat(24 * 1024 * 1024)}</t></is></c></row></sheetData></worksheet>`;
    zip.file('xl/worksheets/sheet1.xml', huge);
    const bomb = await zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE', compressionOptions: { level: 9 } });
    assert.ok(bomb.length < 1024 * 1024, `bomb is ${bomb.length} bytes`);
    const r = await xlsxResource('bomb', bomb);
    previewCache.clear();
    const anon = new PageClient(env.app);
    const started = performance.now();
    const pending = anon.get(`/dataset/attacker-open/resource/${r.id}`);
    // The main thread stays free while the worker inflates.
    const ping = await new PageClient(env.app).get('/api/3');
    const pingTime = performance.now() - started;
    const page = await pending;
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /ไฟล์ใหญ่เกินกว่าจะแสดงตัวอย่าง/);
    assert.doesNotMatch(page.body, /0{1000}/);
    assert.equal(ping.statusCode, 200);
    assert.ok(pingTime < 3000, `the server answered another request in ${pingTime} ms`);
    assert.ok(performance.now() - started < 15000, `preview took ${performance.now() - started} ms`);
  });

  it('a preview that runs past its time limit is stopped', async () => {
    const { parseOffThread } = await import('../../src/web/preview.ts');
    const csv = Buffer.from(Array.from({ length: 20000 }, (_, i) => `"${'x'.repeat(40)}",${i}`).join('\n'));
    const result = await parseOffThread({ kind: 'csv', bytes: csv, complete: true }, 1);
    assert.deepEqual(result, { kind: 'none', reason: 'too_large' });
  });

  it('a JSON file nested ten thousand levels deep is shown as text, not pretty-printed', async () => {
    const ds = await sys(env, 'package_show', { id: 'attacker-open' });
    const deep = '['.repeat(10000) + ']'.repeat(10000);
    const r = await sys(env, 'resource_create', { package_id: ds.id, name: 'deep', upload: await upload(env, 'deep.json', deep) });
    const page = await new PageClient(env.app).get(`/dataset/attacker-open/resource/${r.id}`);
    assert.equal(page.statusCode, 200);
    assert.ok(page.body.length < 200_000, `page is ${page.body.length} bytes`);
  });

  it('a harvested link marked "upload" (no stored file) shows its page, not a 404', async () => {
    const ds = await sys(env, 'package_show', { id: 'attacker-open' });
    const r = await sys(env, 'resource_create', { package_id: ds.id, name: 'harvested', url: 'https://data.go.th/dataset/x/resource/y/download/a.csv', url_type: 'upload', format: 'CSV' });
    const page = await new PageClient(env.app).get(`/dataset/attacker-open/resource/${r.id}`);
    assert.equal(page.statusCode, 200);
  });

  /** The edit form's fields as a browser submits them: text fields, selected options, checked boxes. */
  function formFields(body: string): Record<string, string | string[]> {
    const out: Record<string, string | string[]> = {};
    const add = (k: string, v: string) => {
      const prev = out[k];
      out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    };
    const form = /<form[^>]*class="resource-form"[\s\S]*?<\/form>/.exec(body)![0];
    for (const m of form.matchAll(/<input\b[^>]*>/g)) {
      const name = /name="([^"]+)"/.exec(m[0])?.[1];
      const type = /type="([^"]+)"/.exec(m[0])?.[1] ?? 'text';
      if (!name || name === '_csrf' || type === 'file' || ((type === 'checkbox' || type === 'radio') && !/\schecked/.test(m[0]))) continue;
      add(name, (/value="([^"]*)"/.exec(m[0])?.[1] ?? '').replace(/&quot;/g, '"').replace(/&amp;/g, '&'));
    }
    for (const m of form.matchAll(/<textarea[^>]*name="([^"]+)"[^>]*>([^<]*)<\/textarea>/g)) add(m[1]!, m[2]!);
    for (const m of form.matchAll(/<select[^>]*name="([^"]+)"[^>]*>([\s\S]*?)<\/select>/g)) add(m[1]!, /<option[^>]*value="([^"]*)"[^>]*selected/.exec(m[2]!)?.[1] ?? '');
    return out;
  }

  it('editing a resource in the portal keeps what the form does not show (data dictionary, API extras)', async () => {
    const ds = await sys(env, 'package_show', { id: 'attacker-open' });
    const dictionary = [{ name: 'citizen_id', type: 'text', personal_data: true }];
    const r = await sys(env, 'resource_create', { package_id: ds.id, name: 'ทะเบียน', upload: await upload(env, 'reg.csv', 'citizen_id\n1\n'), data_dictionary: dictionary, source_system: 'ระบบทะเบียน' });
    const edit = `/dataset/attacker-open/resource/${r.id}/edit`;
    const keep = formFields((await attacker.get(edit)).body);
    const saved = await attacker.postFile(edit, { ...(keep as Record<string, string>), source: 'keep', name: 'ทะเบียน (แก้ไข)' }, null);
    assert.equal(saved.statusCode, 303, saved.body.slice(0, 300));
    let now = await sys(env, 'resource_show', { id: r.id });
    assert.equal(now.name, 'ทะเบียน (แก้ไข)');
    assert.equal(now.data_dictionary[0]?.personal_data, true, 'the personal-data flag is still there');
    assert.equal(now.source_system, 'ระบบทะเบียน');
    // A new file through the form: the same.
    const replaced = await attacker.postFile(edit, { ...(formFields((await attacker.get(edit)).body) as Record<string, string>), source: 'upload' }, { name: 'reg2.csv', content: 'citizen_id\n2\n' });
    assert.equal(replaced.statusCode, 303, replaced.body.slice(0, 300));
    now = await sys(env, 'resource_show', { id: r.id });
    assert.match(now.url, /reg2\.csv$/);
    assert.equal(now.data_dictionary[0]?.name, 'citizen_id');
    assert.equal(now.source_system, 'ระบบทะเบียน');
  });

  it('leaves no temporary files behind', () => {
    const tmp = path.join(env.config.dataDir, 'files', 'tmp');
    assert.deepEqual(fs.readdirSync(tmp), []);
  });
});
