import crypto from 'node:crypto';
import { harvestFetch, HarvestHttpError } from './http.ts';
import type { HarvestSourceRow } from './schema.ts';
import type { HostJudge } from '../util/outbound.ts';

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
  /** Judges the addresses of every request and redirect (private ones refused, unless allowed). */
  judge?: HostJudge;
}

export const PAGE_ROWS = 1000;

/** SHA-256 of a record's text: its stored hash, and the name of a record that has no id or name. */
export function contentHash(content: string): string {
  return crypto.createHash('sha256').update(content).digest('hex');
}

function apiUrl(base: string, action: string): string {
  return `${base.replace(/\/+$/, '').replace(/\/api(\/3)?(\/action)?$/, '')}/api/3/action/${action}`;
}

export async function callAction(a: SourceAccess, action: string, params: Record<string, string>): Promise<unknown> {
  const qs = new URLSearchParams(params).toString();
  const res = await harvestFetch(`${apiUrl(a.source.url, action)}${qs ? `?${qs}` : ''}`, {
    timeoutMs: a.timeoutMs,
    headers: a.token ? { authorization: a.token } : {},
    credentialOrigin: new URL(a.source.url).origin,
    judge: a.judge,
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
  // A record without id or name is named by its content, so the same broken record sent again
  // (a source repeating its page) is the same object, not a new one per position.
  const invalid = (content: string) => `invalid:${contentHash(content).slice(0, 24)}`;
  const items: GatheredItem[] = results.map((r) => {
    if (typeof r === 'string') return { guid: invalid(r), content: r };
    const d = (r ?? {}) as Record<string, unknown>;
    const content = JSON.stringify(r);
    const guid = typeof d.id === 'string' && d.id ? d.id : typeof d.name === 'string' && d.name ? d.name : invalid(content);
    return { guid, content };
  });
  const next = results.length > 0 && start + results.length < count ? start + results.length : null;
  return { items, next, count };
}

/** Answers of a CKAN that has no package_list for this caller (turned off, not allowed, not there). */
const NO_LIST = new Set([400, 403, 404, 405, 409, 501]);

/**
 * Every name the source lists now (package_list): what is gone from it has been withdrawn there.
 * A CKAN without package_list for us is asked through package_search instead (names only, all
 * pages), as ckanext-harvest does: refusing would leave such a source never harvested.
 */
export async function ckanNameList(a: SourceAccess): Promise<Set<string>> {
  let result: unknown;
  try {
    result = await callAction(a, 'package_list', {});
  } catch (e) {
    if (!(e instanceof HarvestHttpError && e.status !== null && NO_LIST.has(e.status))) throw e;
    return searchNames(a);
  }
  if (!Array.isArray(result)) throw new HarvestHttpError('package_list: not a list');
  return new Set(result.filter((x): x is string => typeof x === 'string'));
}

async function searchNames(a: SourceAccess): Promise<Set<string>> {
  const names = new Set<string>();
  for (let start = 0; ; ) {
    const result = (await callAction(a, 'package_search', { q: '*:*', fl: 'name', rows: String(PAGE_ROWS), start: String(start), sort: 'name asc' })) as { count?: unknown; results?: unknown };
    const results = Array.isArray(result?.results) ? result.results : [];
    const before = names.size;
    for (const r of results) if (r && typeof r === 'object' && typeof (r as { name?: unknown }).name === 'string') names.add((r as { name: string }).name);
    const count = typeof result?.count === 'number' ? result.count : 0;
    start += results.length;
    // The same guard as the gather: a page with no new name is the end.
    if (!results.length || names.size === before || start >= count) return names;
  }
}
