import { sql, type Kysely } from 'kysely';

/**
 * Search vocabulary and synonyms (issue 12).
 * - `search_vocab`: every word the index holds, once, with its one-deletion keys (see
 *   src/search/typo.ts): typo candidates by a GIN lookup on the keys, parts of compound words
 *   by a trigram lookup on the word. Written in the same transaction as the search rows; a word
 *   whose datasets are gone stays until a rebuild and costs only a candidate that matches nothing.
 * - `search_synonyms`: equivalent terms sysadmins add (beside the built-in src/search/synonyms.json),
 *   `keys` holding each term as typed queries are compared (lower case, without dots and spaces).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE TABLE search_vocab (lexeme text PRIMARY KEY, keys text[] NOT NULL)`.execute(db);
  await sql`CREATE INDEX search_vocab_keys ON search_vocab USING gin(keys)`.execute(db);
  await sql`CREATE INDEX search_vocab_trgm ON search_vocab USING gin(lexeme gin_trgm_ops)`.execute(db);
  await sql`
    CREATE TABLE search_synonyms (
      id uuid PRIMARY KEY,
      terms text[] NOT NULL,
      keys text[] NOT NULL,
      created timestamptz NOT NULL DEFAULT now(),
      created_by uuid REFERENCES users(id)
    )`.execute(db);
  await sql`CREATE INDEX search_synonyms_keys ON search_synonyms USING gin(keys)`.execute(db);
  // A catalog indexed before this migration gets its vocabulary from the index itself, in the background.
  await sql`
    INSERT INTO jobs (queue, payload, state, attempts, max_attempts, run_at, created)
    SELECT 'search_index', '{"vocab": true}'::jsonb, 'queued', 0, 5, now(), now()
    WHERE EXISTS (SELECT 1 FROM dataset_search)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE IF EXISTS search_synonyms`.execute(db);
  await sql`DROP TABLE IF EXISTS search_vocab`.execute(db);
}
