import type { Tx } from '../store/db.ts';
import type { ErrorBag } from '../actions/errors.ts';
import { M } from '../standard/messages.ts';
import type { ImportCandidate } from './action.ts';

/**
 * The database rules of prepareDataset (unique slug, title among live datasets, free id) for a
 * whole batch: three queries, then records are checked in order against the store and against
 * the records of the batch accepted before them.
 */
export async function findClashes(db: Tx, candidates: ImportCandidate[]) {
  const names = [...new Set(candidates.map((c) => c.v.name).filter((x): x is string => !!x))];
  const titles = [...new Set(candidates.map((c) => c.v.title).filter((x): x is string => !!x))];
  const ids = [...new Set(candidates.map((c) => c.v.id).filter((x): x is string => !!x))];
  const [nameRows, titleRows, idRows] = await Promise.all([
    names.length ? db.selectFrom('datasets').select(['name', 'state']).where('name', 'in', names).execute() : [],
    // lower(title) uses the datasets_title_lower index; the exact comparison is made below.
    titles.length
      ? db
          .selectFrom('datasets')
          .select('title')
          .where((eb) => eb(eb.fn('lower', ['title']), 'in', [...new Set(titles.map((t) => t.toLowerCase()))]))
          .where('state', '<>', 'deleted')
          .where('type', '=', 'dataset')
          .execute()
      : [],
    ids.length ? db.selectFrom('datasets').select('id').where('id', 'in', ids).execute() : [],
  ]);
  const takenNames = new Map(nameRows.map((r) => [r.name, r.state]));
  const takenTitles = new Set(titleRows.map((r) => r.title));
  const takenIds = new Set(idRows.map((r) => r.id));
  return {
    check(c: ImportCandidate, bag: ErrorBag): void {
      const { name, title, id } = c.v;
      if (name && takenNames.has(name)) bag.add('name', takenNames.get(name) === 'deleted' ? M.slugInTrash() : M.slugInUse());
      if (title && takenTitles.has(title)) bag.add('title', M.titleInUse());
      if (id && takenIds.has(id)) bag.add('id', M.idInUse());
    },
    /** An accepted record takes its slug, title and id for the rest of the batch. */
    reserve(c: ImportCandidate): void {
      if (c.v.name) takenNames.set(c.v.name, 'active');
      if (c.v.title) takenTitles.add(c.v.title);
      if (c.v.id) takenIds.add(c.v.id);
    },
  };
}
