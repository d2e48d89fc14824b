import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { cliEnv, SHARED, writeJsonl, type CliEnv } from './cli-env.ts';
import { runAction } from '../../src/actions/registry.ts';
import { SYSTEM } from '../../src/access/actor.ts';
import { verifyAuditChain } from '../../src/actions/audit.ts';

// A real, complete package_show dict from data.go.th and real records of its mirror.
const covid = JSON.parse(fs.readFileSync(path.join(SHARED, 'data-go-th-package-list', 'package_search_covid-19-daily.json'), 'utf8')).result.results[0];
const mirror = fs
  .readFileSync(path.join(SHARED, 'data-go-th-mirror-2020s', 'datasets.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .slice(0, 40)
  .map((l) => JSON.parse(l));

/** A mirror record as a minimal package dict: what an old CKAN export holds, without the national standard's fields. */
function fromMirror(r: (typeof mirror)[number], i: number) {
  return {
    name: `mirror-${i}-${r.id.toLowerCase().replace(/[^a-z0-9_-]/g, '-')}`.slice(0, 70),
    title: r.title,
    notes: r.summary,
    tags: r.tags.filter((t: string) => !t.includes('\uFFFD')).slice(0, 3),
    license_id: 'Creative Commons Attributions',
    resources: r.resources_list.slice(0, 2).map((x: { name: string; format: string; url: string }) => ({ name: x.name || r.title, format: x.format, url: x.url })),
  };
}

function variant(name: string, title: string, extra: Record<string, unknown> = {}) {
  const { id: _id, ...rest } = covid;
  return { ...rest, name, title, resources: covid.resources.slice(0, 2).map(({ id: _r, ...res }: Record<string, unknown>) => res), ...extra };
}

describe('banchi import', () => {
  let cli: CliEnv;
  before(async () => {
    cli = await cliEnv();
  });
  after(() => cli.close());

  test('imports real package dicts, reports every failed line with its field errors, and goes on', async () => {
    const file = writeJsonl(cli.dataDir, 'mixed.jsonl', [
      covid,
      '{"name": "broken"',
      variant('covid-19-daily-other', 'รายงาน COVID-19 ประจำวัน (ค่านอกรายการ)', { license_id: 'ogl', data_format: ['csv', 'Excel'], update_frequency_unit: 'รายวัน' }),
      variant('covid-19-daily-copy', covid.title),
      variant('covid-19-daily-bad', 'รายงาน COVID-19 ค่าไม่ถูกต้อง', { maintainer_email: 'not-an-email', data_classification: 'ลับ' }),
      '',
      fromMirror(mirror[0], 0),
    ]);
    const r = await cli.run(['import', file], { lang: 'en_US.UTF-8' });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /^imported 2, failed 4\b/m);
    assert.match(r.stderr, /^line 2: json: Invalid JSON/m);
    assert.match(r.stderr, /^line 4 \(covid-19-daily-copy\): title: That title is already in use\.$/m);
    assert.match(r.stderr, /^line 5 \(covid-19-daily-bad\): .*maintainer_email: Email is not valid/m);
    assert.match(r.stderr, /^line 5 .*data_classification: Category "ข้อมูลสาธารณะ" allows only these levels: เปิดเผย/m);
    assert.match(r.stderr, /^line 7 \(mirror-0-[^)]*\): .*maintainer: Missing value/m);
    assert.doesNotMatch(r.stderr, /^line (1|3|6)\b/m);

    await cli.withServices(async (services) => {
      const show = (id: string) => runAction<Record<string, any>>(services, 'package_show', { id }, { actor: SYSTEM });
      const real = await show('covid-19-daily');
      assert.equal(real.id, covid.id, 'the source id is kept');
      assert.equal(real.organization.name, 'ddc', 'the record organisation was created');
      assert.equal(real.organization.title, 'กรมควบคุมโรค');
      assert.deepEqual(real.groups.map((g: { name: string }) => g.name).sort(), ['public-health', 'research']);
      assert.equal(real.resources.length, covid.resources.length);
      assert.equal(real.state, 'active');

      // Values outside a code list move to <field>_other and the field becomes อื่นๆ.
      const other = await show('covid-19-daily-other');
      assert.equal(other.license_id, 'อื่นๆ');
      assert.equal(other.license_id_other, 'ogl');
      assert.deepEqual(other.data_format, ['CSV', 'อื่นๆ']);
      assert.equal(other.data_format_other, 'Excel');
      assert.equal(other.update_frequency_unit, 'อื่นๆ');
      assert.equal(other.update_frequency_unit_other, 'รายวัน');

      const history = await runAction<Array<{ activity_type: string }>>(services, 'package_activity_list', { id: 'covid-19-daily' }, { actor: SYSTEM });
      assert.deepEqual(history.map((h) => h.activity_type), ['new package']);
      const found = await runAction<{ count: number; results: Array<{ name: string }> }>(services, 'package_search', { q: 'COVID-19' }, { actor: SYSTEM });
      assert.deepEqual(found.results.map((d) => d.name).sort(), ['covid-19-daily', 'covid-19-daily-other']);
      assert.equal(await verifyAuditChain(services.store.db), null);
    });
  });

  test('--allow-incomplete keeps records that only lack required fields as drafts; --org gives them an owner', async () => {
    const records = mirror.slice(1, 5).map((r, i) => fromMirror(r, i + 1));
    const wrong = { ...fromMirror(mirror[5], 5), data_category: 'ข้อมูลลับมาก' };
    const file = writeJsonl(cli.dataDir, 'incomplete.jsonl', [...records, wrong]);

    const strict = await cli.run(['import', file, '--org', 'ddc']);
    assert.equal(strict.code, 1);
    assert.match(strict.stdout, /imported 0, failed 5/);
    assert.match(strict.stderr, /^บรรทัด 1 \(mirror-1-[^)]*\): .*maintainer: กรุณากรอกข้อมูลนี้/m);

    const lenient = await cli.run(['import', file, '--org', 'ddc', '--allow-incomplete']);
    assert.equal(lenient.code, 1, 'the record with a wrong value still fails');
    assert.match(lenient.stdout, /imported 4, failed 1/);
    assert.match(lenient.stdout, /ฉบับร่าง 4/);
    assert.match(lenient.stderr, /^บรรทัด 5 \(mirror-5-[^)]*\): .*data_category: ค่า "ข้อมูลลับมาก" ไม่อยู่ในรายการที่กำหนด/m);
    // Only what stopped the record: its missing fields alone would have made it a draft.
    assert.doesNotMatch(lenient.stderr, /maintainer/);
    // Run again: the drafts already there are reported by their taken name, not by what they lack.
    const again = await cli.run(['import', file, '--org', 'ddc', '--allow-incomplete'], { lang: 'en_US.UTF-8' });
    assert.match(again.stdout, /imported 0, failed 5/);
    for (const line of again.stderr.trim().split('\n').slice(0, 4)) assert.match(line, /^line \d \(mirror-\d-[^)]*\): name: That URL is already in use\.(; |$)/, line);
    assert.doesNotMatch(again.stderr, /required|maintainer/i);

    await cli.withServices(async (services) => {
      const d = await runAction<Record<string, any>>(services, 'package_show', { id: records[0]!.name }, { actor: SYSTEM });
      assert.equal(d.state, 'draft');
      assert.equal(d.title, mirror[1].title);
      assert.equal(d.organization.name, 'ddc');
      assert.equal(d.resources.length, records[0]!.resources.length);
    });
  });

  test('a file without problems exits 0', async () => {
    const file = writeJsonl(cli.dataDir, 'clean.jsonl', [variant('covid-19-daily-clean', 'รายงาน COVID-19 ประจำวัน (ชุดสะอาด)')]);
    const r = await cli.run(['import', file], { lang: 'en_US.UTF-8' });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^imported 1, failed 0 in [\d.]+ s/m);
    assert.equal(r.stderr, '');
  });

  test('an unknown --org or a missing file is a usage error (exit 2)', async () => {
    const file = writeJsonl(cli.dataDir, 'one.jsonl', [fromMirror(mirror[6], 6)]);
    const noOrg = await cli.run(['import', file, '--org', 'no-such-org'], { lang: 'en_US.UTF-8' });
    assert.equal(noOrg.code, 2);
    assert.match(noOrg.stderr, /Organisation "no-such-org" not found/);
    const noFile = await cli.run(['import', path.join(cli.dataDir, 'missing.jsonl')]);
    assert.equal(noFile.code, 2);
    assert.match(noFile.stderr, /ไม่พบไฟล์/);
  });
});
