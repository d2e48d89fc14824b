import type { Config } from '../config.ts';
import { ValidationError, type Msg } from '../actions/errors.ts';
import { harvestFetch } from '../harvest/http.ts';
import { siteOf } from './engine.ts';

/** The agency catalog's side: calls to its national registry (BANCHI_REGISTRY_URL) through its CKAN Action API. */
export class RegistryUnavailableError extends ValidationError {
  readonly detail: string;
  constructor(detail: string) {
    super({ registry: [{ th: `ติดต่อระบบลงทะเบียนบัญชีข้อมูลภาครัฐไม่ได้: ${detail}`, en: `The national registry cannot be reached: ${detail}` }] });
    this.detail = detail;
  }
}

export function registryConfigured(config: Config): boolean {
  return !!config.registryUrl;
}

/** This catalog as the registry knows it: the host of its site URL (what thai_gdc sends as site_url). */
export function ownSite(config: Config): string {
  return siteOf(config.siteUrl);
}

/**
 * One action on the registry. Its validation errors come back as ours (field → Thai / English
 * text), anything else (down, time-out, not JSON) as RegistryUnavailableError.
 */
export async function registryCall<T = unknown>(config: Config, action: string, body: Record<string, unknown>, opts: { auth?: boolean; timeoutMs?: number; lang?: 'th' | 'en' } = {}): Promise<T> {
  if (!config.registryUrl) throw new ValidationError({ registry: [{ th: 'ยังไม่ได้ตั้งค่า BANCHI_REGISTRY_URL', en: 'BANCHI_REGISTRY_URL is not set' }] });
  const headers: Record<string, string> = { 'content-type': 'application/json', 'accept-language': opts.lang ?? 'th' };
  if (opts.auth !== false && config.registryToken) headers.authorization = config.registryToken;
  let res;
  try {
    res = await harvestFetch(`${config.registryUrl}/api/3/action/${action}`, { method: 'POST', body: JSON.stringify(body), headers, timeoutMs: opts.timeoutMs ?? 10_000, maxBytes: 16 * 1024 * 1024 });
  } catch (e) {
    throw new RegistryUnavailableError((e as Error).message);
  }
  let json: { success?: boolean; result?: T; error?: Record<string, unknown> };
  try {
    json = JSON.parse(res.text);
  } catch {
    throw new RegistryUnavailableError(`HTTP ${res.status}`);
  }
  if (json.success) return json.result as T;
  const err = json.error ?? {};
  const fields: Record<string, Msg[]> = {};
  for (const [k, v] of Object.entries(err)) {
    if (k === '__type' || k === 'message' || k === 'next' || k === 'state') continue;
    const list = Array.isArray(v) ? v.map(String) : [String(v)];
    fields[k] = list.map((t) => ({ th: t, en: t }));
  }
  if (!Object.keys(fields).length) fields.registry = [{ th: `ระบบลงทะเบียนตอบว่า: ${String(err.message ?? err.__type ?? res.status)}`, en: `The registry answered: ${String(err.message ?? err.__type ?? res.status)}` }];
  throw new ValidationError(fields);
}

export interface RemoteState {
  /** The published copy (gdpublish-<name>) and its date, when registered. */
  published: { name: string; metadata_modified: string } | null;
  governance_state: string | null;
  validate_time: string;
  revised: boolean;
}

/** thai_gdc's two status calls for one local dataset. */
export async function remoteState(config: Config, packageId: string): Promise<RemoteState> {
  const body = { site_url: ownSite(config), package: packageId };
  const [pub, non] = await Promise.all([
    registryCall<Array<{ metadata_modified: string; name: string }>>(config, 'gdcatalog_published_state', body, { auth: false, timeoutMs: 5000 }),
    registryCall<Array<{ governance_state: string; validate_time: string; revised?: boolean }>>(config, 'gdcatalog_nonpublish_state', body, { auth: false, timeoutMs: 5000 }),
  ]);
  const p = pub[0];
  const n = non[0];
  return {
    published: p && p.metadata_modified ? { name: p.name, metadata_modified: p.metadata_modified } : null,
    governance_state: n?.governance_state ?? null,
    validate_time: n?.validate_time ?? '',
    revised: !!n?.revised,
  };
}

/**
 * The state as a dataset page shows it. Every view of every agency's dataset pages would otherwise
 * be two calls to the one national registry, and a registry that is down would hold each page for
 * the call's time-out. So answers are kept for BANCHI_REGISTRY_STATE_TTL seconds in this process
 * (they are the registry's public answer, the same for every caller; who sees which state is decided
 * after), and after a failure no page asks again for REGISTRY_DOWN_MS. Deleting a dataset does not
 * use this: it always asks afresh (assertNotRegistered).
 */
export async function shownRemoteState(config: Config, packageId: string): Promise<RemoteState> {
  const ttl = (config.registryStateTtlSeconds ?? 60) * 1000;
  const now = Date.now();
  const key = `${config.registryUrl}\n${packageId}`;
  const hit = ttl > 0 ? shownStates.get(key) : undefined;
  // A state read within the TTL still stands while the registry is down; only a miss waits out the pause.
  if (hit && now - hit.at < ttl) return hit.state;
  const down = registryDown.get(config.registryUrl!);
  if (down && down.until > now) throw new RegistryUnavailableError(down.detail);
  let state: RemoteState;
  try {
    state = await remoteState(config, packageId);
  } catch (e) {
    // Only an unreachable registry pauses the pages; a refusal (a field error) is an answer.
    if (e instanceof RegistryUnavailableError) registryDown.set(config.registryUrl!, { until: Date.now() + REGISTRY_DOWN_MS, detail: e.detail });
    throw e;
  }
  registryDown.delete(config.registryUrl!);
  if (ttl > 0) {
    shownStates.delete(key);
    shownStates.set(key, { at: now, state });
    // Oldest first in a Map: a bounded memory, whatever the number of datasets viewed.
    while (shownStates.size > MAX_SHOWN_STATES) shownStates.delete(shownStates.keys().next().value!);
  }
  return state;
}

/** After this process asked the registry to change these datasets' state, its pages ask again. */
export function forgetShownStates(config: Config, packageIds: string[]): void {
  for (const id of packageIds) shownStates.delete(`${config.registryUrl}\n${id}`);
}

export const REGISTRY_DOWN_MS = 30_000;
const MAX_SHOWN_STATES = 10_000;
const shownStates = new Map<string, { at: number; state: RemoteState }>();
const registryDown = new Map<string, { until: number; detail: string }>();

/** States in which the agency may not delete its dataset: it is registered or on its way. */
export const LOCKING_STATES = new Set(['VALIDATE', 'VALIDATE_MODIFIED', 'APPROVAL', 'COMPLETED', 'WAIT_REVOKE', 'REVOKE']);
