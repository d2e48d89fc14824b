import { sql } from 'kysely';
import type { Db, Tx } from '../store/db.ts';
import { auditHash, GENESIS_HASH, leafHash, type AuditRowContent } from './audit.ts';
import { leafSql } from './audit-leaf.ts';
import type { AuditKey } from './audit-key.ts';
import { checkpointHash, merkleRoot, parseSeqRanges, readWitness, seqsHash, toCheckpoint, verifyCheckpointSignature, type SignedCheckpoint } from './audit-seal.ts';

/**
 * Checks the whole audit log: every row's leaf from its content, every batch's Merkle root, the
 * checkpoint chain and signatures, and the witness copy outside the database. Rows are streamed
 * in seq order, a page at a time (keyset pagination); each falls in the batch whose transaction
 * range holds its xid, and a batch is checked as soon as the stream passes its last seq.
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
  /** Rows per page (a seq range); 10,000 unless given. */
  pageSize?: number;
  /** Pages asked for at once (on a server they render on separate connections); 3 unless given. */
  parallel?: number;
}

interface Row {
  seq: number;
  leaf: string;
  leaf_v: number;
  xid: string | null;
  prev_hash: string | null;
  hash: string | null;
  /**
   * v1 rows: [at, actor_id, actor_name, action, object_type, object_id, ip, detail] as one JSON
   * text, decoded and serialised canonically in Node as they were written. Null for v2 rows.
   */
  c: string | null;
  /** v2 rows: whether the leaf recomputed from the row's stored columns equals its stored leaf. */
  ok: boolean | null;
}

/**
 * v2 leaves are recomputed by the database from the stored columns with the very expression the
 * insert used (audit-leaf.ts) and compared there; only the verdict travels. Which side hashes does
 * not change what is proved (the content read back is the database's rendering either way, and
 * the Merkle roots built here from the leaves must match the signed checkpoints), but hashing next
 * to the rendering saves this process decoding, re-encoding and hashing every row's text.
 */
const COLUMNS = sql`seq, leaf, leaf_v, xid::text AS xid, prev_hash, hash,
  CASE WHEN leaf_v = 2 THEN NULL
    ELSE json_build_array(to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), actor_id, actor_name, action, object_type, object_id, ip, detail)::text END AS c,
  CASE WHEN leaf_v = 2 THEN ${leafSql()} = leaf END AS ok`;

/** xid8 values as decimal text, compared without BigInt. */
const xidCmp = (a: string, b: string) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);

interface Open {
  cp: SignedCheckpoint;
  seqs: number[];
  leaves: string[];
}

export async function verifyAudit(db: Db | Tx, opts: VerifyOptions = {}): Promise<AuditReport> {
  const started = performance.now();
  const pageSize = opts.pageSize ?? 10_000;
  const problems: AuditProblem[] = [];
  const add = (p: AuditProblem) => void problems.push(p);

  const cps = (await db.selectFrom('audit_checkpoints')
    .select(['batch', 'xid_from', 'xid_below', 'seq_floor', 'first_seq', 'last_seq', 'count', 'root', 'seqs_hash', 'prev_hash', 'at', 'key_id', 'hash', 'signature'])
    .orderBy('batch').execute()).map((r) => toCheckpoint(r as never));
  const byBatch = new Map(cps.map((c) => [c.batch, c]));
  const oldChain = cps.find((c) => c.xid_below === '0');
  // Eras (see Checkpoint.seq_floor): a row belongs to the era with the highest floor below its seq,
  // and within it to the batch whose transaction range holds its xid.
  const eras: Array<{ floor: number; ranged: SignedCheckpoint[] }> = [];
  for (const c of cps) {
    if (c.xid_below === '0') continue;
    let era = eras.find((e) => e.floor === c.seq_floor);
    if (!era) eras.push((era = { floor: c.seq_floor, ranged: [] }));
    era.ranged.push(c);
  }
  eras.sort((a, b) => a.floor - b.floor);
  for (const e of eras) e.ranged.sort((a, b) => xidCmp(a.xid_from, b.xid_from));
  const maxSealedSeq = cps.reduce((m, c) => Math.max(m, c.last_seq), 0);
  const eraOf = (seq: number) => {
    for (let k = eras.length - 1; k >= 0; k--) if (seq > eras[k]!.floor) return eras[k]!;
    return undefined;
  };
  let recent: SignedCheckpoint | undefined;
  /** The checkpoint whose transaction range holds xid, in the row's era (binary search). */
  const batchOf = (xid: string, seq: number): SignedCheckpoint | undefined => {
    if (recent && seq > recent.seq_floor && xidCmp(xid, recent.xid_from) >= 0 && xidCmp(xid, recent.xid_below) < 0 && eraOf(seq)?.floor === recent.seq_floor) return recent;
    const ranged = eraOf(seq)?.ranged ?? [];
    let lo = 0;
    let hi = ranged.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const c = ranged[mid]!;
      if (xidCmp(xid, c.xid_from) < 0) hi = mid - 1;
      else if (xidCmp(xid, c.xid_below) >= 0) lo = mid + 1;
      else return (recent = c);
    }
    return undefined;
  };
  const eraTop = (seq: number) => {
    const e = eraOf(seq);
    return e ? e.ranged[e.ranged.length - 1]!.xid_below : '0';
  };
  const latestEra = eras[eras.length - 1];

  let legacyPrev = GENESIS_HASH;
  let rowsRead = 0;
  let unsealed = 0;
  const open = new Map<number, Open>();
  const done = new Set<number>();
  const close = async (o: Open) => {
    open.delete(o.cp.batch);
    done.add(o.cp.batch);
    if (o.seqs.length === o.cp.count && seqsHash(o.seqs) === o.cp.seqs_hash && merkleRoot(o.leaves) === o.cp.root) return;
    const locator = await db.selectFrom('audit_checkpoints').select(['seqs', 'leaf_prefixes']).where('batch', '=', String(o.cp.batch)).executeTakeFirst();
    add(locate(o, locator ? parseSeqRanges(locator.seqs) : [], locator ? Buffer.from(locator.leaf_prefixes) : Buffer.alloc(0)));
  };

  // Pages are seq ranges, a few asked for ahead of the one being hashed: rendering a row's content
  // is most of the database's cost, and on a server the ranges render on several connections at
  // once while this process hashes (in order). Rows written after the verify began are not read.
  const bounds = (await sql<{ lo: number | null; hi: number | null }>`SELECT min(seq) AS lo, max(seq) AS hi FROM audit_log`.execute(db)).rows[0]!;
  const lo = bounds.lo == null ? 1 : Number(bounds.lo);
  const hi = bounds.hi == null ? 0 : Number(bounds.hi);
  const pageOf = (from: number) => sql<Row>`SELECT ${COLUMNS} FROM audit_log WHERE seq >= ${from} AND seq < ${from + pageSize} ORDER BY seq`.execute(db);
  const ahead: Array<Promise<{ rows: Row[] }>> = [];
  let nextFrom = lo;
  const fill = () => {
    while (ahead.length < (opts.parallel ?? 3) && nextFrom <= hi) {
      ahead.push(pageOf(nextFrom));
      nextFrom += pageSize;
    }
  };
  fill();
  for (let from = lo; from <= hi; from += pageSize) {
    const page = (await ahead.shift()!).rows;
    fill();
    for (const r of page) {
      const seq = Number(r.seq);
      rowsRead++;
      if (r.leaf_v === 2 && r.prev_hash === null) {
        if (r.ok !== true) add({ seq, batch: null, kind: 'edited', reason: `row ${seq}: its content does not match its leaf hash (edited)` });
      } else if (r.prev_hash !== null) {
        const content = v1Content(r.c ?? '');
        // A row of the old hash chain: its link and its hash, which is also its leaf.
        if (r.prev_hash !== legacyPrev) add({ seq, batch: oldChain?.batch ?? null, kind: 'deleted', reason: `row ${seq}: its link to the previous row of the old hash chain is broken (a row before it was deleted, inserted or moved)` });
        else if (auditHash(r.prev_hash, content) !== r.hash || r.leaf !== r.hash) add({ seq, batch: oldChain?.batch ?? null, kind: 'edited', reason: `row ${seq}: its content does not match its hash (edited)` });
        legacyPrev = r.hash ?? '';
      } else if (leafHash(v1Content(r.c ?? '')) !== r.leaf) {
        add({ seq, batch: null, kind: 'edited', reason: `row ${seq}: its content does not match its leaf hash (edited)` });
      }
      const cp = r.xid === null ? (r.prev_hash !== null ? oldChain : undefined) : batchOf(r.xid, seq);
      if (!cp) {
        const era = eraOf(seq);
        if (r.xid !== null && xidCmp(r.xid, eraTop(seq)) >= 0 && era === latestEra) unsealed++;
        else if (r.xid !== null && !eras.length) unsealed++;
        else if (r.prev_hash !== null && !cps.length) unsealed++; // old rows before the first seal
        else add({ seq, batch: null, kind: 'inserted', reason: `row ${seq} has no transaction of its own that a batch could hold (inserted)` });
        continue;
      }
      if (seq > cp.last_seq || done.has(cp.batch)) {
        // Written after the batch its xid points at was sealed: new rows of a database restored into
        // another cluster (transaction ids start low again) until the sealer opens a new era; else inserted.
        if (seq > maxSealedSeq && eraOf(seq) === latestEra) unsealed++;
        else add({ seq, batch: cp.batch, kind: 'inserted', reason: `row ${seq} claims batch ${cp.batch} by its transaction id, but lies after that batch's last row (seq ${cp.last_seq}): inserted` });
        continue;
      }
      let o = open.get(cp.batch);
      if (!o) open.set(cp.batch, (o = { cp, seqs: [], leaves: [] }));
      o.seqs.push(seq);
      o.leaves.push(r.leaf);
    }
    // Batches the stream has passed cannot gain rows any more: check them now, keep memory small.
    const reached = from + pageSize - 1;
    for (const o of [...open.values()]) if (o.cp.last_seq <= reached) await close(o);
  }
  for (const o of [...open.values()]) await close(o);

  // The checkpoint chain, its signatures, and batches whose rows are all gone.
  let prev: SignedCheckpoint | null = null;
  const prevInEra = new Map<number, SignedCheckpoint>();
  for (const c of cps) {
    const expectBatch = prev ? prev.batch + 1 : 1;
    if (c.batch !== expectBatch) {
      add({ seq: prev ? prev.last_seq + 1 : 1, batch: expectBatch, kind: 'deleted', reason: `checkpoint(s) ${expectBatch}–${c.batch - 1} are missing, with the rows they sealed` });
    } else if (c.prev_hash !== (prev ? prev.hash : GENESIS_HASH)) {
      add({ seq: c.first_seq, batch: c.batch, kind: 'checkpoint', reason: `checkpoint ${c.batch} does not link to checkpoint ${prev?.batch ?? 'genesis'} (replaced or reordered)` });
    }
    if (c.xid_below !== '0') {
      const before = prevInEra.get(c.seq_floor);
      if (c.xid_from !== (before ? before.xid_below : '0')) add({ seq: c.first_seq, batch: c.batch, kind: 'checkpoint', reason: `checkpoint ${c.batch}'s transaction range does not start where the previous one ended` });
      prevInEra.set(c.seq_floor, c);
    }
    if (checkpointHash(c) !== c.hash) {
      add({ seq: c.first_seq, batch: c.batch, kind: 'checkpoint', reason: `checkpoint ${c.batch} was edited: its content does not match its hash` });
    } else if (opts.key) {
      if (c.key_id !== opts.key.keyId) add({ seq: c.first_seq, batch: c.batch, kind: 'signature', reason: `checkpoint ${c.batch} is signed by another key (${c.key_id.slice(0, 16)}…)` });
      else if (!verifyCheckpointSignature(c, opts.key.publicKey)) add({ seq: c.first_seq, batch: c.batch, kind: 'signature', reason: `checkpoint ${c.batch}: the signature does not verify (forged or altered)` });
    }
    if (!done.has(c.batch)) add({ seq: c.first_seq, batch: c.batch, kind: 'deleted', reason: `all ${c.count} rows of batch ${c.batch} (seq ${c.first_seq}–${c.last_seq}) were deleted` });
    prev = c;
  }
  const lastCp = prev;

  // The witness outside the database: its checkpoint must still be there, unchanged.
  let witness: AuditReport['witness'] = null;
  const w = opts.dataDir ? readWitness(opts.dataDir) : null;
  if (w) {
    const inDb = byBatch.get(w.batch);
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
    sealed: rowsRead - unsealed,
    batches: cps.length,
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
 * A batch that does not match its checkpoint: its seq numbers and leaf prefixes as sealed, walked
 * beside the rows found, name the first row missing, extra, moved or rewritten.
 */
function locate(o: Open, sealedSeqs: number[], prefixes: Buffer): AuditProblem {
  const { cp, seqs, leaves } = o;
  const b = cp.batch;
  const sealedPrefix = (k: number) => prefixes.toString('hex', k * 4, k * 4 + 4);
  let i = 0;
  let j = 0;
  while (i < sealedSeqs.length || j < seqs.length) {
    const want = sealedSeqs[i];
    const got = seqs[j];
    if (got === undefined || (want !== undefined && want < got)) {
      return { seq: want!, batch: b, kind: 'deleted', reason: `row ${want} of batch ${b} was deleted` };
    }
    if (want === undefined || got < want) {
      return { seq: got, batch: b, kind: 'inserted', reason: `row ${got} was inserted into batch ${b} (it was not there when the batch was sealed)` };
    }
    const p = leaves[j]!.slice(0, 8);
    if (p !== sealedPrefix(i)) {
      let elsewhere = false;
      for (let k = 0; k < sealedSeqs.length && !elsewhere; k++) elsewhere = k !== i && sealedPrefix(k) === p;
      return elsewhere
        ? { seq: got, batch: b, kind: 'reordered', reason: `row ${got} holds another row of batch ${b}: rows were moved (seq changed)` }
        : { seq: got, batch: b, kind: 'edited', reason: `row ${got} is not the row sealed at that place in batch ${b} (its content and leaf hash were rewritten)` };
    }
    i++;
    j++;
  }
  return { seq: cp.first_seq, batch: b, kind: 'checkpoint', reason: `batch ${b} (seq ${cp.first_seq}–${cp.last_seq}) does not match its signed root although every row matches the sealed locator (the checkpoint or its locator was altered)` };
}

function v1Content(c: string): AuditRowContent {
  const a = JSON.parse(c) as [string, string | null, string, string, string, string | null, string, Record<string, unknown>];
  return { at: a[0], actor_id: a[1], actor_name: a[2], action: a[3], object_type: a[4], object_id: a[5], ip: a[6], detail: a[7] };
}

/** The first problem as {seq, reason}, or null when the log is intact (the short form tests use). */
export async function verifyAuditChain(db: Db | Tx, opts: VerifyOptions = {}): Promise<{ seq: string; reason: string } | null> {
  const r = await verifyAudit(db, opts);
  return r.problem ? { seq: String(r.problem.seq), reason: r.problem.reason } : null;
}
