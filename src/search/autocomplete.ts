import { sql } from 'kysely';
import { defineAction } from '../actions/registry.ts';
import { ValidationError } from '../actions/errors.ts';
import { naturalNumber, stringParam } from '../actions/params.ts';
import { visibleDatasets } from '../access/visibility.ts';
import { M } from '../standard/messages.ts';
import { normalizeText, spacedWords, words } from './segment.ts';

const LIMIT_DEFAULT = 10;
const LIMIT_MAX = 100;
const MAX_QUERY = 200;

function escapeLike(v: string): string {
  return v.replace(/[\\%_]/g, (c) => '\\' + c);
}

function queryText(input: Record<string, unknown>, ...keys: string[]): string {
  for (const k of keys) {
    const v = stringParam(input, k);
    if (v !== undefined) return normalizeText(v).trim().slice(0, MAX_QUERY);
  }
  return '';
}

/**
 * CKAN's tag_autocomplete: names of tags that contain the text, tags starting with it first.
 * A tag is offered only while some dataset the caller may see carries it.
 */
export const tagAutocomplete = defineAction({
  name: 'tag_autocomplete',
  readOnly: true,
  summary: 'Tag names containing query (Thai prefixes first), from datasets the caller may see.',
  params: { query: { type: 'string', description: 'text typed so far' }, limit: { type: 'integer', description: 'default 10, at most 100' } },
  async run(ctx, input) {
    ctx.authorize('tag_autocomplete');
    const q = queryText(input, 'query', 'q');
    const limit = Math.min(naturalNumber(input, 'limit') ?? LIMIT_DEFAULT, LIMIT_MAX);
    const offset = naturalNumber(input, 'offset') ?? 0;
    if (!q || !limit) return [];
    // Candidates come from the vocabulary (small); each is checked against visible datasets by
    // the tag GIN index, so a private dataset's tag is never suggested to an outsider.
    const r = await sql<{ tag: string }>`
      SELECT t.tag FROM search_tags t
      WHERE t.tag ILIKE ${'%' + escapeLike(q) + '%'}
        AND EXISTS (SELECT 1 FROM datasets d WHERE d.tags @> ARRAY[t.tag] AND ${visibleDatasets(ctx.actor, 'd')})
      ORDER BY t.tag ILIKE ${escapeLike(q) + '%'} DESC, length(t.tag), t.tag
      LIMIT ${limit} OFFSET ${offset}`.execute(ctx.db);
    return r.rows.map((x) => x.tag);
  },
});

/**
 * CKAN's package_autocomplete: datasets whose name or title matches what was typed, including a
 * Thai word that is still being typed (prefix of a title word).
 */
export const packageAutocomplete = defineAction({
  name: 'package_autocomplete',
  readOnly: true,
  summary: 'Datasets whose title or name matches q (Thai word prefixes work): [{name, title, match_field, match_displayed}].',
  params: { q: { type: 'string', description: 'text typed so far', required: true }, limit: { type: 'integer', description: 'default 10, at most 100' } },
  async run(ctx, input) {
    ctx.authorize('package_autocomplete');
    const raw = stringParam(input, 'q') ?? stringParam(input, 'incomplete');
    if (raw === undefined || !raw.trim()) throw ValidationError.field('q', M.missing());
    const q = normalizeText(raw).trim().slice(0, MAX_QUERY);
    const limit = Math.min(naturalNumber(input, 'limit') ?? LIMIT_DEFAULT, LIMIT_MAX);
    if (!limit) return [];
    const ws = words(q);
    const conds = [sql`d.name LIKE ${escapeLike(q) + '%'}`];
    if (ws.length) {
      const prefix = [...ws.slice(0, -1).map((w) => `${lexeme(w)}:A`), `${lexeme(ws[ws.length - 1]!)}:*A`].join(' & ');
      conds.push(sql`s.document @@ ${prefix}::tsquery`);
      const spaced = spacedWords(q);
      if (spaced.length >= 3) conds.push(sql`s.title_text LIKE ${'%' + escapeLike(spaced) + '%'}`);
    }
    const r = await sql<{ name: string; title: string }>`
      SELECT d.name, d.title FROM dataset_search s JOIN datasets d ON d.id = s.dataset_id
      WHERE ${visibleDatasets(ctx.actor, 'd')} AND (${sql.join(conds, sql` OR `)})
      ORDER BY lower(d.title) LIKE ${escapeLike(q) + '%'} DESC, d.name LIKE ${escapeLike(q) + '%'} DESC, length(d.title), d.name
      LIMIT ${limit}`.execute(ctx.db);
    return r.rows.map((p) => {
      const byName = p.name.includes(q);
      return { name: p.name, title: p.title, match_field: byName ? 'name' : 'title', match_displayed: byName ? p.name : `${p.title} (${p.name})` };
    });
  },
});

function lexeme(word: string): string {
  return `'${word.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}
