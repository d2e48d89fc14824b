import { sql } from 'kysely';
import type { Db } from '../store/db.ts';
import { bangkokDay } from '../usage/time.ts';

interface Usage {
  views: number;
  downloads: number;
}

/**
 * Counts dataset page views for "most viewed", and views and downloads per dataset and resource per
 * Asia/Bangkok day for the usage statistics (src/usage/). Counts are summed in memory and written in
 * one statement per table every few seconds, so reading a page never waits for a write (on PGlite a
 * write holds the only connection). The writes add to the stored rows (ON CONFLICT … + excluded), so
 * several processes over one PostgreSQL never overwrite each other. A crash loses at most one
 * interval of counts: popularity, not records.
 */
export class ViewCounter {
  private pending = new Map<string, number>();
  private usage = new Map<string, Usage>();
  private readonly db: Db;

  constructor(db: Db) {
    this.db = db;
  }

  /** A view of the dataset page. */
  record(datasetId: string, now = new Date()): void {
    this.pending.set(datasetId, (this.pending.get(datasetId) ?? 0) + 1);
    this.add(datasetId, '', 'views', now);
  }

  /** A view of a resource page or a download of its file (uploads and followed links alike). */
  recordResource(datasetId: string, resourceId: string, kind: 'view' | 'download', now = new Date()): void {
    this.add(datasetId, resourceId, kind === 'view' ? 'views' : 'downloads', now);
    // The dataset's own row carries its downloads too, so a dataset's figures are one row per day.
    if (kind === 'download') this.add(datasetId, '', 'downloads', now);
  }

  private add(datasetId: string, resourceId: string, field: keyof Usage, now: Date): void {
    const key = `${datasetId}|${resourceId}|${bangkokDay(now)}`;
    const u = this.usage.get(key) ?? { views: 0, downloads: 0 };
    u[field]++;
    this.usage.set(key, u);
  }

  async flush(): Promise<void> {
    if (this.pending.size) {
      const entries = [...this.pending];
      this.pending = new Map();
      await sql`
        UPDATE datasets d SET view_count = d.view_count + v.n
        FROM (SELECT unnest(${entries.map((e) => e[0])}::uuid[]) AS id, unnest(${entries.map((e) => e[1])}::int[]) AS n) v
        WHERE d.id = v.id`.execute(this.db);
    }
    if (this.usage.size) {
      const rows = [...this.usage].map(([k, u]) => [...k.split('|'), u] as [string, string, string, Usage]);
      this.usage = new Map();
      // The join drops counts of datasets deleted meanwhile (the foreign key would refuse the batch).
      await sql`
        INSERT INTO usage_daily (dataset_id, resource_id, day, views, downloads)
        SELECT v.dataset_id, v.resource_id, v.day, v.views, v.downloads
        FROM (SELECT unnest(${rows.map((r) => r[0])}::uuid[]) AS dataset_id, unnest(${rows.map((r) => r[1])}::text[]) AS resource_id,
                     unnest(${rows.map((r) => r[2])}::date[]) AS day, unnest(${rows.map((r) => r[3].views)}::int[]) AS views,
                     unnest(${rows.map((r) => r[3].downloads)}::int[]) AS downloads) v
        JOIN datasets d ON d.id = v.dataset_id
        ON CONFLICT (dataset_id, resource_id, day) DO UPDATE
          SET views = usage_daily.views + excluded.views, downloads = usage_daily.downloads + excluded.downloads`.execute(this.db);
    }
  }
}
