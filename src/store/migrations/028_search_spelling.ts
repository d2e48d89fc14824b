import { sql, type Kysely } from 'kysely';

/**
 * Search words are spelled one way since this version (src/search/segment.ts `normalizeText`: Thai
 * digits as Arabic, ํ+า as ำ, doubled marks once, ฯ dropped; digits glued to Thai words split off).
 * Rows indexed before hold the old spellings, which queries no longer produce: a catalog that has
 * search rows rebuilds them and its vocabulary in the background (the `search_index` job).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    INSERT INTO jobs (queue, payload, state, attempts, max_attempts, run_at, created)
    SELECT 'search_index', '{"all": true, "vocab": true}'::jsonb, 'queued', 0, 5, now(), now()
    WHERE EXISTS (SELECT 1 FROM dataset_search)`.execute(db);
}

export async function down(): Promise<void> {}
