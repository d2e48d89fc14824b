import { sql } from 'kysely';
import type { ActionContext } from '../actions/context.ts';
import type { ErrorBag } from '../actions/errors.ts';
import { visibleDatasets } from '../access/visibility.ts';
import { M } from '../standard/messages.ts';
import type { ImportCandidate } from './action.ts';

const titleKey = (orgId: string, title: string) => `${orgId}\u0000${title}`;

/**
 * The database rules of prepareDataset (slug and id unique across the catalog, title unique among
 * the live datasets of the owning organisation) for a whole batch: three queries, then records are
 * checked in order against the store and against the records of the batch accepted before them.
 * As in prepareDataset, a clash with an entry the caller may not see gets a neutral message and is
 * counted (`hidden`), so the action can ration such answers.
 */
export async function findClashes(ctx: ActionContext, candidates: ImportCandidate[]) {
  const db = ctx.db;
  const visible = visibleDatasets(ctx.actor, 'd', { includeDrafts: true, includeDeleted: true });
  const names = [...new Set(candidates.map((c) => c.v.name).filter((x): x is string => !!x))];
  const titles = [...new Set(candidates.map((c) => c.v.title).filter((x): x is string => !!x))];
  const orgs = [...new Set(candidates.map((c) => c.orgId).filter((x) => !!x))];
  const ids = [...new Set(candidates.map((c) => c.v.id).filter((x): x is string => !!x))];
  const [nameRows, titleRows, idRows] = await Promise.all([
    names.length ? db.selectFrom('datasets as d').select(['d.name', 'd.state', sql<boolean>`${visible}`.as('visible')]).where('d.name', 'in', names).execute() : [],
    // lower(title) uses the datasets_title_lower index; the exact comparison is made below.
    titles.length && orgs.length
      ? db
          .selectFrom('datasets as d')
          .select(['d.title', 'd.owner_org', sql<boolean>`${visible}`.as('visible')])
          .where((eb) => eb(eb.fn('lower', ['d.title']), 'in', [...new Set(titles.map((t) => t.toLowerCase()))]))
          .where('d.owner_org', 'in', orgs)
          .where('d.state', '<>', 'deleted')
          .where('d.type', '=', 'dataset')
          .execute()
      : [],
    ids.length ? db.selectFrom('datasets as d').select(['d.id', sql<boolean>`${visible}`.as('visible')]).where('d.id', 'in', ids).execute() : [],
  ]);
  const takenNames = new Map(nameRows.map((r) => [r.name, { state: r.state, visible: r.visible }]));
  const takenTitles = new Map(titleRows.map((r) => [titleKey(r.owner_org ?? '', r.title), r.visible]));
  const takenIds = new Map(idRows.map((r) => [r.id, r.visible]));
  return {
    /** Adds clash errors to the bag; returns how many were with entries the caller may not see. */
    check(c: ImportCandidate, bag: ErrorBag): number {
      const { name, title, id } = c.v;
      let hidden = 0;
      const n = name ? takenNames.get(name) : undefined;
      if (n) {
        if (n.visible) bag.add('name', n.state === 'deleted' ? M.slugInTrash() : M.slugInUse());
        else {
          bag.add('name', M.slugUnavailable());
          hidden++;
        }
      }
      const t = title ? takenTitles.get(titleKey(c.orgId, title)) : undefined;
      if (t !== undefined) bag.add('title', t ? M.titleInUse() : M.titleUnavailable());
      const i = id ? takenIds.get(id) : undefined;
      if (i !== undefined) {
        if (i) bag.add('id', M.idInUse());
        else {
          bag.add('id', M.idUnavailable());
          hidden++;
        }
      }
      return hidden;
    },
    /** An accepted record takes its slug, title and id for the rest of the batch. */
    reserve(c: ImportCandidate): void {
      if (c.v.name) takenNames.set(c.v.name, { state: 'active', visible: true });
      if (c.v.title) takenTitles.set(titleKey(c.orgId, c.v.title), true);
      if (c.v.id) takenIds.set(c.v.id, true);
    },
  };
}
