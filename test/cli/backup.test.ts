import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { cliEnv, STORE, type CliEnv } from './cli-env.ts';
import { assertConsistent } from './consistency.ts';
import { buildApp } from '../../src/app.ts';
import { runAction } from '../../src/actions/registry.ts';
import { SYSTEM } from '../../src/access/actor.ts';
import { describeTables, appliedMigrations } from '../../src/store/catalog.ts';
import { listFiles } from '../../src/store/backup.ts';
import { openStore, type Db } from '../../src/store/db.ts';
import type { Services } from '../../src/actions/context.ts';

/** A complete dataset of the national standard. */
function dataset(name: string, org: string, extra: Record<string, unknown> = {}) {
  return {
    name,
    title: `ชุดข้อมูลสำรอง ${name}`,
    owner_org: org,
    data_type: 'ข้อมูลสถิติ',
    maintainer: 'กลุ่มสถิติ',
    maintainer_email: 'stat@example.go.th',
    tags: ['สำรอง', 'สถิติ'],
    notes: 'บรรทัดแรก\nบรรทัดที่สอง "อัญประกาศ" \\ ทับกลับ',
    objective: ['พันธกิจหน่วยงาน'],
    update_frequency_unit: 'ปี',
    update_frequency_interval: '1',
    geo_coverage: 'ประเทศ',
    data_source: 'สำรวจ',
    data_format: ['CSV'],
    data_category: 'ข้อมูลสาธารณะ',
    data_classification: 'เปิดเผย',
    license_id: 'Open Data Common',
    first_year_of_data: '2560',
    last_year_of_data: '2567',
    unit_of_measure: 'คน',
    ...extra,
  };
}

function multipart(token: string, fields: Record<string, string>, file: { name: string; type: string; body: Buffer }) {
  const b = `----banchi${crypto.randomBytes(8).toString('hex')}`;
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(fields)) parts.push(Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  parts.push(Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="upload"; filename="${file.name}"\r\nContent-Type: ${file.type}\r\n\r\n`), file.body, Buffer.from(`\r\n--${b}--\r\n`));
  return { headers: { authorization: token, 'content-type': `multipart/form-data; boundary=${b}` }, payload: Buffer.concat(parts) };
}

/** Datasets, uploaded files, users, organisations (a hierarchy), members, grants, history and audit. */
async function fill(services: Services): Promise<void> {
  const sys = <T = any>(action: string, input: Record<string, unknown>) => runAction<T>(services, action, input, { actor: SYSTEM });
  await sys('organization_create', { name: 'ministry', title: 'กระทรวงทดสอบ' });
  await sys('organization_create', { name: 'department', title: 'กรมทดสอบ', parent: 'ministry' });
  await sys('group_create', { name: 'economy', title: 'เศรษฐกิจ' });
  await sys('user_create', { name: 'editor', email: 'editor@example.go.th', password: 'correct horse battery' });
  await sys('user_create', { name: 'reader', email: 'reader@example.go.th', password: 'correct horse battery' });
  await sys('organization_member_create', { id: 'department', username: 'editor', role: 'editor' });
  const { token } = await sys<{ token: string }>('api_token_create', { user: 'editor', name: 'backup-test' });
  const app = await buildApp(services);
  try {
    const api = async (action: string, body: unknown) => {
      const r = await app.inject({ method: 'POST', url: `/api/3/action/${action}`, headers: { authorization: token, 'content-type': 'application/json' }, payload: JSON.stringify(body) });
      assert.equal(r.statusCode, 200, r.body);
      return r.json().result;
    };
    for (let i = 0; i < 6; i++) await api('package_create', dataset(`backup-${i}`, 'department', { groups: i % 2 ? [{ name: 'economy' }] : [], resources: [{ name: `ลิงก์ ${i}`, url: `https://example.go.th/${i}.csv`, format: 'CSV' }] }));
    await api('package_create', dataset('backup-secret', 'department', { data_category: 'ข้อมูลความลับทางราชการ', data_classification: 'ลับ', private: true }));
    await api('package_patch', { id: 'backup-1', title: 'ชื่อใหม่หลังแก้ไข' });
    await api('package_delete', { id: 'backup-5' });
    const bodies = [crypto.randomBytes(70_000), Buffer.from('จังหวัด,จำนวน\nเชียงใหม่,1\n'), Buffer.from([0, 255, 254, 10, 13, 0])];
    for (const [i, body] of bodies.entries()) {
      const r = await app.inject({ method: 'POST', url: '/api/3/action/resource_create', ...multipart(token, { package_id: `backup-${i}`, name: `ไฟล์ ${i}` }, { name: `f${i}.csv`, type: 'text/csv', body }) });
      assert.equal(r.statusCode, 200, r.body);
    }
    await sys('dataset_grant_create', { id: 'backup-secret', user: 'reader', scope: 'files', reason: 'ทดสอบ' });
  } finally {
    await app.close();
  }
}

/** Every table as its rows' JSON text in primary-key order, and the migrations applied. */
async function snapshot(db: Db): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = { __migrations: await appliedMigrations(db) };
  await db.transaction().execute(async (trx) => {
    await sql`SET LOCAL TimeZone = 'UTC'`.execute(trx);
    for (const t of await describeTables(trx)) {
      const order = sql.raw(t.primaryKey.map((c) => `"${c}"`).join(', '));
      // changed_xid names the transaction that wrote a search row (migration 029): a restore is another one.
      const row = t.name === 'dataset_search' ? sql`(row_to_json(t)::jsonb - 'changed_xid')::text` : sql`row_to_json(t)::text`;
      out[t.name] = (await sql<{ j: string }>`SELECT ${row} AS j FROM ${sql.table(t.name)} t ORDER BY ${order}`.execute(trx)).rows.map((r) => r.j);
      for (const s of t.sequences) out[`${t.name}.${s.column}.seq`] = [JSON.stringify((await sql`SELECT last_value, is_called FROM ${sql.raw(s.sequence)}`.execute(trx)).rows[0])];
    }
  });
  return out;
}

function files(root: string): Record<string, string> {
  return Object.fromEntries(listFiles(root).map((p) => [p, crypto.createHash('sha256').update(fs.readFileSync(path.join(root, p))).digest('hex')]));
}

async function storeSnapshot(env: CliEnv): Promise<{ tables: Record<string, string[]>; files: Record<string, string> }> {
  const store = await openStore({ databaseUrl: env.env.DATABASE_URL || undefined, dataDir: env.dataDir });
  try {
    return { tables: await snapshot(store.db), files: files(path.join(env.dataDir, 'files')) };
  } finally {
    await store.close();
  }
}

describe(`banchi backup and restore (${STORE})`, () => {
  let source: CliEnv;
  let target: CliEnv;
  let archive: string;
  let original: Awaited<ReturnType<typeof storeSnapshot>>;
  before(async () => {
    source = await cliEnv();
    target = await cliEnv();
    archive = path.join(source.dataDir, 'catalog.tar');
    await source.withServices(fill);
    // Signed checkpoints in the backup: the restored log must verify with the key that signed them.
    const sealed = await source.run(['audit', 'seal']);
    assert.equal(sealed.code, 0, sealed.stderr);
    original = await storeSnapshot(source);
  });
  after(async () => {
    await source.close();
    await target.close();
  });

  test('backup writes a tar with a manifest; restore into an empty store gives every table and file back byte for byte', async () => {
    assert.ok(original.tables.datasets!.length >= 7 && original.tables.audit_log!.length > 10 && original.tables.dataset_grants!.length === 1);
    assert.equal(Object.keys(original.files).length, 3, 'three uploaded files');

    const made = await source.run(['backup', archive], { lang: 'en_US.UTF-8' });
    assert.equal(made.code, 0, made.stderr);
    assert.match(made.stdout, /^backed up \d+ tables, \d+ rows, 3 files/m);
    assert.equal((await source.run(['backup', archive])).code, 2, 'an existing file is never overwritten');
    assert.equal(fs.statSync(archive).mode & 0o077, 0, 'only its owner may read a backup');
    const manifest = JSON.parse(execFileSync('tar', ['-xOf', archive, 'manifest.json'], { encoding: 'utf8' }));
    assert.equal(manifest.format, 'banchi-backup');
    assert.deepEqual(manifest.migrations, original.tables.__migrations);
    assert.equal(manifest.tables.find((t: { name: string }) => t.name === 'datasets').rows, original.tables.datasets!.length);

    const restored = await target.run(['restore', archive], { lang: 'en_US.UTF-8' });
    assert.equal(restored.code, 0, restored.stderr);
    assert.match(restored.stdout, /restored \d+ tables, \d+ rows, 3 files .* the audit chain verified/);
    assert.ok(original.tables.audit_checkpoints!.length >= 1, 'the backup holds signed checkpoints');
    const verified = await target.run(['audit', 'verify'], { lang: 'en_US.UTF-8' });
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    assert.deepEqual(fs.readFileSync(path.join(target.dataDir, 'audit-ed25519.pem')), fs.readFileSync(path.join(source.dataDir, 'audit-ed25519.pem')));
    // The restored catalog is the original, and works: files are served, the audit chain and the sequences go on.
    await target.withServices(async (services) => {
      assert.deepEqual(await snapshot(services.store.db), original.tables);
      assert.deepEqual(files(path.join(target.dataDir, 'files')), original.files);
      await assertConsistent(services.store.db);
      const app = await buildApp(services);
      try {
        const res = await services.store.db.selectFrom('resources').select(['id', 'size']).where('url_type', '=', 'upload').orderBy('size', 'desc').executeTakeFirstOrThrow();
        const download = await app.inject({ method: 'GET', url: `/dataset/backup-0/resource/${res.id}/download/f0.csv` });
        assert.equal(download.statusCode, 200, download.body.slice(0, 200));
        assert.equal(download.rawPayload.length, 70_000);
      } finally {
        await app.close();
      }
      await runAction(services, 'package_create', dataset('after-restore', 'department'), { actor: SYSTEM });
      await assertConsistent(services.store.db);
    });
  });

  test('a store that holds anything is refused unless --force, which replaces it exactly', async () => {
    const refused = await target.run(['restore', archive], { lang: 'en_US.UTF-8' });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /The target is not empty/);
    const forced = await target.run(['restore', archive, '--force'], { lang: 'en_US.UTF-8' });
    assert.equal(forced.code, 0, forced.stderr);
    const copy = await storeSnapshot(target);
    assert.deepEqual(copy.tables, original.tables, 'the dataset written after the first restore is gone');
    assert.deepEqual(copy.files, original.files);
  });

  test('a damaged backup is refused and the empty target stays empty; an interrupted restore can be run again', async () => {
    const damaged = path.join(source.dataDir, 'damaged.tar');
    const bytes = fs.readFileSync(archive);
    // A byte inside the first table part's data, past its 512-byte tar header.
    bytes[512 + 40] = bytes[512 + 40]! ^ 0xff;
    fs.writeFileSync(damaged, bytes);
    const empty = await cliEnv();
    try {
      const r = await empty.run(['restore', damaged], { lang: 'en_US.UTF-8' });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /damaged/);
      assert.deepEqual(files(path.join(empty.dataDir, 'files')), {});
      // Refused before any store was opened: no PGlite directory, no table in the PostgreSQL database.
      if (STORE === 'pglite') assert.equal(fs.existsSync(path.join(empty.dataDir, 'pgdata')), false);
      else {
        const store = await openStore({ databaseUrl: empty.env.DATABASE_URL! });
        try {
          assert.deepEqual(await describeTables(store.db), []);
        } finally {
          await store.close();
        }
      }

      // What a restore killed half-way leaves (some of the backup's files, a temporary copy) does not
      // stop the same restore from being run again.
      const [first] = Object.keys(original.files);
      const dir = path.join(empty.dataDir, 'files');
      fs.mkdirSync(path.join(dir, path.dirname(first!)), { recursive: true });
      fs.copyFileSync(path.join(source.dataDir, 'files', first!), path.join(dir, first!));
      fs.writeFileSync(path.join(dir, `${first}.restore-12345`), 'half');
      const again = await empty.run(['restore', archive], { lang: 'en_US.UTF-8' });
      assert.equal(again.code, 0, again.stderr);
      assert.deepEqual(files(dir), original.files);
    } finally {
      await empty.close();
    }
  });

  test('cross-store: a backup restores into the other kind of store', { skip: STORE !== 'postgres' && 'needs a PostgreSQL server (BANCHI_TEST_DATABASE_URL)' }, async () => {
    // The PostgreSQL backup into an empty PGlite data directory, and that one's backup back into PostgreSQL.
    const pglite = await cliEnv();
    const back = await cliEnv();
    try {
      const asPglite = { DATABASE_URL: '' };
      const r1 = await pglite.run(['restore', archive], { lang: 'en_US.UTF-8', env: asPglite });
      assert.equal(r1.code, 0, r1.stderr);
      const second = path.join(pglite.dataDir, 'from-pglite.tar');
      assert.equal((await pglite.run(['backup', second], { env: asPglite })).code, 0);
      const store = await openStore({ dataDir: pglite.dataDir });
      try {
        assert.deepEqual(await snapshot(store.db), original.tables);
      } finally {
        await store.close();
      }
      const r2 = await back.run(['restore', second], { lang: 'en_US.UTF-8' });
      assert.equal(r2.code, 0, r2.stderr);
      const copy = await storeSnapshot(back);
      assert.deepEqual(copy.tables, original.tables);
      assert.deepEqual(copy.files, original.files);
    } finally {
      await pglite.close();
      await back.close();
    }
  });

  test('online backup on PostgreSQL while datasets are being written: one consistent snapshot', { skip: STORE !== 'postgres' && 'PGlite serves one process: its backups are taken with the server stopped' }, async () => {
    const live = await cliEnv();
    const copy = await cliEnv();
    try {
      const file = path.join(live.dataDir, 'online.tar');
      await live.withServices(async (services) => {
        await runAction(services, 'organization_create', { name: 'department', title: 'กรมทดสอบ' }, { actor: SYSTEM });
        let stop = false;
        let written = 0;
        const writer = (async () => {
          while (!stop) await runAction(services, 'package_create', dataset(`online-${written++}`, 'department'), { actor: SYSTEM });
        })();
        while (written < 5) await new Promise((r) => setTimeout(r, 10));
        const made = await live.run(['backup', file], { lang: 'en_US.UTF-8' });
        stop = true;
        await writer;
        assert.equal(made.code, 0, made.stderr);
      });
      // The restore checks counts and the audit chain; the copy is whole: every dataset with its history, audit and search rows.
      const r = await copy.run(['restore', file], { lang: 'en_US.UTF-8' });
      assert.equal(r.code, 0, r.stderr);
      await copy.withServices(async (services) => {
        const n = Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM datasets`.execute(services.store.db)).rows[0]!.n);
        assert.ok(n >= 5, `${n} datasets in the snapshot`);
        await assertConsistent(services.store.db);
      });
    } finally {
      await live.close();
      await copy.close();
    }
  });
});
