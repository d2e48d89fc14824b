import type { ActionContext, Services } from '../actions/context.ts';
import type { Db } from '../store/db.ts';
import type { Upload } from './upload.ts';

/**
 * When a stored file may go. A file is needed while any resource row refers to it, active or
 * deleted: deleted resources stay in the dataset's history (activity snapshots point at the
 * resource, and its download link serves the resource's file) until the row is purged. A file
 * that a resource no longer refers to (replaced by a new upload, or the resource became a link) is
 * not reachable from history either — a snapshot links to the resource, never to an old file — so
 * it goes once its replacement has committed. Removal happens after commit, never inside a
 * transaction that could still roll back; the start-up sweep catches what a crash interrupted.
 */

/**
 * Uploads of this process from attach until their commit (the rename to the stored name) or discard
 * has finished. A release of such a key waits: a concurrent replace that committed just after this
 * one would otherwise remove the file before its rename, and the rename bring it back as an orphan.
 */
const settling = new Map<string, Promise<void>>();
const SETTLE_WAIT_MS = 30_000;

/** Takes an upload for a row the action writes: stored for good if the transaction commits, removed if not. */
export function attachUpload(ctx: Pick<ActionContext, 'afterCommit' | 'onRollback' | 'services'>, upload: Upload): string {
  const key = upload.claim();
  let settle!: () => void;
  settling.set(key, new Promise<void>((resolve) => (settle = resolve)));
  const done = () => {
    settling.delete(key);
    settle();
  };
  ctx.onRollback(() => ctx.services.files.discard(key).finally(done));
  ctx.afterCommit(() => ctx.services.files.commit(key).finally(done));
  return key;
}

/** Waits for this process's commits of `keys` still under way (bounded: the sweep catches what is left). */
async function settled(keys: string[]): Promise<void> {
  const pending = keys.map((k) => settling.get(k)).filter((p) => !!p);
  if (!pending.length) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(pending), new Promise<void>((r) => (timer = setTimeout(r, SETTLE_WAIT_MS).unref()))]);
  clearTimeout(timer);
}

/** Keys (of those given) that some resource row or agreement refers to. */
export async function referencedKeys(db: Db, keys: string[]): Promise<Set<string>> {
  const out = new Set<string>();
  for (let i = 0; i < keys.length; i += 500) {
    const rows = await db.selectFrom('resources').select('storage_key').where('storage_key', 'in', keys.slice(i, i + 500)).execute();
    for (const r of rows) if (r.storage_key) out.add(r.storage_key);
    // An agreement's consent letter / legal-basis document (migration 012) is a stored file too.
    const letters = await db.selectFrom('agreements').select('legal_file_key').where('legal_file_key', 'in', keys.slice(i, i + 500)).execute();
    for (const r of letters) if (r.legal_file_key) out.add(r.legal_file_key);
  }
  return out;
}

/** After commit, removes the files of `keys` that no row refers to any more. */
export function releaseFiles(ctx: Pick<ActionContext, 'afterCommit' | 'services'>, keys: Array<string | null | undefined>): void {
  const list = [...new Set(keys.filter((k): k is string => !!k))];
  if (!list.length) return;
  ctx.afterCommit(async () => {
    try {
      await settled(list);
      const used = await referencedKeys(ctx.services.store.db, list);
      for (const k of list) if (!used.has(k)) await ctx.services.files.remove(k);
    } catch {
      /* the sweep removes unreferenced files later */
    }
  });
}

export interface SweepOptions {
  /** Stored files nothing refers to are removed once older than this (a restore or another process may still be writing rows). */
  orphanGraceMs?: number;
  /** Temporary files of a live writer older than this are abandoned uploads. */
  tempGraceMs?: number;
  now?: number;
}

export interface SweepResult {
  promoted: number;
  removedTemp: number;
  removedOrphans: number;
  /** Orphans left in place because too many looked orphaned. */
  keptSuspicious: number;
}

const BOOT = Date.now() - process.uptime() * 1000;

function alive(pid: number): boolean {
  if (!pid) return false;
  // Our own pid on a file older than this process is a dead process's pid reused.
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Makes the store agree with the database: a temporary file of a dead writer is promoted if a
 * committed row refers to it (the crash came between commit and rename) and removed otherwise; a
 * stored file no row refers to (an interrupted release, a purged row) is removed after a grace period.
 */
export async function sweepFiles(services: Services, opts: SweepOptions = {}): Promise<SweepResult> {
  const now = opts.now ?? Date.now();
  const orphanGrace = opts.orphanGraceMs ?? 60 * 60 * 1000;
  const tempGrace = opts.tempGraceMs ?? 24 * 60 * 60 * 1000;
  const entries = [];
  for await (const e of services.files.list()) entries.push(e);
  const used = await referencedKeys(services.store.db, [...new Set(entries.map((e) => e.key))]);
  const result: SweepResult = { promoted: 0, removedTemp: 0, removedOrphans: 0, keptSuspicious: 0 };
  // A safety valve against a wrong database (a fresh DATABASE_URL over an old data directory):
  // when most stored files look orphaned, nothing is removed and an operator is told.
  const stored = entries.filter((e) => !e.temp);
  const orphans = stored.filter((e) => !used.has(e.key) && now - e.mtimeMs > orphanGrace);
  const suspicious = orphans.length > 10 && orphans.length > stored.length / 2;
  if (suspicious) process.emitWarning(`file sweep: ${orphans.length} of ${stored.length} stored files have no resource row; not removing them (is this the right database?)`);
  if (suspicious) result.keptSuspicious = orphans.length;
  for (const e of entries) {
    if (e.temp) {
      const ownStale = e.thisHost && e.pid === process.pid && e.mtimeMs < BOOT;
      // Another machine's writer (app servers sharing one file directory) cannot be asked: its file waits out the grace.
      const dead = ownStale || (e.thisHost && !alive(e.pid)) || now - e.mtimeMs > tempGrace;
      if (used.has(e.key)) {
        await services.files.commit(e.key);
        result.promoted++;
      } else if (dead) {
        await services.files.discard(e.key);
        result.removedTemp++;
      }
    } else if (!suspicious && !used.has(e.key) && now - e.mtimeMs > orphanGrace) {
      await services.files.remove(e.key);
      result.removedOrphans++;
    }
  }
  return result;
}
