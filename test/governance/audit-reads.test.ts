import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { api, as, datasetInput, makeOrg, makeUser, sys, testEnv, STORE_KIND, type TestEnv } from '../helpers.ts';
import { ANONYMOUS, type Actor } from '../../src/access/actor.ts';

const PERSONAL = { data_category: 'ข้อมูลส่วนบุคคล', data_classification: 'ลับ' };

/**
 * Every read of non-open data writes exactly one audit row in the read's transaction (runAction's
 * disclosure row); open reads write none. Paths: package_show / package_search metadata of a
 * non-public category, resource_show, file downloads of non-open entries, CSV exports (KPI, audit).
 */
describe(`[${STORE_KIND}] audit of non-open reads`, () => {
  let env: TestEnv;
  let token: string;
  let editor: Actor;
  let admin: Actor;
  const ids: Record<string, string> = {};
  const res: Record<string, string> = {};

  function multipart(fields: Record<string, string>, body: string) {
    const parts: string[] = [];
    for (const [k, v] of Object.entries(fields)) parts.push('--B', `Content-Disposition: form-data; name="${k}"`, '', v);
    parts.push('--B', 'Content-Disposition: form-data; name="upload"; filename="f.csv"', 'Content-Type: text/csv', '', body, '--B--', '');
    return { headers: { authorization: token, 'content-type': 'multipart/form-data; boundary=B' }, payload: parts.join('\r\n') };
  }

  before(async () => {
    env = await testEnv();
    await makeOrg(env, 'nso');
    ({ token, actor: editor } = await makeUser(env, 'editor1', { org: 'nso' }));
    ({ actor: admin } = await makeUser(env, 'root', { sysadmin: true }));
    for (const [name, extra] of [['open', {}], ['personal', PERSONAL], ['private', { private: true }]] as const) {
      ids[name] = (await sys(env, 'package_create', datasetInput('nso', { name: `ds-${name}`, ...extra }))).id;
      const r = await env.app.inject({ method: 'POST', url: '/api/3/action/resource_create', ...multipart({ package_id: `ds-${name}`, name: 'f' }, 'a\n1') });
      assert.equal(r.statusCode, 200, r.body);
      res[name] = JSON.parse(r.body).result.id;
    }
  });
  after(() => env.close());

  /** Audit rows written while fn ran. */
  async function rowsDuring(fn: () => Promise<unknown>) {
    const db = env.services.store.db;
    const last = await db.selectFrom('audit_log').select((eb) => eb.fn.max('seq').as('m')).executeTakeFirst();
    await fn();
    return db.selectFrom('audit_log').select(['action', 'object_type', 'object_id', 'actor_name', 'detail']).where('seq', '>', (last?.m ?? 0) as never).orderBy('seq').execute();
  }
  const download = (name: string, auth?: string) => env.app.inject({ url: `/dataset/${ids[name]}/resource/${res[name]}/download/f.csv`, headers: auth ? { authorization: auth } : {} });

  it('a day the calendar does not have in a date filter is a field error, not another day', async () => {
    for (const bad of [{ from: '2026-02-30' }, { to: '2026-04-31' }, { from: '2026-02-29T10:00:00Z' }]) {
      await assert.rejects(as(env, admin, 'audit_search', bad), (e: any) => e.name === 'ValidationError' && !!e.errors[Object.keys(bad)[0]!], JSON.stringify(bad));
      await assert.rejects(as(env, admin, 'audit_export', bad), (e: any) => e.name === 'ValidationError', JSON.stringify(bad));
    }
    assert.ok((await as(env, admin, 'audit_search', { from: '2028-02-29', to: '2028-02-29' })).count >= 0, 'a real leap day is fine');
  });

  it('open reads, anonymous or signed in, write nothing', async () => {
    const rows = await rowsDuring(async () => {
      await as(env, ANONYMOUS, 'package_show', { id: 'ds-open' });
      await as(env, ANONYMOUS, 'package_search', { q: '*:*' });
      await as(env, ANONYMOUS, 'resource_show', { id: res.open });
      assert.equal((await download('open')).statusCode, 200);
      await as(env, editor, 'package_show', { id: 'ds-open' });
      assert.equal((await download('open', token)).statusCode, 200);
      // A private entry of the public category: its metadata is not sensitive, so no row.
      await as(env, editor, 'package_show', { id: 'ds-private' });
      await as(env, admin, 'audit_search', {});
      await as(env, admin, 'kpi_report', {});
    });
    assert.deepEqual(rows, []);
  });

  it('history of a personal-data entry is a disclosure too (one row per call); an open entry\'s history writes nothing', async () => {
    let rows = await rowsDuring(() => as(env, editor, 'package_activity_list', { id: 'ds-personal' }));
    assert.equal(rows.length, 1);
    assert.deepEqual([rows[0]!.action, (rows[0]!.detail as any).read], ['package_activity_list', 'metadata']);
    assert.ok((rows[0]!.detail as any).objects.every((o: any) => o.type === 'activity' && o.dataset === ids.personal));
    rows = await rowsDuring(() => as(env, editor, 'organization_activity_list', { id: 'nso' }));
    assert.equal(rows.length, 1);
    assert.ok((rows[0]!.detail as any).objects.some((o: any) => o.dataset === ids.personal));
    assert.ok(!(rows[0]!.detail as any).objects.some((o: any) => o.dataset === ids.open), 'open entries are not disclosures');
    rows = await rowsDuring(async () => {
      await as(env, editor, 'package_activity_list', { id: 'ds-open' });
      await as(env, ANONYMOUS, 'package_activity_list', { id: 'ds-open' });
    });
    assert.deepEqual(rows, []);
  });

  it('metadata of a personal-data entry: one row per read, naming the dataset and the reader', async () => {
    let rows = await rowsDuring(() => as(env, editor, 'package_show', { id: 'ds-personal' }));
    assert.equal(rows.length, 1);
    assert.deepEqual([rows[0]!.action, rows[0]!.object_type, rows[0]!.object_id, rows[0]!.actor_name, (rows[0]!.detail as any).read], ['package_show', 'dataset', ids.personal, 'editor1', 'metadata']);
    rows = await rowsDuring(() => as(env, editor, 'package_search', { q: '*:*', include_private: true }));
    assert.equal(rows.length, 1);
    assert.deepEqual((rows[0]!.detail as any).objects.map((o: any) => o.id), [ids.personal]);
    rows = await rowsDuring(() => as(env, editor, 'resource_show', { id: res.personal }));
    assert.deepEqual(rows.map((r) => [r.action, r.object_type, r.object_id]), [['resource_show', 'resource', res.personal]]);
    // Through the CKAN API the same single row.
    rows = await rowsDuring(async () => assert.equal((await api(env, 'package_show', undefined, { token, query: { id: 'ds-personal' } })).status, 200));
    assert.equal(rows.length, 1);
    // Refused reads disclose nothing and write nothing.
    rows = await rowsDuring(() => as(env, ANONYMOUS, 'package_show', { id: 'ds-personal' }).catch(() => null));
    assert.deepEqual(rows, []);
  });

  it('downloads of non-open files: one row each (personal, private)', async () => {
    for (const name of ['personal', 'private']) {
      const rows = await rowsDuring(async () => assert.equal((await download(name, token)).statusCode, 200));
      assert.deepEqual(rows.map((r) => [r.action, r.object_type, r.object_id, (r.detail as any).read]), [['resource_download', 'resource', res[name], 'file']]);
    }
    const refused = await rowsDuring(async () => assert.equal((await download('personal')).statusCode, 404));
    assert.deepEqual(refused, []);
  });

  it('exports: the KPI CSV and the audit CSV are one row each', async () => {
    let rows = await rowsDuring(() => as(env, admin, 'kpi_report', { format: 'csv' }));
    assert.deepEqual(rows.map((r) => [r.action, r.object_type, (r.detail as any).read]), [['kpi_report', 'kpi_report', 'export']]);
    rows = await rowsDuring(async () => {
      const r = await as(env, admin, 'audit_export', { action: 'package_show' });
      assert.match(r.csv, /^\uFEFFseq,at,actor_id/);
      assert.ok(r.count >= 1);
    });
    assert.deepEqual(rows.map((r) => [r.action, r.object_type, (r.detail as any).read, (r.detail as any).objects[0].filters.action]), [['audit_export', 'audit_log', 'export', 'package_show']]);
  });

  it('DataStore reads: rows of a non-open entry are one row per call; an open table\'s none', async () => {
    for (const name of ['open', 'personal']) {
      const r = await api(env, 'datastore_create', { resource_id: res[name], fields: [{ id: 'a', type: 'int' }], records: [{ a: 1 }] }, { token });
      assert.equal(r.status, 200, JSON.stringify(r.json));
    }
    const open = await rowsDuring(() => as(env, ANONYMOUS, 'datastore_search', { resource_id: res.open }));
    assert.deepEqual(open, []);
    const rows = await rowsDuring(() => as(env, editor, 'datastore_search', { resource_id: res.personal }));
    assert.deepEqual(rows.map((r) => [r.action, r.object_type, r.object_id, (r.detail as any).read]), [['datastore_search', 'resource', res.personal, 'data']]);
    // Free SQL turns its transaction read-only: the row is written before that, still in it.
    const bySql = await rowsDuring(() => as(env, editor, 'datastore_search_sql', { sql: `SELECT a FROM "${res.personal}"` }));
    assert.deepEqual(bySql.map((r) => [r.action, r.object_id, (r.detail as any).read]), [['datastore_search_sql', res.personal, 'data']]);
  });

  it('a write that shows the entry back keeps to its own audit row', async () => {
    const rows = await rowsDuring(() => as(env, editor, 'package_patch', { id: 'ds-personal', notes: 'ปรับคำอธิบาย' }));
    assert.ok(rows.length >= 1);
    assert.ok(rows.every((r) => (r.detail as any).read === undefined), 'no disclosure row beside the change');
  });
});
