import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { testEnv, sys, makeOrg, datasetInput, STORE_KIND, SERVER_URL, type TestEnv } from '../helpers.ts';
import { SYSTEM } from '../../src/access/actor.ts';
import { runAction } from '../../src/actions/registry.ts';
import { auditHash, canonicalContent, canonicalJson, GENESIS_HASH, leafHash, writeAudit } from '../../src/actions/audit.ts';
import { merkleRoot, sealAudit, sealPending } from '../../src/actions/audit-seal.ts';
import { loadAuditKey } from '../../src/actions/audit-key.ts';
import { verifyAudit } from '../../src/actions/audit-verify.ts';
import { startAuditSealer } from '../../src/jobs/audit-sealer.ts';
import { main } from '../../src/cli/main.ts';
import { loadConfig } from '../../src/config.ts';
import { openServices } from '../../src/services.ts';
import { createScratchDatabase } from '../../src/store/scratch.ts';

let env: TestEnv;
before(async () => {
  env = await testEnv();
});
after(() => env.close());
const opts = () => ({ key: loadAuditKey(env.services.config), dataDir: env.config.dataDir });

test('the Merkle root is RFC 6962\'s, and the fast canonical encoding is canonicalJson\'s', () => {
  const H = (b: Buffer) => crypto.createHash('sha256').update(b).digest();
  const mth = (d: Buffer[]): Buffer => {
    if (d.length === 1) return d[0]!;
    let k = 1;
    while (k * 2 < d.length) k *= 2;
    return H(Buffer.concat([Buffer.from([1]), mth(d.slice(0, k)), mth(d.slice(k))]));
  };
  for (let n = 1; n <= 70; n++) {
    const leaves = Array.from({ length: n }, (_, i) => H(Buffer.from([0, i])));
    assert.equal(merkleRoot(leaves.map((l) => l.toString('hex'))), mth(leaves).toString('hex'), `n = ${n}`);
  }
  assert.equal(merkleRoot([]), H(Buffer.alloc(0)).toString('hex'));
  const content = { at: new Date().toISOString(), actor_id: null, actor_name: 'ผู้ดูแล', action: 'x', object_type: 'y', object_id: crypto.randomUUID(), ip: '::1', detail: { z: [1, { b: 2, a: undefined, '10': 1, '2': 0 }], a: 'ก"\n', n: 1.5e-7 } };
  assert.equal(canonicalContent(content), canonicalJson(content));
  assert.equal(canonicalJson({ b: 1, a: { d: [{ y: 1, x: 2 }], c: null } }), '{"a":{"c":null,"d":[{"x":2,"y":1}]},"b":1}');
});

test(`[${STORE_KIND}] the signing key is made once in the data directory (0600) and its public half is published`, async () => {
  const file = path.join(env.config.dataDir, 'audit-ed25519.pem');
  const key = loadAuditKey(env.services.config);
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  const res = await env.app.inject({ method: 'GET', url: '/.well-known/banchi-audit-key' });
  assert.equal(res.statusCode, 200);
  const body = res.json();
  assert.equal(body.algorithm, 'Ed25519');
  assert.equal(body.key_id, key.keyId);
  assert.equal(crypto.createPublicKey(body.public_key_pem).export({ type: 'spki', format: 'pem' }), key.publicPem);
  assert.ok(!res.body.includes('PRIVATE'));
  const pem = await env.app.inject({ method: 'GET', url: '/.well-known/banchi-audit-key', headers: { accept: 'application/x-pem-file' } });
  assert.equal(pem.body, key.publicPem);
  // A key file named in the settings is used, and a missing one is an error, not a new key.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'banchi-key-'));
  const given = path.join(dir, 'k.pem');
  fs.writeFileSync(given, crypto.generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }));
  assert.notEqual(loadAuditKey(loadConfig({ BANCHI_DATA_DIR: dir, BANCHI_AUDIT_KEY_FILE: given } as NodeJS.ProcessEnv)).keyId, key.keyId);
  assert.throws(() => loadAuditKey(loadConfig({ BANCHI_DATA_DIR: dir, BANCHI_AUDIT_KEY_FILE: path.join(dir, 'missing.pem') } as NodeJS.ProcessEnv)), /ENOENT/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test(`[${STORE_KIND}] rows of the old hash chain are sealed first and still checked link by link`, async () => {
  const db = env.services.store.db;
  // As migration 006 leaves them: prev_hash/hash from the old chain, leaf = hash, no xid.
  let prev = GENESIS_HASH;
  const seqs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const content = { at: new Date(Date.UTC(2026, 0, 1 + i)).toISOString(), actor_id: null, actor_name: 'system', action: 'package_create', object_type: 'dataset', object_id: null, ip: '', detail: { name: `old-${i}` } };
    const hash = auditHash(prev, content);
    const r = await sql<{ seq: number }>`INSERT INTO audit_log (at, actor_name, action, object_type, ip, detail, prev_hash, hash, leaf, xid)
      VALUES (${content.at}, 'system', 'package_create', 'dataset', '', ${JSON.stringify(content.detail)}, ${prev}, ${hash}, ${hash}, NULL) RETURNING seq`.execute(db);
    seqs.push(Number(r.rows[0]!.seq));
    prev = hash;
  }
  assert.equal((await verifyAudit(db, opts())).unsealed, 3, 'before the first seal');
  await makeOrg(env, 'nso');
  const first = await sealAudit(env.services);
  assert.deepEqual([first?.batch, first?.count, first?.xid_below], [1, 3, '0'], 'the old chain is batch 1');
  await sealPending(env.services);
  const r = await verifyAudit(db, opts());
  assert.equal(r.problem, null, JSON.stringify(r.problem));
  assert.equal(r.unsealed, 0);
  await sql`UPDATE audit_log SET detail = '{"name":"changed"}' WHERE seq = ${seqs[1]}`.execute(db);
  assert.deepEqual([(await verifyAudit(db, opts())).problem?.seq, (await verifyAudit(db, opts())).problem?.kind], [seqs[1], 'edited']);
  await sql`UPDATE audit_log SET detail = '{"name":"old-1"}' WHERE seq = ${seqs[1]}`.execute(db);
  assert.equal((await verifyAudit(db, opts())).problem, null);
});

test(`[${STORE_KIND}] rows with leaf v1 (canonical JSON, written before migration 022) verify beside v2 rows, and edits of either are found`, async () => {
  const db = env.services.store.db;
  await sealPending(env.services);
  // As writeAudit wrote them from 006 to 022: the leaf over canonical JSON, computed in Node.
  const content = { at: new Date().toISOString(), actor_id: null, actor_name: 'system', action: 'package_update', object_type: 'dataset', object_id: null, ip: '10.0.0.1', detail: { name: 'v1-row', tags: ['ก', 'ข'] } };
  const v1 = await db.transaction().execute(async (tx) => {
    const r = await sql<{ seq: number }>`INSERT INTO audit_log (at, actor_name, action, object_type, ip, detail, leaf) VALUES (${content.at}, 'system', 'package_update', 'dataset', '10.0.0.1', ${JSON.stringify(content.detail)}, ${leafHash(content)}) RETURNING seq`.execute(tx);
    return Number(r.rows[0]!.seq);
  });
  await db.transaction().execute((tx) => writeAudit(tx, SYSTEM, '10.0.0.2', new Date(), { action: 'package_update', object_type: 'dataset', object_id: null, detail: { name: 'v2 "row"', n: 1.5, nested: { b: [1, null], a: 'ไทย\n' } } }));
  const v2 = Number((await db.selectFrom('audit_log').select(['seq', 'leaf_v']).orderBy('seq', 'desc').limit(1).executeTakeFirstOrThrow()).seq);
  assert.equal(Number((await db.selectFrom('audit_log').select('leaf_v').where('seq', '=', String(v2)).executeTakeFirstOrThrow()).leaf_v), 2);
  await sealPending(env.services);
  // The leaf does not depend on the session's settings: verify under other ones.
  const r = await db.transaction().execute(async (tx) => {
    await sql`SET LOCAL TimeZone = 'Asia/Bangkok'`.execute(tx);
    await sql`SET LOCAL extra_float_digits = 0`.execute(tx);
    return verifyAudit(tx, opts());
  });
  assert.deepEqual([r.problem, r.unsealed], [null, 0], JSON.stringify(r.problem));
  for (const seq of [v1, v2]) {
    await sql`UPDATE audit_log SET ip = '10.9.9.9' WHERE seq = ${seq}`.execute(db);
    const bad = await verifyAudit(db, opts());
    assert.deepEqual([bad.problem?.seq, bad.problem?.kind], [seq, 'edited'], `seq ${seq}: ${bad.problem?.reason}`);
    await sql`UPDATE audit_log SET ip = ${seq === v1 ? '10.0.0.1' : '10.0.0.2'} WHERE seq = ${seq}`.execute(db);
  }
  assert.equal((await verifyAudit(db, opts())).problem, null);
});

test(`[${STORE_KIND}] the sealer in the server process seals every few seconds and once more at shutdown`, async () => {
  const sealer = startAuditSealer(env.services, 50);
  await sys(env, 'package_create', datasetInput('nso'));
  for (let i = 0; i < 100 && (await verifyAudit(env.services.store.db)).unsealed; i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal((await verifyAudit(env.services.store.db)).unsealed, 0, 'sealed by the timer');
  await sys(env, 'package_create', datasetInput('nso'));
  await sealer.stop();
  const r = await verifyAudit(env.services.store.db, opts());
  assert.deepEqual([r.unsealed, r.problem], [0, null], 'sealed at shutdown');
});

test(`[${STORE_KIND}] audit_verify reports rows, batches, unsealed rows, the rate and the first problem`, async () => {
  await sys(env, 'package_create', datasetInput('nso'));
  const v = await sys(env, 'audit_verify', {});
  assert.equal(v.intact, true);
  assert.equal(v.unsealed, 1);
  assert.ok(v.batches >= 2 && v.rows_checked === v.entries && v.rows_per_second > 0);
  assert.equal(v.first_problem, null);
});

test(`[${STORE_KIND}] banchi audit verify prints what it checked and exits 1 naming the first tampered row`, async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'banchi-cli-audit-'));
  const scratch = SERVER_URL ? await createScratchDatabase(SERVER_URL, 'banchi_test') : null;
  const cliEnv = { BANCHI_DATA_DIR: dataDir, DATABASE_URL: scratch?.url ?? '', LANG: 'en_US.UTF-8' } as NodeJS.ProcessEnv;
  try {
    const services = await openServices(loadConfig(cliEnv));
    let victim = 0;
    try {
      await runAction(services, 'organization_create', { name: 'nso', title: 'สำนักงานสถิติแห่งชาติ' }, { actor: SYSTEM });
      for (let i = 0; i < 3; i++) await services.store.db.transaction().execute((tx) => writeAudit(tx, SYSTEM, '', new Date(), { action: 'site_config', object_type: 'site', object_id: null, detail: { i } }));
      victim = Number((await services.store.db.selectFrom('audit_log').select('seq').orderBy('seq').offset(2).limit(1).executeTakeFirstOrThrow()).seq);
    } finally {
      await services.store.close();
    }
    const run = async (...args: string[]) => {
      const out: string[] = [];
      const err: string[] = [];
      const code = await main(args, { lang: 'en', env: cliEnv, out: (l) => out.push(l), err: (l) => err.push(l) });
      return { code, out: out.join('\n'), err: err.join('\n') };
    };
    assert.match((await run('audit', 'seal')).out, /sealed 1 audit batch/);
    const ok = await run('audit', 'verify');
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, /checked 4 rows \(1 sealed batches\) in [\d.]+ s — [\d,]+ rows\/s/);
    assert.match(ok.out, /audit log intact/);
    const s2 = await openServices(loadConfig(cliEnv));
    await sql`UPDATE audit_log SET actor_name = 'someone-else' WHERE seq = ${victim}`.execute(s2.store.db);
    await s2.store.close();
    const bad = await run('audit', 'verify');
    assert.equal(bad.code, 1);
    assert.match(bad.err, new RegExp(`first affected row seq ${victim} \\(edited\\)`));
    assert.equal((await run('audit', 'nothing')).code, 2);
  } finally {
    await scratch?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

test(`[postgres] eight writers on their own connections append while the sealer runs; every row is sealed and verifies`, { skip: !SERVER_URL && 'needs a PostgreSQL server (BANCHI_TEST_DATABASE_URL)' }, async () => {
  const db = env.services.store.db;
  const before = (await verifyAudit(db)).rows;
  // A transaction holding the sealer's lock makes other sealers skip; writers never wait for it.
  await db.transaction().execute(async (tx) => {
    await sql`SELECT pg_advisory_xact_lock(7243002)`.execute(tx);
    assert.equal(await sealAudit(env.services), null, 'one sealer at a time');
    await writeAudit(tx, SYSTEM, '', new Date(), { action: 'while_locked', object_type: 'site', object_id: null });
  });
  let writing = true;
  const sealing = (async () => {
    let n = 0;
    while (writing) {
      n += (await sealAudit(env.services, { maxRows: 50 })) ? 1 : 0;
      await new Promise((r) => setTimeout(r, 5));
    }
    return n;
  })();
  await sys(env, 'user_create', { name: 'writer', email: 'writer@example.go.th', password: 'correct horse battery' });
  const PER = 60;
  await Promise.all(Array.from({ length: 8 }, async (_, w) => {
    for (let i = 0; i < PER; i++) {
      if (i % 10 === 0) await runAction(env.services, 'api_token_create', { user: 'writer', name: `w${w}` }, { actor: SYSTEM }); // a real audited action
      await db.transaction().execute(async (tx) => {
        await writeAudit(tx, SYSTEM, '', new Date(), { action: 'concurrent', object_type: 'site', object_id: null, detail: { w, i } });
        if (i % 7 === 0) await new Promise((r) => setTimeout(r, 3)); // commit late, after writers with higher seq
      });
    }
  }));
  writing = false;
  // How many batches sealed meanwhile depends on the cluster: xmin is cluster-wide, so a transaction
  // in another database (another test run) holds sealing back. Correctness below does not.
  await sealing;
  await sealPending(env.services);
  const r = await verifyAudit(db, opts());
  assert.equal(r.problem, null, JSON.stringify(r.problem));
  assert.equal(r.unsealed, 0, 'every row sealed');
  assert.ok(r.rows >= before + 2 + 8 * PER + 8 * 6, `rows: ${r.rows}`);
  const counted = await db.selectFrom('audit_checkpoints').select((eb) => eb.fn.sum<number>('count').as('n')).executeTakeFirstOrThrow();
  assert.equal(Number(counted.n), r.rows, 'the batches together hold every row exactly once');
});

test(`[pglite] a log restored into another cluster, whose transaction ids start low again, stays verifiable and new rows get sealed`, { skip: STORE_KIND !== 'pglite' && 'needs two clusters: two embedded stores' }, async () => {
  const source = await testEnv();
  const db = source.services.store.db;
  // The source cluster has run many more transactions than the fresh one it is restored into.
  for (let i = 0; i < 1500; i++) await db.transaction().execute((tx) => sql`SELECT pg_current_xact_id()`.execute(tx));
  await makeOrg(source, 'nso');
  for (let i = 0; i < 3; i++) await sys(source, 'package_create', datasetInput('nso'));
  await sealPending(source.services);
  await sys(source, 'package_create', datasetInput('nso')); // not sealed when the copy is taken
  const rows = await db.selectFrom('audit_log').selectAll().orderBy('seq').execute();
  const cps = await db.selectFrom('audit_checkpoints').selectAll().orderBy('batch').execute();
  const target = await testEnv({ auditKeyFile: path.join(source.config.dataDir, 'audit-ed25519.pem') });
  try {
    const t = target.services.store.db;
    const here = Number((await sql<{ x: string }>`SELECT pg_current_xact_id()::text AS x`.execute(t)).rows[0]!.x);
    assert.ok(here < Number(rows[0]!.xid), 'transaction ids are lower in the new cluster');
    await t.transaction().execute(async (tx) => {
      for (const r of rows) await tx.insertInto('audit_log').values({ ...r, detail: JSON.stringify(r.detail) } as never).execute();
      for (const c of cps) await tx.insertInto('audit_checkpoints').values(c as never).execute();
      await sql`SELECT setval('audit_log_seq_seq', (SELECT max(seq) FROM audit_log))`.execute(tx);
    });
    fs.copyFileSync(path.join(source.config.dataDir, 'audit-witness.json'), path.join(target.config.dataDir, 'audit-witness.json'));
    const key = { key: loadAuditKey(target.services.config), dataDir: target.config.dataDir };
    await makeOrg(target, 'dol'); // new rows, with low transaction ids
    const before = await verifyAudit(t, key);
    assert.equal(before.problem, null, JSON.stringify(before.problem));
    assert.equal(before.unsealed, 2, 'the row left unsealed in the source, and the new one');
    await sealPending(target.services);
    await sys(target, 'package_create', datasetInput('dol'));
    await sealPending(target.services);
    const after = await verifyAudit(t, key);
    assert.deepEqual([after.problem, after.unsealed, after.rows], [null, 0, rows.length + 2]);
    const era = await t.selectFrom('audit_checkpoints').select(['seq_floor']).orderBy('batch', 'desc').limit(1).executeTakeFirstOrThrow();
    assert.ok(Number(era.seq_floor) > 0, 'a new era above every seq sealed before');
    // Tampering in the new era is still named.
    const victim = Number((await t.selectFrom('audit_log').select('seq').orderBy('seq', 'desc').limit(1).executeTakeFirstOrThrow()).seq);
    await sql`UPDATE audit_log SET actor_name = 'x' WHERE seq = ${victim}`.execute(t);
    assert.equal((await verifyAudit(t, key)).problem?.seq, victim);
  } finally {
    await target.close();
    await source.close();
  }
});
