import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import type { Services } from './context.ts';
import type { Db, Tx } from '../store/db.ts';
import { canonicalJson, GENESIS_HASH } from './audit.ts';
import { loadAuditKey, type AuditKey } from './audit-key.ts';

/**
 * The sealer: the only step that links audit rows, and it writes no audit row. Batch N is every
 * row whose writing transaction lies in [xid_from, xid_below), where xid_below is at most the xmin
 * of the sealer's snapshot: every such transaction has ended, so the batch is final (a writer that
 * committed late with a lower seq has a higher xid and falls in a later batch, never skipped). The
 * checkpoint holds the batch's RFC 6962 Merkle root over the rows' leaf hashes (in seq order), a
 * hash of their seq numbers, the previous checkpoint's hash and an Ed25519 signature. Writers
 * never take the sealer's lock, and rows are never updated.
 */

const SEALER_LOCK = 7243002;
export const MAX_BATCH_ROWS = 20_000;
const CHECKPOINT_DOMAIN = 'banchi.audit.checkpoint.v1\n';
export const WITNESS_FILE = 'audit-witness.json';

export interface Checkpoint {
  batch: number;
  /** Transaction ids [xid_from, xid_below); both '0' for the batch of old-chain rows (xid NULL). */
  xid_from: string;
  xid_below: string;
  /**
   * The era: its batches hold only rows with seq above this. 0 at first; after a restore into
   * another cluster (transaction ids start low again) the sealer opens a new era above every
   * seq sealed before, so old rows with the same low xids are never taken for new ones.
   */
  seq_floor: number;
  first_seq: number;
  last_seq: number;
  count: number;
  root: string;
  seqs_hash: string;
  prev_hash: string;
  at: string;
  key_id: string;
}

export interface SignedCheckpoint extends Checkpoint {
  hash: string;
  signature: string;
}

/** Seq numbers as ranges ("1-5000,5002,5004-6000"): in seq order, compact, easy to compare. */
export function seqRanges(seqs: number[]): string {
  let out = '';
  for (let i = 0; i < seqs.length; ) {
    let j = i;
    while (j + 1 < seqs.length && seqs[j + 1] === seqs[j]! + 1) j++;
    out += `${out ? ',' : ''}${i === j ? seqs[i] : `${seqs[i]}-${seqs[j]}`}`;
    i = j + 1;
  }
  return out;
}

export function parseSeqRanges(text: string): number[] {
  const out: number[] = [];
  for (const part of text ? text.split(',') : []) {
    const [a, b] = part.split('-').map(Number);
    for (let s = a!; s <= (b ?? a!); s++) out.push(s);
  }
  return out;
}

/** The seq numbers of a batch, as ranges, hashed: the leaves commit to content, this to place. */
export function seqsHash(seqs: number[]): string {
  return crypto.hash('sha256', seqRanges(seqs), 'hex');
}

/**
 * RFC 6962 Merkle tree hash over leaf hashes (hex): pairing level by level and carrying an odd last
 * node up unchanged gives the same root as the standard's split at the largest power of two.
 * Each level is one buffer, so a node costs one hash and no allocation.
 */
export function merkleRoot(leaves: string[]): string {
  if (!leaves.length) return crypto.hash('sha256', '', 'hex');
  let count = leaves.length;
  let level = Buffer.allocUnsafe(count * 32);
  for (let i = 0; i < count; i++) level.write(leaves[i]!, i * 32, 'hex');
  const node = Buffer.allocUnsafe(65);
  node[0] = 1;
  while (count > 1) {
    const pairs = count >> 1;
    const next = Buffer.allocUnsafe((count - pairs) * 32);
    for (let i = 0; i < pairs; i++) {
      level.copy(node, 1, i * 64, i * 64 + 64);
      next.write(crypto.hash('sha256', node, 'binary'), i * 32, 'binary');
    }
    if (count & 1) level.copy(next, pairs * 32, (count - 1) * 32, count * 32);
    level = next;
    count -= pairs;
  }
  return level.subarray(0, 32).toString('hex');
}

/** The exact bytes that are hashed and signed. */
export function checkpointBytes(c: Checkpoint): Buffer {
  const { batch, xid_from, xid_below, seq_floor, first_seq, last_seq, count, root, seqs_hash, prev_hash, at, key_id } = c;
  return Buffer.from(CHECKPOINT_DOMAIN + canonicalJson({ batch, xid_from, xid_below, seq_floor, first_seq, last_seq, count, root, seqs_hash, prev_hash, at, key_id }));
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
    xid_from: String(r.xid_from),
    xid_below: String(r.xid_below),
    seq_floor: Number(r.seq_floor),
    first_seq: Number(r.first_seq),
    last_seq: Number(r.last_seq),
    count: Number(r.count),
    root: String(r.root),
    seqs_hash: String(r.seqs_hash),
    prev_hash: String(r.prev_hash),
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

type SealRow = { seq: number; leaf: string; xid: string };
interface Range {
  rows: SealRow[];
  from: string;
  below: string;
  floor: number;
}
const xidLess = (a: string, b: string) => a.length < b.length || (a.length === b.length && a < b);

async function sealIn(tx: Tx, key: AuditKey, maxRows: number): Promise<SignedCheckpoint | null> {
  const lock = await sql<{ ok: boolean }>`SELECT pg_try_advisory_xact_lock(${SEALER_LOCK}) AS ok`.execute(tx);
  if (!lock.rows[0]?.ok) return null;
  const last = await tx.selectFrom('audit_checkpoints').select(['batch', 'hash', 'xid_below', 'seq_floor']).orderBy('batch', 'desc').limit(1).executeTakeFirst();
  // Read before the rows: xmin only grows, and a transaction below it has ended for good.
  const xmin = (await sql<{ x: string }>`SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS x`.execute(tx)).rows[0]!.x;
  let range: Range | null;
  if (!last) range = (await oldChainRows(tx)) ?? (await finalRows(tx, '0', xmin, 0, maxRows));
  else if (xidLess(xmin, String(last.xid_below))) range = await newEra(tx, String(last.xid_below), Number(last.seq_floor), xmin, maxRows);
  else range = await finalRows(tx, String(last.xid_below), xmin, Number(last.seq_floor), maxRows);
  if (!range) return null; // nothing final since the last batch: the next one starts where it ended
  const { rows, from, below, floor } = range;
  rows.sort((a, b) => Number(a.seq) - Number(b.seq));
  const seqs = rows.map((r) => Number(r.seq));
  const leaves = rows.map((r) => r.leaf);
  const cp: Checkpoint = {
    batch: last ? Number(last.batch) + 1 : 1,
    xid_from: from,
    xid_below: below,
    seq_floor: floor,
    first_seq: seqs[0]!,
    last_seq: seqs[seqs.length - 1]!,
    count: rows.length,
    root: merkleRoot(leaves),
    seqs_hash: seqsHash(seqs),
    prev_hash: last?.hash ?? GENESIS_HASH,
    at: new Date().toISOString(),
    key_id: key.keyId,
  };
  const signed: SignedCheckpoint = { ...cp, hash: checkpointHash(cp), signature: crypto.sign(null, checkpointBytes(cp), key.privateKey).toString('base64') };
  await tx
    .insertInto('audit_checkpoints')
    .values({ ...signed, batch: String(cp.batch), seq_floor: String(floor), first_seq: String(cp.first_seq), last_seq: String(cp.last_seq), seqs: seqRanges(seqs), leaf_prefixes: leafPrefixes(leaves) })
    .execute();
  return signed;
}

/** Rows of the old hash chain (no xid), sealed first as one batch with the empty xid range. */
async function oldChainRows(tx: Tx): Promise<Range | null> {
  const rows = (await sql<SealRow>`SELECT seq, leaf, '' AS xid FROM audit_log WHERE xid IS NULL ORDER BY seq`.execute(tx)).rows;
  return rows.length ? { rows, from: '0', below: '0', floor: 0 } : null;
}

/** Rows of transactions from `from` up to xmin (above the era's seq floor): all ended, so the set is final. */
async function finalRows(tx: Tx, from: string, xmin: string, floor: number, maxRows: number): Promise<Range | null> {
  let rows = (
    await sql<SealRow>`SELECT seq, leaf, xid::text AS xid FROM audit_log WHERE xid >= ${from}::xid8 AND xid < ${xmin}::xid8 AND seq > ${floor}
      ORDER BY xid, seq LIMIT ${maxRows + 1}`.execute(tx)
  ).rows;
  let below = xmin;
  if (rows.length > maxRows) {
    // Too many for one batch: end it before the last transaction seen, or take that one whole.
    const cut = rows[maxRows]!.xid;
    rows = rows.filter((r) => r.xid !== cut);
    below = cut;
    if (!rows.length) {
      rows = (await sql<SealRow>`SELECT seq, leaf, xid::text AS xid FROM audit_log WHERE xid = ${cut}::xid8 AND seq > ${floor} ORDER BY seq`.execute(tx)).rows;
      below = (BigInt(cut) + 1n).toString();
    }
  }
  return rows.length ? { rows, from, below, floor } : null;
}

/**
 * Transaction ids went back below the last batch's range: the database was restored into another
 * cluster. Rows of the old cluster not sealed yet (their xids lie above the last range) are final
 * now and are sealed first; then a new era begins above every seq sealed so far.
 */
async function newEra(tx: Tx, lastBelow: string, lastFloor: number, xmin: string, maxRows: number): Promise<Range | null> {
  const left = (await sql<SealRow>`SELECT seq, leaf, xid::text AS xid FROM audit_log WHERE xid >= ${lastBelow}::xid8 AND seq > ${lastFloor} ORDER BY xid, seq`.execute(tx)).rows;
  if (left.length) return { rows: left, from: lastBelow, below: (BigInt(left[left.length - 1]!.xid) + 1n).toString(), floor: lastFloor };
  const top = await tx.selectFrom('audit_checkpoints').select((eb) => eb.fn.max('last_seq').as('s')).executeTakeFirstOrThrow();
  return finalRows(tx, '0', xmin, Number(top.s), maxRows);
}

/** The first 4 bytes of each leaf hash, in order: enough to say which row moved or changed. */
export function leafPrefixes(leaves: string[]): Buffer {
  const out = Buffer.allocUnsafe(leaves.length * 4);
  for (let i = 0; i < leaves.length; i++) out.write(leaves[i]!.slice(0, 8), i * 4, 'hex');
  return out;
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

/**
 * Whether any row may wait for sealing: one after the last batch's last seq, or one of a
 * transaction at or after its range (a late commit with a lower seq). Two index probes, cheap to
 * poll; a false yes only costs one sealing attempt that finds nothing.
 */
export async function hasUnsealed(db: Db): Promise<boolean> {
  const last = await db.selectFrom('audit_checkpoints').select(['xid_below', 'last_seq']).orderBy('batch', 'desc').limit(1).executeTakeFirst();
  if (!last) return (await db.selectFrom('audit_log').select('seq').limit(1).executeTakeFirst()) !== undefined;
  const r = await sql<{ any: boolean }>`
    SELECT EXISTS (SELECT 1 FROM audit_log WHERE xid >= ${last.xid_below}::xid8)
        OR EXISTS (SELECT 1 FROM audit_log WHERE seq > ${last.last_seq}) AS any`.execute(db);
  return r.rows[0]!.any;
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
