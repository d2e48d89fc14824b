import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { testEnv, as, makeUser, STORE_KIND, type TestEnv } from '../helpers.ts';
import { PageClient } from '../web/client.ts';
import { writeAuditRows } from '../../src/actions/audit.ts';
import { AUDIT_EXPORT_MAX, exportParts, filtered } from '../../src/actions/audit-search.ts';
import type { Actor } from '../../src/access/actor.ts';
import type { Tx } from '../../src/store/db.ts';

/**
 * The audit CSV is never cut silently: an export larger than one file comes in parts (before_seq),
 * each saying where the next starts, and every row carries its leaf hash to compare with the log.
 */
let env: TestEnv;
let admin: Actor;
let root: PageClient;
const K = `[${STORE_KIND}]`;
const EVENTS = 7;

before(async () => {
  env = await testEnv({}, { web: true });
  ({ actor: admin } = await makeUser(env, 'auditroot', { sysadmin: true }));
  root = new PageClient(env.app);
  await root.signInWith2fa('auditroot', 'correct horse battery', new Map());
  const at = new Date().toISOString();
  await env.services.store.db.transaction().execute((tx) => writeAuditRows(tx, [...Array(EVENTS).keys()].map((i) => ({ at, actor_id: null, actor_name: 'system', action: 'test_event', object_type: 'test', object_id: null, ip: '', detail: { i } }))));
});
after(() => env.close());

const seqsOf = (csv: string) => csv.replace(/^\uFEFF/, '').trim().split('\r\n').slice(1).map((l) => l.split(',')[0]!);

test(`${K} audit export: parts that follow each other without gap or overlap, totals, leaf hashes`, async () => {
  const whole = await as(env, admin, 'audit_export', { action: 'test_event' });
  assert.deepEqual([whole.count, whole.total, whole.truncated, whole.next_before_seq], [EVENTS, EVENTS, false, null]);
  const header = whole.csv.replace(/^\uFEFF/, '').split('\r\n')[0];
  assert.equal(header, 'seq,at,actor_id,actor_name,action,object_type,object_id,ip,detail,leaf_v,leaf');
  const all = seqsOf(whole.csv);
  assert.equal(all.length, EVENTS);
  // Every row's leaf is the log's own.
  const leaves = new Map((await env.services.store.db.selectFrom('audit_log').select(['seq', 'leaf']).where('action', '=', 'test_event').execute()).map((r) => [String(r.seq), r.leaf]));
  for (const line of whole.csv.replace(/^\uFEFF/, '').trim().split('\r\n').slice(1)) {
    const cells = line.split(',');
    assert.equal(cells.at(-1), leaves.get(cells[0]!));
    assert.equal(cells.at(-2), '2');
  }
  // In parts of three: 3 + 3 + 1, newest first, each next_before_seq the last row of its part.
  const got: string[] = [];
  let before: string | null = null;
  const sizes: number[] = [];
  do {
    const part: { csv: string; count: number; total: number; truncated: boolean; next_before_seq: string | null } = await as(env, admin, 'audit_export', { action: 'test_event', limit: 3, ...(before ? { before_seq: before } : {}) });
    assert.equal(part.total, EVENTS);
    sizes.push(part.count);
    got.push(...seqsOf(part.csv));
    assert.equal(part.truncated, part.next_before_seq !== null);
    before = part.next_before_seq;
  } while (before);
  assert.deepEqual(sizes, [3, 3, 1]);
  assert.deepEqual(got, all);
  // Where the parts start, as the audit page lists them for a search larger than one file.
  const ctx = { db: env.services.store.db as unknown as Tx };
  assert.deepEqual(await exportParts(ctx, filtered(ctx, { action: 'test_event' }), 3), [null, all[2], all[5]]);
  assert.deepEqual(await exportParts(ctx, filtered(ctx, { action: 'test_event' }), 3, 2), [null, all[2]]);
  await assert.rejects(as(env, admin, 'audit_export', { before_seq: 'abc' }), (e: any) => e.name === 'ValidationError' && !!e.errors.before_seq);
  await assert.rejects(as(env, admin, 'audit_export', { before_seq: '-1' }), (e: any) => e.name === 'ValidationError');
});

test(`${K} audit CSV page: a part is named as one, with the total and the next part's link`, async () => {
  const whole = await root.get('/ckan-admin/audit.csv?action=test_event');
  assert.equal(whole.statusCode, 200);
  assert.match(String(whole.headers['content-disposition']), /filename="audit-log.csv"/);
  assert.equal(whole.headers['x-total-count'], String(EVENTS));
  assert.equal(whole.headers.link, undefined);
  const all = seqsOf(whole.body);
  const part = await root.get(`/ckan-admin/audit.csv?action=test_event&before_seq=${all[3]}`);
  assert.equal(part.statusCode, 200);
  assert.match(String(part.headers['content-disposition']), new RegExp(`filename="audit-log-part-before-${all[3]}.csv"`));
  assert.deepEqual(seqsOf(part.body), all.slice(4));
  // The page offers parts only when one file cannot hold the search.
  const page = await root.get('/ckan-admin/audit?action=test_event');
  assert.equal(page.statusCode, 200);
  assert.doesNotMatch(page.body, /before_seq=/);
  assert.ok(AUDIT_EXPORT_MAX >= 1000);
});
