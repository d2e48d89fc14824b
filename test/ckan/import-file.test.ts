import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { cliEnv, type CliEnv } from '../cli/cli-env.ts';
import { blankTemplate } from '../../src/import/template/write.ts';
import { currentStandard } from '../../src/standard/index.ts';

describe('banchi import of a file that is not JSON lines', () => {
  let cli: CliEnv;
  before(async () => {
    cli = await cliEnv();
  });
  after(() => cli.close());

  const cases: Array<[string, Buffer | string, RegExp]> = [
    // The first bytes of a real .xlsx (a ZIP), then binary noise as a workbook has.
    ['template.xlsx', Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0, 0x06, 0]), Buffer.alloc(4000, 0x9c), Buffer.from('\n{"x":1}\n'.repeat(78))]), /template\.xlsx: This workbook is not the national metadata template \(it needs the sheets Temp2_Meta_Record/],
    ['old.xls', Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(500, 0)]), /old\.xls is an old Excel workbook/],
    ['records.csv', 'name,title,notes\nlabour-1,สถิติแรงงาน,ข้อมูล\n', /records\.csv is a CSV or other table, not JSON lines/],
    ['noise.bin', Buffer.from([0xff, 0xfe, 0x00, 0x41, 0x00, 0x42, 0x0a]), /noise\.bin is a binary file/],
    ['search.json', '[{"name": "a"}]\n', /search\.json is one JSON array, not JSON lines/],
  ];
  for (const [name, content, message] of cases) {
    test(`${name}: one line, non-zero exit, nothing imported`, async () => {
      const file = path.join(cli.dataDir, name);
      fs.writeFileSync(file, content);
      const r = await cli.run(['import', file], { lang: 'en_US.UTF-8' });
      assert.equal(r.code, 1, r.stderr);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0]!, message);
      assert.doesNotMatch(r.stderr, /Invalid JSON/);
      assert.equal(r.stdout, '');
    });
  }

  test('Thai message by default; a JSON lines file with a BOM still imports', async () => {
    const file = path.join(cli.dataDir, 'th.csv');
    fs.writeFileSync(file, 'a;b\n1;2\n');
    const r = await cli.run(['import', file]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /th\.csv เป็นไฟล์ CSV หรือตาราง ไม่ใช่ JSON lines/);
    const ok = path.join(cli.dataDir, 'ok.jsonl');
    fs.writeFileSync(ok, '\uFEFF{"name": "x"}\n');
    const r2 = await cli.run(['import', ok], { lang: 'en_US.UTF-8' });
    assert.match(r2.stdout, /imported 0, failed 1/, 'read as JSON lines (the record itself is incomplete)');
  });

  test('a real template workbook is imported as the national template: errors by sheet and row, then all rows', async () => {
    await cli.withServices(async (s) => {
      const { runAction } = await import('../../src/actions/registry.ts');
      const { SYSTEM } = await import('../../src/access/actor.ts');
      await runAction(s, 'organization_create', { name: 'dept-cli', title: 'กรมทดสอบคำสั่ง' }, { actor: SYSTEM, lang: 'th' });
    });
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await blankTemplate(currentStandard())) as unknown as ArrayBuffer);
    const ws = wb.getWorksheet('Temp2_Meta_Record')!;
    const row = ['cli-dataset', 'ข้อมูลระเบียน', 'ชุดข้อมูลจากคำสั่ง', 'กรมทดสอบ', 'ฝ่ายข้อมูล', 'data@example.go.th', 'ทดสอบ', 'คำอธิบาย', 'พันธกิจหน่วยงาน', 'ปี', 1, 'ประเทศ', 'กรมทดสอบ', 'CSV', 'ข้อมูลสาธารณะ', 'เปิดเผย', 'Open Data Common', '', '30/02/2567'];
    row.forEach((v, i) => (ws.getCell(6, i + 1).value = v));
    const file = path.join(cli.dataDir, 'national.xlsx');
    fs.writeFileSync(file, Buffer.from(await wb.xlsx.writeBuffer()));
    const noOrg = await cli.run(['import', file], { lang: 'en_US.UTF-8' });
    assert.equal(noOrg.code, 1);
    assert.match(noOrg.stderr, /--org/);
    const bad = await cli.run(['import', file, '--org', 'dept-cli'], { lang: 'en_US.UTF-8' });
    assert.equal(bad.code, 1, bad.stderr);
    assert.match(bad.stderr, /Temp2_Meta_Record\[6\]\.created_date: February 2024 has 29 days/);
    ws.getCell(6, 19).value = '29/02/2567';
    fs.writeFileSync(file, Buffer.from(await wb.xlsx.writeBuffer()));
    const ok = await cli.run(['import', file, '--org', 'dept-cli'], { lang: 'en_US.UTF-8' });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /imported 1 datasets and 0 resources from Temp2_Meta_Record/);
  });
});
