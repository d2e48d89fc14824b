import { sql } from 'kysely';
import { defineAction } from '../actions/registry.ts';
import { ValidationError } from '../actions/errors.ts';
import { naturalNumber, readPaging, stringParam } from '../actions/params.ts';
import { visibleDatasets } from '../access/visibility.ts';
import { M } from '../standard/messages.ts';
import { normalizeText, spacedWords, words } from './segment.ts';

const LIMIT_DEFAULT = 10;
const LIMIT_MAX = 100;
const MAX_QUERY = 200;
const CANDIDATES = 1000;

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
    const { limit, offset } = readPaging(input, LIMIT_DEFAULT, LIMIT_MAX);
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
    if (!ws.length) return [];
    // The text being typed, as the start of a title (or name) word: whole (แรงง → แรงงาน), or
    // its last word cut short after whole ones (นักท่อง|เที่ → นักท่องเที่ยว). A last piece of one
    // letter would match half the index, so it only counts as part of the whole.
    const forms = [`${lexeme(ws.join(''))}:*A`];
    if (ws.length > 1 && graphemes(ws[ws.length - 1]!) > 1) forms.push([...ws.slice(0, -1).map((w) => `${lexeme(w)}:A`), `${lexeme(ws[ws.length - 1]!)}:*A`].join(' <-> '));
    const conds = [sql`s.document @@ ${forms.map((f) => `(${f})`).join(' | ')}::tsquery`];
    const spaced = spacedWords(q);
    if (spaced.length >= 3) conds.push(sql`s.title_text LIKE ${'%' + escapeLike(spaced) + '%'}`);
    // Suggestions are a hint: a bounded set of visible candidates is ranked on the search row
    // (titles starting with the text first, shorter titles first); only those shown are read.
    const r = await sql<{ name: string; title: string }>`
      SELECT d.name, d.title FROM (
        SELECT c.dataset_id, c.title_text LIKE ${escapeLike(spaced) + '%'} AS starts, length(c.title_text) AS len FROM (
          SELECT s.dataset_id, s.title_text FROM dataset_search s JOIN datasets d ON d.id = s.dataset_id
          WHERE ${visibleDatasets(ctx.actor, 'd')} AND (${sql.join(conds, sql` OR `)})
          LIMIT ${CANDIDATES}
        ) c ORDER BY starts DESC, len, c.dataset_id LIMIT ${limit}
      ) c JOIN datasets d ON d.id = c.dataset_id
      ORDER BY c.starts DESC, c.len, d.name`.execute(ctx.db);
    return r.rows.map((p) => {
      const byName = p.name.includes(q);
      return { name: p.name, title: p.title, match_field: byName ? 'name' : 'title', match_displayed: byName ? p.name : `${p.title} (${p.name})` };
    });
  },
});

const graphemeSegmenter = new Intl.Segmenter('th', { granularity: 'grapheme' });

function graphemes(text: string): number {
  return [...graphemeSegmenter.segment(text)].length;
}

function lexeme(word: string): string {
  return `'${word.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}
