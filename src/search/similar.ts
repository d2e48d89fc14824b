import { sql } from 'kysely';
import { defineAction } from '../actions/registry.ts';
import { naturalNumber } from '../actions/params.ts';
import { visibleDatasets } from '../access/visibility.ts';
import { requireDataset } from '../actions/datasets/load.ts';
import { packageDicts } from '../actions/datasets/present.ts';
import { rowsInOrder } from './package-search.ts';
import { words } from './segment.ts';

const ROWS_DEFAULT = 5;
const ROWS_MAX = 20;
/** Title words used to find neighbours; the longest are the most telling (and the rarest). */
const TITLE_WORDS = 8;
/** Candidates ranked per request: similar datasets are a hint, so a bounded look is enough. */
const CANDIDATES = 300;

function lexeme(word: string): string {
  return `'${word.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/**
 * "Similar datasets" for a dataset page: visible datasets sharing tags and title words with this
 * one, ranked by shared tags, then title-word overlap, then the same organisation.
 */
export const packageSimilar = defineAction({
  name: 'package_similar',
  readOnly: true,
  // A hot page read: no BEGIN/COMMIT round trips (registry.ts); a disclosure row is its one write.
  transaction: 'statement',
  summary: 'Datasets similar to id (shared tags and title words), only those the caller may see; rows default 5, at most 20.',
  params: { id: { type: 'string', description: 'dataset id or name', required: true }, rows: { type: 'integer', description: 'default 5, at most 20' } },
  async run(ctx, input) {
    const { row } = await requireDataset(ctx, input, 'package_similar');
    const rows = Math.min(naturalNumber(input, 'rows') ?? ROWS_DEFAULT, ROWS_MAX);
    if (!rows) return [];
    const titleWords = [...new Set(words(row.title))]
      .filter((w) => w.length >= 2 && !/^\d+$/.test(w))
      .sort((a, b) => b.length - a.length || (a < b ? -1 : 1))
      .slice(0, TITLE_WORDS);
    if (!titleWords.length && !row.tags.length) return [];
    const titleQuery = titleWords.length ? titleWords.map((w) => `${lexeme(w)}:A`).join(' | ') : null;
    // Both on the search row, so the two GIN indexes combine (a bitmap OR) before any join.
    const match = [
      ...(row.tags.length ? [sql`s.tags && ${row.tags}::text[]`] : []),
      ...(titleQuery ? [sql`s.document @@ ${titleQuery}::tsquery`] : []),
    ];
    const r = await sql<{ id: string }>`
      SELECT c.id FROM (
        SELECT d.id, s.tags, d.owner_org, d.metadata_modified, s.document FROM dataset_search s JOIN datasets d ON d.id = s.dataset_id
        WHERE ${visibleDatasets(ctx.actor, 'd')} AND d.id <> ${row.id} AND (${sql.join(match, sql` OR `)})
        LIMIT ${CANDIDATES}
      ) c
      ORDER BY
        cardinality(ARRAY(SELECT unnest(c.tags) INTERSECT SELECT unnest(${row.tags}::text[]))) DESC,
        ${titleQuery ? sql`ts_rank('{0,0,0,1}', c.document, ${titleQuery}::tsquery)` : sql`0`} DESC,
        (c.owner_org IS NOT DISTINCT FROM ${row.owner_org}::uuid) DESC,
        c.metadata_modified DESC, c.id
      LIMIT ${rows}`.execute(ctx.db);
    return packageDicts(ctx, await rowsInOrder(ctx, r.rows.map((x) => x.id)));
  },
});
