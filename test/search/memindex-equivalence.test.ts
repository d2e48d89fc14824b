import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { api, datasetInput, STORE_KIND, sys, type TestEnv } from '../helpers.ts';
import { openServices } from '../../src/services.ts';
import { runAction } from '../../src/actions/registry.ts';
import { SYSTEM } from '../../src/access/actor.ts';
import { corpusWithRoles, ROLES, type Role } from './fixtures.ts';
import { memCounters } from '../../src/search/memindex/engine.ts';
import { forgetSearches } from '../../src/search/result-cache.ts';

/**
 * The in-memory copy (src/search/memindex) must answer package_search exactly as the SQL
 * statement does: the same count, page order, facets and loosening notices, for every role and
 * every kind of query. Each search runs both ways and the answers are compared whole.
 */
let env: TestEnv;
let tokens: Partial<Record<Role, string>> = {};
let org = '';
let tag = '';
let tag2 = '';
let group = '';
let orgId = '';
let someId = '';
let someName = '';

before(async () => {
  ({ env, tokens, org } = await corpusWithRoles());
  const db = env.services.store.db;
  const tags = (await sql<{ t: string }>`SELECT t FROM datasets, unnest(tags) AS t GROUP BY t ORDER BY count(*) DESC, t LIMIT 2`.execute(db)).rows;
  tag = tags[0]!.t;
  tag2 = tags[1]!.t;
  orgId = (await sql<{ id: string }>`SELECT id FROM groups WHERE name = ${org}`.execute(db)).rows[0]!.id;
  const d = (await sql<{ id: string; name: string }>`SELECT id, name FROM datasets WHERE state = 'active' AND NOT private ORDER BY id LIMIT 1`.execute(db)).rows[0]!;
  someId = d.id;
  someName = d.name;
  // A group holding some entries, so the groups facet and groups: filter have something to count.
  await sys(env, 'group_create', { name: 'memgroup', title: 'กลุ่มทดสอบ' });
  const members = (await sql<{ id: string }>`SELECT id FROM datasets WHERE state = 'active' ORDER BY id LIMIT 40`.execute(db)).rows;
  for (const m of members) await sys(env, 'member_create', { id: 'memgroup', object: m.id, object_type: 'package', capacity: 'public' });
  group = 'memgroup';
});
after(() => env?.close());

const FACETS = ['organization', 'groups', 'tags', 'res_format', 'license_id', 'data_type', 'data_category', 'data_classification', 'update_frequency_unit', 'geo_coverage'];

function cases(): Array<{ label: string; params: Record<string, unknown>; sqlOnly?: boolean }> {
  const f = { 'facet.field': FACETS };
  return [
    { label: 'match all', params: { q: '*:*', ...f, 'facet.limit': -1 } },
    { label: 'default', params: {} },
    { label: 'one Thai word', params: { q: 'ข้อมูล', rows: 20, ...f } },
    { label: 'a chunk of Thai words', params: { q: 'จำนวนประชากร', rows: 20, ...f } },
    { label: 'two words', params: { q: 'สถิติ แรงงาน', rows: 50 } },
    { label: 'partial word', params: { q: 'กรุงเทพ', rows: 30 } },
    { label: 'a phrase', params: { q: '"ข้อมูลสถิติ"', rows: 30 } },
    { label: 'OR', params: { q: 'โรงเรียน OR โรงพยาบาล', rows: 30, ...f } },
    { label: 'NOT', params: { q: 'ข้อมูล -สถิติ', rows: 30 } },
    { label: 'NOT alone', params: { q: '-ข้อมูล', rows: 30, ...f } },
    { label: 'title:', params: { q: 'title:ข้อมูล', rows: 30 } },
    { label: 'notes:', params: { q: 'notes:จังหวัด', rows: 30 } },
    { label: 'title prefix', params: { q: 'title:ข้อ*', rows: 30 } },
    { label: 'English word', params: { q: 'data', rows: 30 } },
    { label: 'number', params: { q: '2563', rows: 30 } },
    { label: 'tag filter', params: { fq: `tags:"${tag}"`, ...f, 'facet.mincount': 2 } },
    { label: 'two tags', params: { fq_list: JSON.stringify([`tags:"${tag}"`, `tags:"${tag2}"`]), rows: 100 } },
    { label: 'tag prefix', params: { fq: `tags:${tag.slice(0, 2)}*`, rows: 100 } },
    { label: 'any tag', params: { fq: 'tags:*', rows: 5 } },
    { label: 'organization', params: { fq: `organization:${org}`, ...f } },
    { label: 'organization prefix', params: { fq: `organization:${org.slice(0, 3)}*`, rows: 40 } },
    { label: 'owner_org', params: { fq: `owner_org:${orgId}`, rows: 40 } },
    { label: 'owner_org with children', params: { fq: `owner_org:${orgId}`, include_children: true, rows: 40 } },
    { label: 'groups', params: { fq: `groups:${group}`, ...f } },
    { label: 'res_format', params: { fq: 'res_format:csv', rows: 40, ...f } },
    { label: 'license', params: { fq: 'license_id:*', rows: 40 } },
    { label: 'data_category', params: { q: 'ข้อมูล', fq: 'data_category:ข้อมูลสาธารณะ', rows: 40 } },
    { label: 'private', params: { fq: 'private:true', rows: 40, ...f } },
    { label: 'capacity public', params: { fq: 'capacity:public', rows: 40 } },
    { label: 'state draft', params: { fq: 'state:draft', include_drafts: true, rows: 40 } },
    { label: 'name', params: { q: `name:${someName}` } },
    { label: 'name prefix', params: { q: `name:${someName.slice(0, 4)}*`, rows: 40 } },
    { label: 'id', params: { q: `id:${someId}` } },
    { label: 'bad id', params: { q: 'id:not-a-uuid' } },
    { label: 'date range', params: { fq: 'metadata_modified:[2020-01-01T00:00:00Z TO *]', rows: 40 } },
    { label: 'date range, exclusive', params: { fq: 'metadata_created:{* TO NOW}', rows: 40 } },
    { label: 'sort by title', params: { q: 'ข้อมูล', sort: 'title_string asc', rows: 60 } },
    { label: 'sort by name desc', params: { sort: 'name desc', rows: 60 } },
    { label: 'sort by modified', params: { q: 'สถิติ', sort: 'metadata_modified desc', rows: 60 } },
    { label: 'sort by created then score', params: { q: 'สถิติ', sort: 'metadata_created asc, score desc', rows: 60 } },
    { label: 'deep page', params: { q: 'ข้อมูล', rows: 25, start: 100 } },
    { label: 'past the end', params: { q: 'ข้อมูล', rows: 25, start: 100000 } },
    { label: 'drafts and deleted', params: { include_drafts: true, include_deleted: true, ...f, rows: 40 } },
    { label: 'facet limit', params: { ...f, 'facet.limit': 3 } },
    { label: 'rows 0', params: { q: 'ข้อมูล', rows: 0, ...f } },
    { label: 'synonym', params: { q: 'กทม', rows: 30 } },
    { label: 'nothing matches', params: { q: 'ซซซซซซซซ', rows: 10 }, sqlOnly: true },
    { label: 'popularity', params: { sort: 'views_recent desc', rows: 10 }, sqlOnly: true },
  ];
}

async function search(role: Role, params: Record<string, unknown>, memory: boolean) {
  process.env.BANCHI_SEARCH_MEMORY = memory ? 'on' : 'off';
  forgetSearches();
  try {
    const r = await api(env, 'package_search', { ...params, ...(role === 'anonymous' ? {} : { include_private: true }) }, { token: tokens[role] });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const res = r.json.result;
    return { count: res.count, ids: res.results.map((x: { id: string }) => x.id), facets: res.facets, search_facets: res.search_facets, loosened: res.search_loosened ?? null };
  } finally {
    delete process.env.BANCHI_SEARCH_MEMORY;
  }
}

for (const role of ROLES) {
  test(`${role}: memory answers every search as SQL does`, async () => {
    let nonEmpty = 0;
    let fuzzy = 0;
    for (const c of cases()) {
      const viaSql = await search(role, c.params, false);
      const before = memCounters.memory;
      const viaMemory = await search(role, c.params, true);
      // pg_trgm's typo matching (a term no correction reached) is PostgreSQL's alone.
      if (!c.sqlOnly && memCounters.last !== 'fuzzy') assert.equal(memCounters.memory, before + 1, `${role} ${c.label}: memory answered (${memCounters.last})`);
      if (memCounters.memory === before) fuzzy++;
      memCounters.last = '';
      assert.deepEqual(viaMemory, viaSql, `${role} ${c.label}: ${JSON.stringify(c.params)}`);
      if (viaSql.count > 0) nonEmpty++;
    }
    assert.ok(nonEmpty > 30, `${role}: most searches find something (${nonEmpty})`);
    assert.ok(fuzzy <= 4, `${role}: memory answered nearly all (${fuzzy} by SQL)`);
  });
}

test('the copy follows writes at once: create, edit, make private, delete, purge', async () => {
  const check = async (label: string, q: string, expect: (count: number) => boolean) => {
    for (const role of ['anonymous', 'editor'] as const) {
      const viaSql = await search(role, { q, rows: 100 }, false);
      const viaMemory = await search(role, { q, rows: 100 }, true);
      assert.deepEqual(viaMemory, viaSql, `${label} (${role})`);
      if (role === 'anonymous') assert.ok(expect(viaSql.count), `${label}: count ${viaSql.count}`);
    }
  };
  await search('anonymous', { q: 'ข้อมูล' }, true); // the copy exists before the writes
  const word = 'ม้าลายทดสอบสด';
  await check('before', word, (n) => n === 0);
  await sys(env, 'package_create', datasetInput(org, { name: 'memindex-fresh', title: `ชุดข้อมูล ${word}` }));
  await check('created', word, (n) => n === 1);
  await sys(env, 'package_patch', { id: 'memindex-fresh', title: 'ชื่อใหม่ไม่มีคำนั้น' });
  await check('edited away', word, (n) => n === 0);
  await sys(env, 'package_patch', { id: 'memindex-fresh', title: `กลับมา ${word}`, private: true });
  await check('private', word, (n) => n === 0);
  await sys(env, 'package_patch', { id: 'memindex-fresh', private: false });
  await check('public again', word, (n) => n === 1);
  await sys(env, 'package_delete', { id: 'memindex-fresh' });
  await check('deleted', word, (n) => n === 0);
  await sys(env, 'dataset_purge', { id: 'memindex-fresh' });
  await check('purged', word, (n) => n === 0);
});

test('a second process over the same database sees every write at once, whatever order concurrent writers commit in', { skip: STORE_KIND !== 'postgres' && 'needs PostgreSQL (PGlite is one process)' }, async () => {
  // A second store is a second copy, as a second `banchi serve` process would hold.
  const other = await openServices(env.config);
  try {
    const searchOther = async (q: string, memory: boolean) => {
      process.env.BANCHI_SEARCH_MEMORY = memory ? 'on' : 'off';
      try {
        const r = await runAction<{ count: number; results: Array<{ id: string }> }>(other, 'package_search', { q, rows: 1000, include_private: true, include_drafts: true }, { actor: SYSTEM });
        return { count: r.count, ids: r.results.map((x) => x.id) };
      } finally {
        delete process.env.BANCHI_SEARCH_MEMORY;
      }
    };
    const word = 'ยีราฟทดสอบสองกระบวนการ';
    assert.equal((await searchOther(word, true)).count, 0);
    // Writers in progress while the other process syncs, committing in an order nobody chose
    // (3, 1, 4, 2, with syncs between): their rows must be read once they commit, though their
    // transaction ids are below the snapshot's xmax by then (the in-progress list).
    const db = env.services.store.db;
    const late = 'ม้าน้ำทดสอบลำดับ';
    const releases: Array<() => void> = [];
    const updated: Array<Promise<void>> = [];
    const writes = [0, 1, 2, 3].map((i) => {
      let done!: () => void;
      updated.push(new Promise<void>((r) => (done = r)));
      return db.transaction().execute(async (tx) => {
        await sql`UPDATE dataset_search SET document = document || ${`'${late}':1A`}::tsvector
          WHERE dataset_id = (SELECT dataset_id FROM dataset_search WHERE state = 'active' ORDER BY dataset_id OFFSET ${i} LIMIT 1)`.execute(tx);
        done();
        await new Promise<void>((r) => (releases[i] = r));
      });
    });
    await Promise.all(updated);
    try {
      for (let i = 0; i < 6; i++) {
        await sys(env, 'package_create', datasetInput(org, { name: `two-process-${i}`, title: `${word} ${i}`, private: i % 2 === 0 }));
        assert.equal((await searchOther(late, true)).count, 0, 'uncommitted rows are not seen');
      }
      assert.equal((await searchOther(word, true)).count, 6, 'every create committed before the search began is found');
      for (const [n, i] of [2, 0, 3, 1].entries()) {
        releases[i]!();
        await writes[i];
        assert.equal((await searchOther(late, true)).count, n + 1, `after ${n + 1} commits`);
      }
      const afterCommit = await searchOther(late, true);
      assert.deepEqual(afterCommit, await searchOther(late, false));
    } finally {
      // A failed assertion must not leave the writers' transactions open (the store would never close).
      for (const r of releases) r?.();
      await Promise.allSettled(writes);
    }
    await sys(env, 'package_patch', { id: 'two-process-0', title: 'ไม่มีคำนั้นแล้ว' });
    await sys(env, 'package_delete', { id: 'two-process-1' });
    await sys(env, 'dataset_purge', { id: 'two-process-2' });
    const viaMemory = await searchOther(word, true);
    assert.deepEqual(viaMemory, await searchOther(word, false));
    // 6 created, one retitled, one deleted, one purged.
    assert.equal(viaMemory.count, 3);
  } finally {
    await other.store.close();
  }
});
