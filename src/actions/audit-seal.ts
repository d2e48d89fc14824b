import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import type { Services } from './context.ts';
import type { Db, Tx } from '../store/db.ts';
import { canonicalJson, GENESIS_HASH } from './audit.ts';
import { loadAuditKey, type AuditKey } from './audit-key.ts';

/**
 * The sealer: the only process step that links audit rows. It takes rows that are certainly final
 * (written by transactions older than its snapshot's xmin, so a writer that committed late with a
 * lower seq is picked up by the next batch, never skipped), numbers them into a batch, and writes a
 * checkpoint: the batch's Merkle root (RFC 6962), the previous checkpoint's hash and an Ed25519
 * signature. Writers never take its lock.
 */

const SEALER_LOCK = 7243002;
export const MAX_BATCH_ROWS = 20_000;
const CHECKPOINT_DOMAIN = 'banchi.audit.checkpoint.v1\n';
export const WITNESS_FILE = 'audit-witness.json';

export interface Checkpoint {
  batch: number;
  first_seq: number;
  last_seq: number;
  count: number;
  root: string;
  prev_hash: string;
  sealed_xmin: string;
  at: string;
  key_id: string;
}

export interface SignedCheckpoint extends Checkpoint {
  hash: string;
  signature: string;
}

const NODE_PREFIX = Buffer.from([1]);

/** RFC 6962 leaf hash of one row: H(0x00 ‖ seq as 8 bytes ‖ leaf), so a row's place is part of it. */
export function merkleLeaf(seq: number, leafHex: string): Buffer {
  const data = Buffer.allocUnsafe(9 + 32);
  data[0] = 0;
  data.writeBigUInt64BE(BigInt(seq), 1);
  data.write(leafHex, 9, 'hex');
  return crypto.hash('sha256', data, 'buffer');
}

/**
 * RFC 6962 Merkle tree hash over leaf hashes: pairing level by level and carrying an odd last node
 * up unchanged gives the same root as the standard's split at the largest power of two.
 */
export function merkleRoot(leaves: Buffer[]): string {
  if (!leaves.length) return crypto.hash('sha256', '', 'hex');
  let level = leaves;
  while (level.length > 1) {
    const next: Buffer[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push(crypto.hash('sha256', Buffer.concat([NODE_PREFIX, level[i]!, level[i + 1]!]), 'buffer'));
    if (level.length % 2) next.push(level[level.length - 1]!);
    level = next;
  }
  return level[0]!.toString('hex');
}

/** The exact bytes that are hashed and signed. */
export function checkpointBytes(c: Checkpoint): Buffer {
  const { batch, first_seq, last_seq, count, root, prev_hash, sealed_xmin, at, key_id } = c;
  return Buffer.from(CHECKPOINT_DOMAIN + canonicalJson({ batch, first_seq, last_seq, count, root, prev_hash, sealed_xmin, at, key_id }));
}

export function checkpointHash(c: Checkpoint): string {
  return crypto.hash('sha256', checkpointBytes(c), 'hex');
}

export function verifyCheckpointSignature(c: SignedCheckpoint, publicKey: crypto.KeyObject): boolean {
  try {
    return crypto.verify(null, checkpointBytes(c), publicKey, Buffer.from(c.signature, 'base64'));
  } catch {
    return false;
  }
}

/** A checkpoint row as stored, with numbers as numbers and the time as ISO text. */
export function toCheckpoint(r: Record<string, unknown>): SignedCheckpoint {
  return {
    batch: Number(r.batch),
    first_seq: Number(r.first_seq),
    last_seq: Number(r.last_seq),
    count: Number(r.count),
    root: String(r.root),
    prev_hash: String(r.prev_hash),
    sealed_xmin: String(r.sealed_xmin),
    at: new Date(r.at as string).toISOString(),
    key_id: String(r.key_id),
    hash: String(r.hash),
    signature: String(r.signature),
  };
}

/** Seals one batch; null when another sealer holds the lock or nothing is ready. */
export async function sealAudit(services: Services, opts: { maxRows?: number } = {}): Promise<SignedCheckpoint | null> {
  const key = loadAuditKey(services.config);
  const cp = await services.store.db.transaction().execute((tx) => sealIn(tx, key, opts.maxRows ?? MAX_BATCH_ROWS));
  if (cp) writeWitness(services.config.dataDir, cp);
  return cp;
}

async function sealIn(tx: Tx, key: AuditKey, maxRows: number): Promise<SignedCheckpoint | null> {
  const lock = await sql<{ ok: boolean }>`SELECT pg_try_advisory_xact_lock(${SEALER_LOCK}) AS ok`.execute(tx);
  if (!lock.rows[0]?.ok) return null;
  // One statement: the rows and the xmin come from the same snapshot.
  const rows = (
    await sql<{ seq: number; leaf: string; xmin: string }>`
      SELECT seq, leaf, pg_snapshot_xmin(pg_current_snapshot())::text AS xmin FROM audit_log
      WHERE batch IS NULL AND (xid IS NULL OR xid < pg_snapshot_xmin(pg_current_snapshot()))
      ORDER BY seq LIMIT ${maxRows}`.execute(tx)
  ).rows;
  if (!rows.length) return null;
  const last = await tx.selectFrom('audit_checkpoints').select(['batch', 'hash']).orderBy('batch', 'desc').limit(1).executeTakeFirst();
  const seqs = rows.map((r) => Number(r.seq));
  const cp: Checkpoint = {
    batch: last ? Number(last.batch) + 1 : 1,
    first_seq: seqs[0]!,
    last_seq: seqs[seqs.length - 1]!,
    count: rows.length,
    root: merkleRoot(rows.map((r) => merkleLeaf(Number(r.seq), r.leaf))),
    prev_hash: last?.hash ?? GENESIS_HASH,
    sealed_xmin: rows[0]!.xmin,
    at: new Date().toISOString(),
    key_id: key.keyId,
  };
  const signed: SignedCheckpoint = { ...cp, hash: checkpointHash(cp), signature: crypto.sign(null, checkpointBytes(cp), key.privateKey).toString('base64') };
  await sql`
    UPDATE audit_log a SET batch = ${cp.batch}, pos = v.pos - 1
    FROM unnest(${seqs}::bigint[]) WITH ORDINALITY AS v(seq, pos) WHERE a.seq = v.seq`.execute(tx);
  await sql`
    INSERT INTO audit_checkpoints (batch, first_seq, last_seq, count, root, prev_hash, sealed_xmin, at, key_id, hash, signature)
    VALUES (${cp.batch}, ${cp.first_seq}, ${cp.last_seq}, ${cp.count}, ${cp.root}, ${cp.prev_hash}, ${cp.sealed_xmin}::xid8, ${cp.at}, ${cp.key_id}, ${signed.hash}, ${signed.signature})`.execute(tx);
  return signed;
}

/** Seals until nothing final is left; returns the number of batches written. */
export async function sealPending(services: Services): Promise<number> {
  let n = 0;
  for (;;) {
    const cp = await sealAudit(services);
    if (!cp) return n;
    n++;
    if (cp.count < MAX_BATCH_ROWS) return n;
  }
}

export async function hasUnsealed(db: Db): Promise<boolean> {
  const r = await db.selectFrom('audit_log').select('seq').where('batch', 'is', null).limit(1).executeTakeFirst();
  return r !== undefined;
}

/**
 * The latest checkpoint, copied outside the database after each seal: deleting whole checkpoints
 * (and the rows they cover) from the database is then still detected.
 */
export function writeWitness(dataDir: string, cp: SignedCheckpoint): void {
  const file = path.join(dataDir, WITNESS_FILE);
  const current = readWitness(dataDir);
  if (current && current.batch >= cp.batch) return;
  fs.mkdirSync(dataDir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(cp, null, 1)}\n`, { mode: 0o600 });
  fs.renameSync(tmp, file);
}

export function readWitness(dataDir: string): SignedCheckpoint | null {
  try {
    return toCheckpoint(JSON.parse(fs.readFileSync(path.join(dataDir, WITNESS_FILE), 'utf8')));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}
