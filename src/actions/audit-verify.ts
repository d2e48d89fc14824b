import { sql } from 'kysely';
import type { Db, Tx } from '../store/db.ts';
import { auditHash, GENESIS_HASH, leafHash, type AuditRowContent } from './audit.ts';
import type { AuditKey } from './audit-key.ts';
import { checkpointHash, merkleLeaf, merkleRoot, readWitness, toCheckpoint, verifyCheckpointSignature, type SignedCheckpoint } from './audit-seal.ts';

/**
 * Checks the whole audit log: every row's leaf from its content, every batch's Merkle root, the
 * checkpoint chain and signatures, and the witness copy outside the database. Rows are streamed
 * in (batch, seq) order, a page at a time, so memory stays at one page and one batch.
 */

export type ProblemKind = 'edited' | 'deleted' | 'inserted' | 'reordered' | 'checkpoint' | 'signature' | 'cut_off';

export interface AuditProblem {
  /** The first affected row; for a deletion, the lowest seq the missing row(s) could have had. */
  seq: number | null;
  batch: number | null;
  kind: ProblemKind;
  reason: string;
}

export interface AuditReport {
  intact: boolean;
  /** Rows read and hashed. */
  rows: number;
  sealed: number;
  batches: number;
  /** Rows after the last checkpoint: checked against their leaf hash, but covered by a signature only once sealed. */
  unsealed: number;
  seconds: number;
  rows_per_second: number;
  signatures_checked: boolean;
  witness: { batch: number; matches: boolean } | null;
  problem: AuditProblem | null;
  problems: number;
}

export interface VerifyOptions {
  /** Checks each checkpoint's signature with this key (its public half). */
  key?: AuditKey;
  /** Where the witness copy of the latest checkpoint is kept. */
  dataDir?: string;
  pageSize?: number;
}

interface Row {
  seq: number;
  at: string;
  actor_id: string | null;
  actor_name: string;
  action: string;
  object_type: string;
  object_id: string | null;
  ip: string;
  detail: Record<string, unknown>;
  prev_hash: string | null;
  hash: string | null;
  leaf: string;
  xid: string | null;
  batch: number | null;
  pos: number | null;
}

const COLUMNS = sql`seq, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at, actor_id, actor_name, action, object_type,
  object_id, ip, detail, prev_hash, hash, leaf, xid::text AS xid, batch, pos`;

export async function verifyAudit(db: Db | Tx, opts: VerifyOptions = {}): Promise<AuditReport> {
  const started = performance.now();
  const pageSize = opts.pageSize ?? 10_000;
  const problems: AuditProblem[] = [];
  const add = (p: AuditProblem) => void problems.push(p);

  const checkpoints = new Map<number, SignedCheckpoint>();
  const loadCheckpoints = async (from: number) => {
    const rows = await db.selectFrom('audit_checkpoints').selectAll().where('batch', '>=', String(from)).orderBy('batch').execute();
    for (const r of rows) checkpoints.set(Number(r.batch), toCheckpoint(r as never));
  };
  await loadCheckpoints(1);

  let legacyPrev = GENESIS_HASH;
  let rowsRead = 0;
  let sealed = 0;
  const visited = new Set<number>();

  // One batch's rows as they stream by.
  let batch = -1;
  let cp: SignedCheckpoint | undefined;
  let xminOfBatch = 0n;
  let seqs: number[] = [];
  let leaves: Buffer[] = [];
  let positions: Array<number | null> = [];
  let rowProblem = false;

  const checkContent = (r: Row): string | null => {
    const content: AuditRowContent = {
      at: r.at,
      actor_id: r.actor_id,
      actor_name: r.actor_name,
      action: r.action,
      object_type: r.object_type,
      object_id: r.object_id,
      ip: r.ip,
      detail: r.detail,
    };
    if (r.prev_hash !== null) {
      // A row of the old hash chain: its link and its hash, which is also its leaf.
      if (r.prev_hash !== legacyPrev) return 'its link to the previous row of the old hash chain is broken (a row before it was deleted, inserted or moved)';
      legacyPrev = r.hash ?? '';
      if (auditHash(r.prev_hash, content) !== r.hash || r.leaf !== r.hash) return 'its content does not match its hash (edited)';
      return null;
    }
    return leafHash(content) === r.leaf ? null : 'its content does not match its leaf hash (edited)';
  };

  const finishBatch = async () => {
    if (batch < 0) return;
    visited.add(batch);
    if (!cp || rowProblem) return;
    const problem = classifyBatch(cp, seqs, leaves, positions);
    if (problem) add(problem);
  };

  const startBatch = async (b: number, first: Row) => {
    batch = b;
    if (!checkpoints.has(b)) await loadCheckpoints(b); // sealed while this check runs
    cp = checkpoints.get(b);
    xminOfBatch = cp ? BigInt(cp.sealed_xmin) : 0n;
    seqs = [];
    leaves = [];
    positions = [];
    rowProblem = false;
    if (!cp) {
      rowProblem = true;
      add({ seq: first.seq, batch: b, kind: 'inserted', reason: `rows claim batch ${b}, which has no checkpoint (the checkpoint was deleted, or the rows were inserted)` });
    }
  };

  let after: [number, number] = [0, 0];
  for (;;) {
    const page = (
      await sql<Row>`SELECT ${COLUMNS} FROM audit_log WHERE batch IS NOT NULL AND (batch, seq) > (${after[0]}, ${after[1]})
        ORDER BY batch, seq LIMIT ${pageSize}`.execute(db)
    ).rows;
    for (const r of page) {
      const b = Number(r.batch);
      const seq = Number(r.seq);
      if (b !== batch) {
        await finishBatch();
        await startBatch(b, r);
      }
      rowsRead++;
      sealed++;
      const bad = checkContent(r);
      if (bad && !rowProblem) {
        rowProblem = true;
        add({ seq, batch: b, kind: bad.includes('edited') ? 'edited' : 'deleted', reason: `row ${seq}: ${bad}` });
      }
      if (cp && !rowProblem && (r.xid === null ? r.prev_hash === null : BigInt(r.xid) >= xminOfBatch)) {
        rowProblem = true;
        add({ seq, batch: b, kind: 'inserted', reason: `row ${seq} was written after batch ${b} was sealed, yet claims a place in it (inserted)` });
      }
      seqs.push(seq);
      leaves.push(merkleLeaf(seq, r.leaf));
      positions.push(r.pos === null ? null : Number(r.pos));
    }
    if (page.length < pageSize) break;
    const last = page[page.length - 1]!;
    after = [Number(last.batch), Number(last.seq)];
  }
  await finishBatch();

  // The checkpoint chain, its signatures, and batches whose rows are all gone.
  const ordered = [...checkpoints.values()].sort((a, b) => a.batch - b.batch);
  let prev: SignedCheckpoint | null = null;
  for (const c of ordered) {
    const expectBatch = prev ? prev.batch + 1 : 1;
    if (c.batch !== expectBatch) {
      add({ seq: prev ? prev.last_seq + 1 : 1, batch: expectBatch, kind: 'deleted', reason: `checkpoint(s) ${expectBatch}–${c.batch - 1} are missing, with the rows they sealed` });
    } else if (c.prev_hash !== (prev ? prev.hash : GENESIS_HASH)) {
      add({ seq: c.first_seq, batch: c.batch, kind: 'checkpoint', reason: `checkpoint ${c.batch} does not link to checkpoint ${prev?.batch ?? 'genesis'} (replaced or reordered)` });
    }
    if (checkpointHash(c) !== c.hash) {
      add({ seq: c.first_seq, batch: c.batch, kind: 'checkpoint', reason: `checkpoint ${c.batch} was edited: its content does not match its hash` });
    } else if (opts.key) {
      if (c.key_id !== opts.key.keyId) add({ seq: c.first_seq, batch: c.batch, kind: 'signature', reason: `checkpoint ${c.batch} is signed by another key (${c.key_id.slice(0, 16)}…)` });
      else if (!verifyCheckpointSignature(c, opts.key.publicKey)) add({ seq: c.first_seq, batch: c.batch, kind: 'signature', reason: `checkpoint ${c.batch}: the signature does not verify (forged or altered)` });
    }
    if (!visited.has(c.batch)) add({ seq: c.first_seq, batch: c.batch, kind: 'deleted', reason: `all ${c.count} rows of batch ${c.batch} (seq ${c.first_seq}–${c.last_seq}) were deleted` });
    prev = c;
  }
  const lastCp = prev;

  // Rows not sealed yet. One older than the last seal's snapshot, below its last seq, should have
  // been sealed by it: it was inserted afterwards.
  let unsealed = 0;
  const lastXmin = lastCp ? BigInt(lastCp.sealed_xmin) : 0n;
  let afterSeq = 0;
  for (;;) {
    const page = (await sql<Row>`SELECT ${COLUMNS} FROM audit_log WHERE batch IS NULL AND seq > ${afterSeq} ORDER BY seq LIMIT ${pageSize}`.execute(db)).rows;
    for (const r of page) {
      const seq = Number(r.seq);
      rowsRead++;
      unsealed++;
      const bad = checkContent(r);
      if (bad) add({ seq, batch: null, kind: bad.includes('edited') ? 'edited' : 'deleted', reason: `row ${seq} (not sealed yet): ${bad}` });
      else if (lastCp && seq < lastCp.last_seq && (r.xid === null || BigInt(r.xid) < lastXmin)) {
        add({ seq, batch: null, kind: 'inserted', reason: `row ${seq} is older than checkpoint ${lastCp.batch} yet not sealed by it (inserted)` });
      }
    }
    if (page.length < pageSize) break;
    afterSeq = Number(page[page.length - 1]!.seq);
  }

  // The witness outside the database: its checkpoint must still be there, unchanged.
  let witness: AuditReport['witness'] = null;
  const w = opts.dataDir ? readWitness(opts.dataDir) : null;
  if (w) {
    const inDb = checkpoints.get(w.batch);
    witness = { batch: w.batch, matches: inDb?.hash === w.hash };
    if (opts.key && !verifyCheckpointSignature(w, opts.key.publicKey)) {
      add({ seq: w.first_seq, batch: w.batch, kind: 'signature', reason: `the witness copy of checkpoint ${w.batch} does not carry a valid signature` });
    } else if (!inDb && (!lastCp || w.batch > lastCp.batch)) {
      const from = lastCp ? lastCp.batch + 1 : 1;
      add({ seq: lastCp ? Math.min(lastCp.last_seq + 1, w.first_seq) : 1, batch: from, kind: 'cut_off', reason: `the log was cut off: the witness records checkpoint ${w.batch} (up to seq ${w.last_seq}), but the database ends at ${lastCp ? `checkpoint ${lastCp.batch} (seq ${lastCp.last_seq})` : 'no checkpoint'}; checkpoints ${from}–${w.batch} and their rows are missing` });
    } else if (inDb && inDb.hash !== w.hash) {
      add({ seq: w.first_seq, batch: w.batch, kind: 'checkpoint', reason: `checkpoint ${w.batch} differs from its witness copy (rewritten)` });
    }
  }

  const seconds = (performance.now() - started) / 1000;
  problems.sort((a, b) => (a.seq ?? Number.MAX_SAFE_INTEGER) - (b.seq ?? Number.MAX_SAFE_INTEGER));
  return {
    intact: problems.length === 0,
    rows: rowsRead,
    sealed,
    batches: checkpoints.size,
    unsealed,
    seconds,
    rows_per_second: seconds > 0 ? Math.round(rowsRead / seconds) : rowsRead,
    signatures_checked: !!opts.key,
    witness,
    problem: problems[0] ?? null,
    problems: problems.length,
  };
}

/**
 * A batch whose rows all match their leaves: its count, seq range and Merkle root against the
 * checkpoint. Positions written at sealing say which row is missing, extra or out of place.
 */
function classifyBatch(cp: SignedCheckpoint, seqs: number[], leaves: Buffer[], positions: Array<number | null>): AuditProblem | null {
  const b = cp.batch;
  const n = seqs.length;
  for (let i = 0; i < n; i++) {
    const p = positions[i];
    if (p === i) continue;
    if (p === null || p >= cp.count) return { seq: seqs[i]!, batch: b, kind: 'inserted', reason: `row ${seqs[i]} claims a place in batch ${b} that the sealer never gave (inserted)` };
    const seen = positions.slice(0, i);
    if (seen.includes(p)) {
      // Two rows claim one place: the extra one is the row whose removal restores the signed root.
      const claimants = positions.flatMap((q, j) => (q === p ? [j] : []));
      const extra = claimants.find((j) => merkleRoot(leaves.filter((_, k) => k !== j)) === cp.root) ?? i;
      return { seq: seqs[extra]!, batch: b, kind: 'inserted', reason: `row ${seqs[extra]} was inserted into batch ${b} (position ${p} is claimed twice)` };
    }
    if (p > i && !positions.slice(i + 1).includes(i)) {
      const from = i === 0 ? cp.first_seq : seqs[i - 1]! + 1;
      return { seq: from, batch: b, kind: 'deleted', reason: `row(s) at position ${i} of batch ${b} were deleted (${i === 0 ? `seq ${cp.first_seq}` : `between seq ${seqs[i - 1]} and ${seqs[i]}`})` };
    }
    return { seq: seqs[i]!, batch: b, kind: 'reordered', reason: `row ${seqs[i]} is out of order: it was sealed at position ${p} of batch ${b}, but now stands at position ${i} (seq changed)` };
  }
  if (n < cp.count) {
    return { seq: n ? seqs[n - 1]! + 1 : cp.first_seq, batch: b, kind: 'deleted', reason: `the last ${cp.count - n} row(s) of batch ${b} (up to seq ${cp.last_seq}) were deleted` };
  }
  if (seqs[0] !== cp.first_seq || seqs[n - 1] !== cp.last_seq) {
    const seq = Math.min(seqs[0]!, cp.first_seq);
    return { seq, batch: b, kind: 'reordered', reason: `batch ${b} was sealed over seq ${cp.first_seq}–${cp.last_seq} but now holds seq ${seqs[0]}–${seqs[n - 1]} (seq changed)` };
  }
  if (merkleRoot(leaves) !== cp.root) {
    return { seq: cp.first_seq, batch: b, kind: 'edited', reason: `batch ${b} (seq ${cp.first_seq}–${cp.last_seq}) does not match its signed Merkle root (rows and their leaf hashes were rewritten, or a seq changed)` };
  }
  return null;
}

/** The first problem as {seq, reason}, or null when the log is intact (the short form tests use). */
export async function verifyAuditChain(db: Db | Tx, opts: VerifyOptions = {}): Promise<{ seq: string; reason: string } | null> {
  const r = await verifyAudit(db, opts);
  return r.problem ? { seq: String(r.problem.seq), reason: r.problem.reason } : null;
}
