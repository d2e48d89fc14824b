import { sql } from 'kysely';
import type { Tx } from '../store/db.ts';
import { tokenize } from './segment.ts';

function lexeme(token: string): string {
  return `'${token.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/** A tsvector literal with positions and weights, built from our own tokens (PostgreSQL's parser does not split Thai). */
export function tsvectorLiteral(parts: Array<{ text: string; weight: 'A' | 'B' | 'C' | 'D' }>): string {
  const positions = new Map<string, string[]>();
  let pos = 1;
  for (const part of parts) {
    for (const tok of tokenize(part.text)) {
      if (tok.length > 200) continue;
      const list = positions.get(tok) ?? [];
      if (list.length < 255 && pos < 16383) list.push(`${pos}${part.weight}`);
      positions.set(tok, list);
      pos++;
    }
    pos += 10; // keep phrases from running across fields
  }
  return [...positions.entries()].map(([tok, ps]) => (ps.length ? `${lexeme(tok)}:${ps.join(',')}` : lexeme(tok))).join(' ');
}

/** Rewrites the search rows of these datasets inside the caller's transaction, so search is never stale. */
export async function indexDatasets(db: Tx, ids: string[]): Promise<void> {
  if (!ids.length) return;
  const rows = await db
    .selectFrom('datasets as d')
    .select(['d.id', 'd.title', 'd.name', 'd.notes', 'd.tags', 'd.metadata', 'd.view_count'])
    .select((eb) => [
      eb.selectFrom('resources as r').select(sql<string[]>`coalesce(array_agg(DISTINCT upper(r.format)) FILTER (WHERE r.format <> ''), '{}')`.as('f')).whereRef('r.dataset_id', '=', 'd.id').where('r.state', '=', 'active').as('formats'),
      eb.selectFrom('resources as r').select(sql<string>`coalesce(string_agg(r.name || ' ' || r.description, ' '), '')`.as('t')).whereRef('r.dataset_id', '=', 'd.id').where('r.state', '=', 'active').as('res_text'),
      eb.selectFrom('dataset_groups as dg').innerJoin('groups as g', 'g.id', 'dg.group_id').select(sql<string[]>`coalesce(array_agg(g.name), '{}')`.as('g')).whereRef('dg.dataset_id', '=', 'd.id').as('group_names'),
    ])
    .where('d.id', 'in', ids)
    .execute();
  if (!rows.length) return;
  const values = rows.map((r) => {
    const meta = r.metadata ?? {};
    const other = ['maintainer', 'data_source', 'objective', 'geo_coverage', 'data_type', 'unit_of_measure']
      .map((k) => (Array.isArray(meta[k]) ? (meta[k] as string[]).join(' ') : String(meta[k] ?? '')))
      .join(' ');
    const doc = tsvectorLiteral([
      { text: r.title, weight: 'A' },
      { text: `${r.name.replace(/[-_]/g, ' ')} ${r.name}`, weight: 'A' },
      { text: r.tags.join(' , '), weight: 'B' },
      { text: r.notes, weight: 'C' },
      { text: `${other} ${r.res_text ?? ''}`, weight: 'D' },
    ]);
    return {
      dataset_id: r.id,
      document: doc,
      title_text: r.title.toLowerCase(),
      tags_text: r.tags.join(' ').toLowerCase(),
      res_formats: r.formats ?? [],
      groups: r.group_names ?? [],
      popularity: r.view_count,
    };
  });
  await db
    .insertInto('dataset_search')
    .values(values.map((v) => ({ ...v, document: sql`${v.document}::tsvector` as unknown as string })))
    .onConflict((oc) =>
      oc.column('dataset_id').doUpdateSet((eb) => ({
        document: eb.ref('excluded.document'),
        title_text: eb.ref('excluded.title_text'),
        tags_text: eb.ref('excluded.tags_text'),
        res_formats: eb.ref('excluded.res_formats'),
        groups: eb.ref('excluded.groups'),
        popularity: eb.ref('excluded.popularity'),
      })),
    )
    .execute();
}
