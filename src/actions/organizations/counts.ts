import { sql } from 'kysely';
import type { ActionContext } from '../context.ts';
import { visibleDatasets } from '../../access/visibility.ts';

/** Dataset counts per group, counted with the caller's visibility so private entries change no number. */
export async function packageCounts(ctx: ActionContext, kind: 'organization' | 'group', ids: string[], includeChildren = false): Promise<Map<string, number>> {
  if (!ids.length) return new Map();
  if (kind === 'organization' && includeChildren) return rolledUpCounts(ctx, ids);
  const q =
    kind === 'organization'
      ? ctx.db.selectFrom('datasets as d').select(['d.owner_org as gid', (eb) => eb.fn.countAll<number>().as('n')]).where('d.owner_org', 'in', ids).groupBy('d.owner_org')
      : ctx.db.selectFrom('datasets as d').innerJoin('dataset_groups as dg', 'dg.dataset_id', 'd.id').select(['dg.group_id as gid', (eb) => eb.fn.countAll<number>().as('n')]).where('dg.group_id', 'in', ids).groupBy('dg.group_id');
  const rows = await q.where(visibleDatasets(ctx.actor, 'd')).execute();
  return new Map(rows.map((r) => [r.gid as string, Number(r.n)]));
}

/**
 * Counts that include every organisation below (a ministry holds its departments' datasets), as
 * package_search with include_children counts them; each dataset still by the caller's visibility.
 */
async function rolledUpCounts(ctx: ActionContext, ids: string[]): Promise<Map<string, number>> {
  const tree = await sql<{ id: string; parent_id: string | null }>`
    WITH RECURSIVE t(id, parent_id) AS (
      SELECT id, parent_id FROM groups WHERE id = ANY(${ids}::uuid[])
      UNION SELECT g.id, g.parent_id FROM groups g JOIN t ON g.parent_id = t.id WHERE g.is_organization)
    SELECT id, parent_id FROM t`.execute(ctx.db);
  const own = await packageCounts(ctx, 'organization', [...new Set(tree.rows.map((r) => r.id))]);
  const children = new Map<string, string[]>();
  for (const r of tree.rows) if (r.parent_id) children.set(r.parent_id, [...(children.get(r.parent_id) ?? []), r.id]);
  const out = new Map<string, number>();
  for (const id of ids) {
    let n = 0;
    const seen = new Set<string>();
    for (const stack = [id]; stack.length; ) {
      const g = stack.pop()!;
      if (seen.has(g)) continue;
      seen.add(g);
      n += own.get(g) ?? 0;
      stack.push(...(children.get(g) ?? []));
    }
    out.set(id, n);
  }
  return out;
}
