import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { testEnv, sys, type TestEnv } from '../helpers.ts';
import { indexDatasets } from '../../src/search/indexer.ts';
import { packageDicts } from '../../src/actions/datasets/present.ts';
import type { ActionContext } from '../../src/actions/context.ts';
import { SYSTEM } from '../../src/access/actor.ts';

// package_import builds each dataset's history snapshot and search row from the rows it has just
// written instead of reading them back: they must be exactly what reading back would give.
const SHARED = path.resolve(import.meta.dirname, '..', '..', '..', 'shared', 'data');
const covid = JSON.parse(fs.readFileSync(path.join(SHARED, 'data-go-th-package-list', 'package_search_covid-19-daily.json'), 'utf8')).result.results[0];

function record(i: number, resources: Array<Record<string, unknown>>, extra: Record<string, unknown> = {}) {
  const { id: _id, resources: _r, groups: _g, ...rest } = covid;
  return { ...rest, name: `written-${i}`, title: `${covid.title} ชุดที่ ${i}`, resources, ...extra };
}

describe('package_import: snapshots and search rows from the rows it wrote', () => {
  let env: TestEnv;
  before(async () => {
    env = await testEnv();
  });
  after(() => env.close());

  test('equal what package_show and a search rebuild read back from the store', async () => {
    const res = (name: string, format: string, description = '') => ({ name, format, url: `https://example.go.th/${encodeURIComponent(name)}`, description });
    const records = [
      // formats in mixed case and repeated, empty descriptions, more resources than one
      record(1, [res('ตาราง b', 'csv', 'คำอธิบาย'), res('ตาราง a', 'CSV'), res('ไม่มีคำอธิบาย', 'xlsx'), res('api', 'JSON', 'ข้อมูล API')]),
      record(2, []),
      record(3, [res('ไฟล์เดียว', 'Csv')]),
      // a theme group created by the import, and one more dataset in it
      record(4, [res('กลุ่ม', 'pdf')], { groups: [{ name: 'written-theme', title: 'กลุ่มทดสอบ' }] }),
      record(5, [res('สอง', 'XML'), res('หนึ่ง', 'xml', 'ซ้ำ')], { groups: [{ name: 'written-theme' }] }),
    ];
    const r = await sys(env, 'package_import', { records });
    assert.equal(r.failed.length, 0, JSON.stringify(r.failed));
    assert.equal(r.imported.length, records.length);
    const ids: string[] = r.imported.map((x: { id: string }) => x.id);
    const db = env.services.store.db;

    const searchRows = async () =>
      // changed_xid names the writing transaction (migration 029): a rebuild is another one.
      (await sql<Record<string, unknown>>`SELECT *, document::text AS document FROM dataset_search WHERE dataset_id = ANY(${ids}::uuid[]) ORDER BY dataset_id`.execute(db)).rows.map(({ changed_xid: _, ...row }) => row);
    const written = await searchRows();
    assert.equal(written.length, ids.length);
    await db.transaction().execute((tx) => indexDatasets(tx, ids));
    assert.deepEqual(await searchRows(), written, 'a rebuild from the stored rows gives the same search rows');
    const formats = written.map((w) => w.res_formats);
    assert.ok(formats.some((f) => JSON.stringify(f) === JSON.stringify(['CSV', 'JSON', 'XLSX'])), JSON.stringify(formats));

    const snapshots = await db.selectFrom('activity').select(['object_id', 'data']).where('object_id', 'in', ids).where('activity_type', '=', 'new package').execute();
    assert.equal(snapshots.length, ids.length);
    const rows = await db.selectFrom('datasets').selectAll().where('id', 'in', ids).execute();
    // The unrestricted view asks nothing of the caller: the store and the settings are all it reads.
    const ctx = { services: env.services, db, actor: SYSTEM } as unknown as ActionContext;
    const fresh = await packageDicts(ctx, rows, { unrestricted: true });
    for (const d of fresh) {
      const snap = snapshots.find((s) => s.object_id === d.id)!;
      // Both as the store keeps JSON (jsonb), so key order does not count.
      const [stored] = (await sql<{ a: unknown; b: unknown }>`SELECT ${JSON.stringify(snap.data)}::jsonb AS a, ${JSON.stringify({ package: d })}::jsonb AS b`.execute(db)).rows;
      assert.deepEqual(stored!.a, stored!.b, `snapshot of ${d.name}`);
    }
  });
});
