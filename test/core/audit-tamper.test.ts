import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { sql } from 'kysely';
import { testEnv, sys, makeOrg, datasetInput, STORE_KIND, type TestEnv } from '../helpers.ts';
import { SYSTEM } from '../../src/access/actor.ts';
import { leafHash, writeAudit } from '../../src/actions/audit.ts';
import { leafSql } from '../../src/actions/audit-leaf.ts';
import { sealAudit } from '../../src/actions/audit-seal.ts';
import { loadAuditKey } from '../../src/actions/audit-key.ts';
import { verifyAudit, type AuditReport } from '../../src/actions/audit-verify.ts';
import type { Tx } from '../../src/store/db.ts';

/** Each tamper runs in a transaction that verifies and then rolls back, so the cases stay independent. */
let env: TestEnv;
let gap: number;

before(async () => {
  env = await testEnv();
  await makeOrg(env, 'nso');
  for (let i = 0; i < 5; i++) await sys(env, 'package_create', datasetInput('nso'));
  // A write that rolls back leaves a hole in seq, as in real life; the insert case fills it.
  await assert.rejects(env.services.store.db.transaction().execute(async (tx) => {
    await writeAudit(tx, SYSTEM, '', new Date(), { action: 'rolled_back', object_type: 'site', object_id: null });
    gap = Number((await tx.selectFrom('audit_log').select('seq').orderBy('seq', 'desc').limit(1).executeTakeFirstOrThrow()).seq);
    throw new Error('roll back');
  }));
  for (let i = 0; i < 6; i++) await sys(env, 'package_create', datasetInput('nso'));
  while (await sealAudit(env.services, { maxRows: 4 })) { /* batches of four rows */ }
  await sys(env, 'package_create', datasetInput('nso')); // unsealed tail
});
after(() => env.close());

const opts = () => ({ key: loadAuditKey(env.services.config), dataDir: env.config.dataDir });

class Rollback extends Error {}
async function tampered(fn: (tx: Tx) => Promise<unknown>, extra: { pageSize?: number } = {}): Promise<AuditReport> {
  let report: AuditReport | undefined;
  await env.services.store.db.transaction().execute(async (tx) => {
    await fn(tx);
    report = await verifyAudit(tx, { ...opts(), ...extra });
    throw new Rollback();
  }).catch((e) => {
    if (!(e instanceof Rollback)) throw e;
  });
  return report!;
}

const rows = (tx: Tx) => tx.selectFrom('audit_log').selectAll().orderBy('seq').execute();
/** The rows of a batch: those whose writing transaction lies in its range. */
async function batchRows(tx: Tx, batch: number) {
  const cp = await tx.selectFrom('audit_checkpoints').selectAll().where('batch', '=', String(batch)).executeTakeFirstOrThrow();
  return (await sql<{ seq: number }>`SELECT seq FROM audit_log WHERE xid >= ${cp.xid_from}::xid8 AND xid < ${cp.xid_below}::xid8 ORDER BY seq`.execute(tx)).rows.map((r) => Number(r.seq));
}
/** A sealed row in the middle of a batch (neither its first nor its last). */
async function middleOf(tx: Tx, batch = 2) {
  const seqs = await batchRows(tx, batch);
  assert.ok(seqs.length >= 3, `batch ${batch} has ${seqs.length} rows`);
  return (await rows(tx)).find((r) => Number(r.seq) === seqs[1])!;
}

test(`[${STORE_KIND}] an untouched log verifies: every row, batch, signature and the witness`, async () => {
  const r = await verifyAudit(env.services.store.db, opts());
  assert.equal(r.problem, null, JSON.stringify(r.problem));
  assert.ok(r.batches >= 3, `batches: ${r.batches}`);
  assert.ok(r.unsealed >= 1, 'the last write is not sealed yet, and is counted');
  assert.equal(r.rows, r.sealed + r.unsealed);
  assert.equal(r.signatures_checked, true);
  assert.deepEqual(r.witness, { batch: r.batches, matches: true });
});

test(`[${STORE_KIND}] editing a sealed row's content names that row`, async () => {
  let victim = 0;
  const r = await tampered(async (tx) => {
    victim = Number((await middleOf(tx)).seq);
    await sql`UPDATE audit_log SET detail = detail || '{"name":"someone-else"}' WHERE seq = ${victim}`.execute(tx);
  });
  assert.equal(r.intact, false);
  assert.deepEqual([r.problem!.seq, r.problem!.kind], [victim, 'edited'], r.problem!.reason);
  // The same with pages of three rows (keyset pagination across page ends).
  const rt = await tampered(async (tx) => {
    await sql`UPDATE audit_log SET detail = detail || '{"name":"someone-else"}' WHERE seq = ${victim}`.execute(tx);
  }, { pageSize: 3 });
  assert.deepEqual([rt.problem!.seq, rt.problem!.kind, rt.rows], [victim, 'edited', r.rows], rt.problem!.reason);
});

test(`[${STORE_KIND}] editing a row and rewriting its leaf hash too breaks its batch's signed root, and the row is named`, async () => {
  let victim = 0;
  let batch = 0;
  const r = await tampered(async (tx) => {
    const row = await middleOf(tx, 2);
    victim = Number(row.seq);
    batch = 2;
    // The forger recomputes the leaf as the insert does (leaf v2), from the edited row.
    await sql`UPDATE audit_log SET actor_name = 'someone-else' WHERE seq = ${victim}`.execute(tx);
    await sql`UPDATE audit_log SET leaf = ${leafSql()} WHERE seq = ${victim}`.execute(tx);
  });
  assert.deepEqual([r.problem!.seq, r.problem!.kind, r.problem!.batch], [victim, 'edited', batch], r.problem!.reason);
});

test(`[${STORE_KIND}] a row's leaf version changed (to be hashed the old way) is an edit`, async () => {
  let victim = 0;
  const r = await tampered(async (tx) => {
    victim = Number((await middleOf(tx, 2)).seq);
    await sql`UPDATE audit_log SET leaf_v = 1 WHERE seq = ${victim}`.execute(tx);
  });
  assert.deepEqual([r.problem!.seq, r.problem!.kind], [victim, 'edited'], r.problem!.reason);
});

test(`[${STORE_KIND}] deleting a sealed row names its place`, async () => {
  let victim = 0;
  const r = await tampered(async (tx) => {
    victim = Number((await middleOf(tx)).seq);
    await sql`DELETE FROM audit_log WHERE seq = ${victim}`.execute(tx);
  });
  assert.deepEqual([r.problem!.seq, r.problem!.kind], [victim, 'deleted'], r.problem!.reason);
});

test(`[${STORE_KIND}] inserting a row into a sealed batch names the inserted row`, async () => {
  const r = await tampered(async (tx) => {
    // A copy of its neighbour, in the free seq, with the neighbour's transaction id (so its batch).
    await sql`INSERT INTO audit_log (seq, at, actor_id, actor_name, action, object_type, object_id, ip, detail, leaf_v, leaf, xid)
      SELECT ${gap}, at, actor_id, actor_name, action, object_type, object_id, ip, detail, leaf_v, leaf, xid
      FROM audit_log WHERE seq = ${gap - 1}`.execute(tx);
  });
  assert.deepEqual([r.problem!.seq, r.problem!.kind], [gap, 'inserted'], r.problem!.reason);
});

test(`[${STORE_KIND}] a forged row is found whether its leaf is wrong, right with an old transaction id, or without one`, async () => {
  const r = await tampered(async (tx) => {
    await sql`INSERT INTO audit_log (seq, at, actor_name, action, object_type, ip, detail, leaf, xid)
      SELECT ${gap}, at, actor_name, 'user_create', object_type, ip, detail, leaf, xid FROM audit_log WHERE seq = ${gap - 1}`.execute(tx);
    await sql`UPDATE audit_log SET leaf = ${'0'.repeat(64)} WHERE seq = ${gap}`.execute(tx);
  });
  assert.equal(r.problem!.seq, gap, r.problem!.reason);
  // With a leaf that matches, the old transaction id puts it in a sealed batch that never held it.
  const r2 = await tampered(async (tx) => {
    const src = (await rows(tx)).find((x) => Number(x.seq) === gap - 1)!;
    await sql`INSERT INTO audit_log (seq, at, actor_name, action, object_type, ip, detail, leaf_v, leaf, xid)
      VALUES (${gap}, ${src.at}, 'ghost', 'user_create', 'user', '', '{}', 2, '', ${src.xid}::xid8)`.execute(tx);
    await sql`UPDATE audit_log SET leaf = ${leafSql()} WHERE seq = ${gap}`.execute(tx);
  });
  assert.deepEqual([r2.problem!.seq, r2.problem!.kind], [gap, 'inserted'], r2.problem!.reason);
  const r3 = await tampered(async (tx) => {
    const content = { at: new Date().toISOString(), actor_id: null, actor_name: 'ghost', action: 'user_create', object_type: 'user', object_id: null, ip: '', detail: {} };
    await sql`INSERT INTO audit_log (seq, at, actor_name, action, object_type, ip, detail, leaf, xid)
      VALUES (${gap}, ${content.at}, 'ghost', 'user_create', 'user', '', '{}', ${leafHash(content)}, NULL)`.execute(tx);
  });
  assert.deepEqual([r3.problem!.seq, r3.problem!.kind], [gap, 'inserted'], r3.problem!.reason);
});

test(`[${STORE_KIND}] swapping two rows' seq (a reorder) names the first of them`, async () => {
  let a = 0;
  const r = await tampered(async (tx) => {
    const batch = await batchRows(tx, 2);
    a = batch[0]!;
    const b = batch[2]!;
    await sql`UPDATE audit_log SET seq = -1 WHERE seq = ${a}`.execute(tx);
    await sql`UPDATE audit_log SET seq = ${a} WHERE seq = ${b}`.execute(tx);
    await sql`UPDATE audit_log SET seq = ${b} WHERE seq = -1`.execute(tx);
  });
  assert.deepEqual([r.problem!.seq, r.problem!.kind], [a, 'reordered'], r.problem!.reason);
});

test(`[${STORE_KIND}] cutting off the tail (last checkpoints and every row after them) is caught by the witness`, async () => {
  let first = 0;
  const r = await tampered(async (tx) => {
    const last = Number((await tx.selectFrom('audit_checkpoints').select('batch').orderBy('batch', 'desc').limit(1).executeTakeFirstOrThrow()).batch);
    const cut = await tx.selectFrom('audit_checkpoints').selectAll().where('batch', '=', String(last - 1)).executeTakeFirstOrThrow();
    first = Number(cut.first_seq);
    await sql`DELETE FROM audit_log WHERE xid >= ${cut.xid_from}::xid8`.execute(tx);
    await sql`DELETE FROM audit_checkpoints WHERE batch >= ${last - 1}`.execute(tx);
  });
  assert.deepEqual([r.problem!.seq, r.problem!.kind], [first, 'cut_off'], r.problem!.reason);
  assert.equal(r.unsealed, 0);
});

test(`[${STORE_KIND}] a forged checkpoint signature, or one made with another key, is refused`, async () => {
  const other = crypto.generateKeyPairSync('ed25519').privateKey;
  let first = 0;
  const r = await tampered(async (tx) => {
    const cp = await tx.selectFrom('audit_checkpoints').selectAll().where('batch', '=', '2').executeTakeFirstOrThrow();
    first = Number(cp.first_seq);
    await sql`UPDATE audit_checkpoints SET signature = ${crypto.sign(null, Buffer.from('forged'), other).toString('base64')} WHERE batch = 2`.execute(tx);
  });
  assert.deepEqual([r.problem!.seq, r.problem!.kind], [first, 'signature'], r.problem!.reason);
  const r2 = await tampered(async (tx) => {
    await sql`UPDATE audit_checkpoints SET key_id = ${'ab'.repeat(32)} WHERE batch = 2`.execute(tx);
  });
  assert.equal(r2.problem!.seq, first, r2.problem!.reason); // the key id is signed content: the hash no longer matches
});
