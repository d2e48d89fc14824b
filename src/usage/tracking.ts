import type { ActionContext } from '../actions/context.ts';
import { trackingSummaries } from './actions.ts';

/** Adds CKAN's `tracking_summary` to a package dict and its resources (package_show include_tracking). */
export async function withTracking<D extends Record<string, unknown>>(ctx: ActionContext, datasetId: string, dict: D): Promise<D> {
  const sums = await trackingSummaries(ctx, datasetId);
  const none = { total: 0, recent: 0 };
  const resources = Array.isArray(dict.resources) ? (dict.resources as Array<Record<string, unknown>>).map((r) => ({ ...r, tracking_summary: sums.get(String(r.id)) ?? none })) : dict.resources;
  return { ...dict, tracking_summary: sums.get('') ?? none, resources };
}
