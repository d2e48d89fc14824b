import type { ActionContext } from './context.ts';
import { rules } from '../standard/index.ts';
import { isOpenData } from '../access/visibility.ts';

type Entry = { id: string; data_category: string; data_classification: string; private: boolean; state: string };

/**
 * The one test of "is this read a disclosure of non-open data", called where entries are presented
 * (the package presenter, the resource loader, the DataStore table opener), never per route.
 * Metadata counts when the entry is outside the public category; files and table rows when the
 * entry is not open data (also private or draft). Anonymous callers only ever see open entries,
 * so their reads note nothing and write nothing.
 */
export function noteRead(ctx: ActionContext, ds: Entry, kind: 'metadata' | 'file' | 'data', object?: { type: string; id: string }): void {
  const disclosed = kind === 'metadata' ? ds.data_category !== rules.public_category : !isOpenData(ds);
  if (!disclosed) return;
  ctx.disclosed({ kind, object_type: object?.type ?? 'dataset', object_id: object?.id ?? ds.id, detail: object ? { dataset: ds.id } : {} });
}
