import { sql } from 'kysely';
import type { Db } from '../store/db.ts';

/**
 * Counts dataset page views for "most viewed". Views are summed in memory and written in one
 * statement every few seconds, so reading a page never waits for a write (on PGlite a write holds
 * the only connection). A crash loses at most one interval of counts: popularity, not records.
 */
export class ViewCounter {
  private pending = new Map<string, number>();
  private readonly db: Db;

  constructor(db: Db) {
    this.db = db;
  }

  record(datasetId: string): void {
    this.pending.set(datasetId, (this.pending.get(datasetId) ?? 0) + 1);
  }

  async flush(): Promise<void> {
    if (!this.pending.size) return;
    const entries = [...this.pending];
    this.pending = new Map();
    await sql`
      UPDATE datasets d SET view_count = d.view_count + v.n
      FROM (SELECT unnest(${entries.map((e) => e[0])}::uuid[]) AS id, unnest(${entries.map((e) => e[1])}::int[]) AS n) v
      WHERE d.id = v.id`.execute(this.db);
  }
}
