import { parentPort } from 'node:worker_threads';
import { auditHash, leafHash } from './audit.ts';

/**
 * Hashes pages of audit rows for verifyAudit on another core: each message is one page as JSON
 * text ([seq, leaf, xid, prev_hash, hash, at, actor_id, actor_name, action, object_type, object_id,
 * ip, detail] per row); the answer lists the seq numbers whose content does not match.
 */
type Row = [number, string, string | null, string | null, string | null, string, string | null, string, string, string, string | null, string, Record<string, unknown>];

/** The seqs of rows whose content does not match their leaf (or, for old-chain rows, their hash). */
export function editedRows(page: Row[]): number[] {
  const bad: number[] = [];
  for (const a of page) {
    const content = { at: a[5], actor_id: a[6], actor_name: a[7], action: a[8], object_type: a[9], object_id: a[10], ip: a[11], detail: a[12] };
    if (a[3] !== null ? auditHash(a[3], content) !== a[4] || a[1] !== a[4] : leafHash(content) !== a[1]) bad.push(a[0]);
  }
  return bad;
}

parentPort?.on('message', (m: { id: number; text: string }) => {
  parentPort!.postMessage({ id: m.id, bad: editedRows(JSON.parse(m.text) as Row[]) });
});
