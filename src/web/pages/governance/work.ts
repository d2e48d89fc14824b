import { call, type PageCtx } from '../../context.ts';
import type { WorkItem } from '../dashboard.ts';

interface CaseRow {
  id: string;
  number: string | null;
  title?: string;
  process_label: string;
  state_label: string;
  modified: string;
}

/**
 * The dashboard's "waiting for me": governance cases where the signed-in user may take a step now
 * (case_list waiting_for_me, so the workflow's roles and separation of duties decide).
 */
export async function governanceWork(p: PageCtx): Promise<WorkItem[]> {
  if (p.actor.kind !== 'user') return [];
  const r = await call<{ results: CaseRow[] }>(p, 'case_list', { waiting_for_me: true, limit: 20 });
  return r.results.map((c) => ({
    title: [c.number, c.title].filter(Boolean).join(' ') || c.process_label,
    href: `/governance/cases/${c.id}`,
    kind: `${c.process_label} · ${c.state_label}`,
    since: c.modified ? `${c.modified}Z` : null,
  }));
}
