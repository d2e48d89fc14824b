import { harvestFetch, HarvestHttpError } from './http.ts';
import type { HarvestSourceRow } from './schema.ts';

/** One remote record as gathered: its guid (remote id, else name) and its content as the source sent it. */
export interface GatheredItem {
  guid: string;
  content: string;
}

export interface GatherPage {
  items: GatheredItem[];
  /** Where the next page starts; null when this was the last. */
  next: number | null;
  count: number;
}

export interface SourceAccess {
  source: HarvestSourceRow;
  token: string | null;
  timeoutMs: number;
  /** Asked before every request and redirect: a reason to refuse the address (private ones, unless allowed). */
  checkHost?: (url: URL) => Promise<string | null>;
}

export const PAGE_ROWS = 1000;

function apiUrl(base: string, action: string): string {
  return `${base.replace(/\/+$/, '').replace(/\/api(\/3)?(\/action)?$/, '')}/api/3/action/${action}`;
}

export async function callAction(a: SourceAccess, action: string, params: Record<string, string>): Promise<unknown> {
  const qs = new URLSearchParams(params).toString();
  const res = await harvestFetch(`${apiUrl(a.source.url, action)}${qs ? `?${qs}` : ''}`, {
    timeoutMs: a.timeoutMs,
    headers: a.token ? { authorization: a.token } : {},
    credentialOrigin: new URL(a.source.url).origin,
    checkHost: a.checkHost,
  });
  let body: { success?: boolean; result?: unknown; error?: unknown };
  try {
    body = JSON.parse(res.text);
  } catch {
    throw new HarvestHttpError(`${action}: the source did not answer JSON (HTTP ${res.status})`, res.status);
  }
  if (res.status !== 200 || body.success !== true) throw new HarvestHttpError(`${action}: HTTP ${res.status} ${JSON.stringify(body.error ?? '').slice(0, 300)}`, res.status);
  return body.result;
}

/** CKAN's own query for "changed since": Solr range on metadata_modified (UTC, Z). */
export function sinceQuery(since: Date): string {
  return `metadata_modified:[${since.toISOString().replace(/\.\d+Z$/, 'Z')} TO *]`;
}

/**
 * One page of package_search, sorted by name so pages stay stable while the source is read; each
 * result is kept as the source sent it (a record that is not an object stays as its text, and
 * fails alone at import).
 */
export async function gatherCkanPage(a: SourceAccess, start: number, since: Date | null, rows = PAGE_ROWS): Promise<GatherPage> {
  const params: Record<string, string> = { q: '*:*', rows: String(rows), start: String(start), sort: 'name asc' };
  if (since) params.fq = sinceQuery(since);
  const result = (await callAction(a, 'package_search', params)) as { count?: unknown; results?: unknown };
  const results = Array.isArray(result?.results) ? result.results : [];
  const count = typeof result?.count === 'number' ? result.count : results.length;
  const items: GatheredItem[] = results.map((r, i) => {
    if (typeof r === 'string') return { guid: `invalid:${start + i}`, content: r };
    const d = (r ?? {}) as Record<string, unknown>;
    const guid = typeof d.id === 'string' && d.id ? d.id : typeof d.name === 'string' ? d.name : `invalid:${start + i}`;
    return { guid, content: JSON.stringify(r) };
  });
  const next = results.length > 0 && start + results.length < count ? start + results.length : null;
  return { items, next, count };
}

/** Every name the source lists now (package_list): what is gone from it has been withdrawn there. */
export async function ckanNameList(a: SourceAccess): Promise<Set<string>> {
  const result = await callAction(a, 'package_list', {});
  if (!Array.isArray(result)) throw new HarvestHttpError('package_list: not a list');
  return new Set(result.filter((x): x is string => typeof x === 'string'));
}
