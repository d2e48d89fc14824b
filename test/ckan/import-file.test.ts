import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { cliEnv, type CliEnv } from '../cli/cli-env.ts';

describe('banchi import of a file that is not JSON lines', () => {
  let cli: CliEnv;
  before(async () => {
    cli = await cliEnv();
  });
  after(() => cli.close());

  const cases: Array<[string, Buffer | string, RegExp]> = [
    // The first bytes of a real .xlsx (a ZIP), then binary noise as a workbook has.
    ['template.xlsx', Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0, 0x06, 0]), Buffer.alloc(4000, 0x9c), Buffer.from('\n{"x":1}\n'.repeat(78))]), /template\.xlsx is an Excel workbook \(\.xlsx\) or a ZIP archive, not JSON lines/],
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
});
