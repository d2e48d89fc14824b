import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { cliEnv, SHARED, STORE, writeJsonl, type CliEnv } from './cli-env.ts';
import { mirrorRecords } from '../real-data.ts';
import { verifyAuditChain } from '../../src/actions/audit.ts';

/**
 * Every real data.go.th record of ../shared/data through `banchi import`, as it was published:
 * titles, notes, tags and resource names untouched (zero-width spaces, tags cut mid-character).
 * Only what the flattened mirror lost is filled in (the national standard's required fields,
 * an organisation slug), so that any failure is about the published text itself.
 */

const covid = JSON.parse(fs.readFileSync(path.join(SHARED, 'data-go-th-package-list', 'package_search_covid-19-daily.json'), 'utf8')).result.results[0];
const mirror = mirrorRecords();
const legacy = parseCsv(fs.readFileSync(path.join(SHARED, 'data-go-th-legacy-2016', 'data.csv'), 'utf8')).slice(1).filter((r) => r[0] && r[1]);

/** The fields the national standard requires and the 2020s mirror does not keep. */
function standardFields(org: string) {
  return {
    data_type: 'ข้อมูลหลากหลายประเภท',
    maintainer: org,
    maintainer_email: 'opendata@example.go.th',
    objective: ['พันธกิจหน่วยงาน'],
    update_frequency_unit: 'ไม่ทราบ',
    geo_coverage: 'ประเทศ',
    data_source: org,
    data_format: ['ไม่ทราบ'],
    data_category: 'ข้อมูลสาธารณะ',
    data_classification: 'เปิดเผย',
  };
}

function records(): unknown[] {
  const orgSlugs = new Map<string, string>();
  const out: Array<Record<string, unknown>> = [covid];
  for (const r of mirror) {
    if (!orgSlugs.has(r.org)) orgSlugs.set(r.org, `agency-${orgSlugs.size + 1}`);
    out.push({
      ...standardFields(r.org),
      // One real slug is 83 characters long; CKAN allows 100, the standard 70.
      name: r.id.slice(0, 70),
      title: r.title,
      notes: r.summary,
      organization: { name: orgSlugs.get(r.org), title: r.org },
      tags: r.tags,
      license_id: r.license,
      url: r.url,
      resources: r.resources_list.map((x) => ({ name: x.name, format: x.format, url: x.url })),
    });
  }
  for (const [i, [category, title, url]] of legacy.entries()) {
    out.push({
      ...standardFields('data.go.th'),
      name: `legacy-2016-${i}`,
      title,
      notes: `${title} (${category})`,
      organization: { name: 'data-go-th-2016', title: 'data.go.th (2559)' },
      tags: [category],
      license_id: 'Open Data Common',
      resources: [{ name: title, format: 'XLS', url }],
    });
  }
  return out;
}

/**
 * Our catalog refuses a second live dataset with the same title (CKAN does not): the 2020s mirror
 * repeats 34 titles, the 2016 catalog 20, and about 500 titles of 2016 are published again in the
 * mirror. Those are told apart by their slug, as a publisher would be asked to do; nothing else
 * about a record changes (the uniqueness rule has its own tests).
 */
function distinctTitles(list: unknown[]): number {
  const seen = new Set<string>();
  let renamed = 0;
  for (const r of list as Array<Record<string, string>>) {
    const key = r.title!.replace(/\p{Default_Ignorable_Code_Point}/gu, '').normalize('NFC').trim().replace(/\s+/g, ' ');
    if (seen.has(key)) {
      r.title = `${r.title} (${r.name})`;
      renamed++;
    }
    seen.add(key);
  }
  return renamed;
}

describe(`every real data.go.th record imports (${STORE})`, () => {
  let cli: CliEnv;
  before(async () => {
    cli = await cliEnv();
  });
  after(() => cli.close());

  test('banchi import: no text failure, invisible characters removed, tags cut mid-character repaired', async () => {
    const list = records();
    const renamed = distinctTitles(list);
    assert.ok(renamed < list.length / 3, `${renamed} repeated titles`);
    const file = writeJsonl(cli.dataDir, 'real.jsonl', list);
    // --allow-incomplete: the flattened mirror lost fields (resource URLs, names, formats, tags) that
    // the standard requires; such records are kept as drafts, which is what the option is for.
    const r = await cli.run(['import', file, '--allow-incomplete'], { lang: 'en_US.UTF-8' });
    const failures = r.stderr.split('\n').filter(Boolean);
    // Every line imports, including the tags with ( ) > % that real agencies use.
    assert.deepEqual(failures, []);
    assert.match(r.stdout, new RegExp(`^imported ${list.length}, failed 0\\b`, 'm'));

    await cli.withServices(async (services) => {
      const db = services.store.db;
      const n = await db.selectFrom('datasets').select((eb) => eb.fn.countAll<number>().as('n')).where('state', '=', 'active').executeTakeFirstOrThrow();
      const drafts = await db.selectFrom('datasets').select((eb) => eb.fn.countAll<number>().as('n')).where('state', '=', 'draft').executeTakeFirstOrThrow();
      assert.equal(Number(n.n) + Number(drafts.n), list.length);
      assert.ok(Number(n.n) > list.length * 0.9, `${n.n} complete records`);
      const hidden = /\p{Default_Ignorable_Code_Point}|\uFFFD/u;
      for (const d of await db.selectFrom('datasets').select(['name', 'title', 'notes', 'tags']).execute()) {
        assert.doesNotMatch(d.title, hidden, d.name);
        assert.doesNotMatch(d.notes, hidden, d.name);
        for (const t of d.tags) assert.doesNotMatch(t, hidden, d.name);
      }
      for (const res of await db.selectFrom('resources').select(['name']).execute()) assert.doesNotMatch(res.name, hidden);
      // The record whose title had 14 zero-width spaces between its words.
      const maritime = await db.selectFrom('datasets').select('title').where('title', 'like', 'ระเบียบคณะกรรมการบริหารศูนย์อำนวยการรักษาผลประโยชน์ของชาติทางทะเล%').execute();
      assert.equal(maritime.length, 1);
      assert.equal(await verifyAuditChain(db), null);
    });
  });
});

/** Enough CSV for data.csv: quoted fields with commas and doubled quotes. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(field), (field = '');
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field), rows.push(row), (row = []), (field = '');
    } else field += c;
  }
  if (field || row.length) row.push(field), rows.push(row);
  return rows;
}
