import { ErrorBag, type Msg } from '../../actions/errors.ts';
import { sourceHostsJudge } from '../../util/source-hosts.ts';
import { outboundFetch, OutboundError, readAtMost } from '../../util/outbound.ts';

/**
 * Look-up sources are connectors. The one kind built is a REST endpoint described by a small
 * mapping kept as data per source (URL template, method, optional JSON body, where the status is
 * in the answer and which values mean which status). A source that is another banchi is a preset
 * of it (`banchi_datastore`: datastore_search on one resource, filtered by the ID column).
 * The citizen ID is only ever put into the request; errors carry reason codes, never the URL.
 */
export const STATUSES = ['received', 'not_yet', 'not_eligible'] as const;
export type EntitlementStatus = (typeof STATUSES)[number];
export type Outcome = EntitlementStatus | 'unavailable';
export type Reason = 'timeout' | 'network' | 'http_error' | 'bad_answer' | 'unknown_status' | 'too_large' | 'address_refused';

export interface Answer {
  status: Outcome;
  reason?: Reason;
  http_status?: number;
  /** A short value from the answer (e.g. an amount or a date), shown beside the status. */
  detail?: string;
}

export interface Connector {
  ask(citizenId: string, signal: AbortSignal): Promise<Answer>;
}

export interface RestMapping {
  preset: 'rest';
  url: string;
  method: 'GET' | 'POST';
  body?: unknown;
  timeout_ms: number;
  /** Dot path to the status value (list indexes as numbers: result.records.0.status). */
  status_field: string;
  statuses: Record<string, EntitlementStatus>;
  detail_field?: string;
  /** Dot path to a list: when it is empty, the answer is `on_empty` (a registry with no row for the person). */
  empty_field?: string;
  on_empty?: EntitlementStatus;
  /** What HTTP 404 means (many registries answer "no such person" with it); otherwise the source is unavailable. */
  on_404?: EntitlementStatus;
  /** Header that carries the source's stored credential, when one is stored. */
  secret_header: string;
}

export interface BanchiPreset {
  preset: 'banchi_datastore';
  base_url: string;
  resource_id: string;
  id_field: string;
  status_field: string;
  statuses: Record<string, EntitlementStatus>;
  detail_field?: string;
  timeout_ms: number;
}

export type ConnectorSpec = RestMapping | BanchiPreset;

const PATH = /^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+){0,15}$/;
const FIELD_ID = /^[A-Za-z0-9_\u0E00-\u0E7F-]{1,63}$/;
export const MAX_ANSWER_BYTES = 256 * 1024;

const m = (th: string, en: string): Msg => ({ th, en });

function readUrl(bag: ErrorBag, field: string, v: unknown): string {
  if (typeof v !== 'string' || v.length > 2000) {
    bag.add(field, m('ระบุ URL แบบ http(s)', 'Give an http(s) URL'));
    return '';
  }
  try {
    const u = new URL(v.replace(/\{citizen_id\}/g, '0'));
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error();
    if (u.username || u.password) bag.add(field, m('อย่าใส่รหัสผ่านใน URL ให้ใช้ช่อง secret', 'No credentials in the URL; use the secret'));
  } catch {
    bag.add(field, m('ระบุ URL แบบ http(s)', 'Give an http(s) URL'));
  }
  return v;
}

function readStatuses(bag: ErrorBag, v: unknown): Record<string, EntitlementStatus> {
  const out = Object.create(null) as Record<string, EntitlementStatus>;
  if (!v || typeof v !== 'object' || Array.isArray(v) || !Object.keys(v).length) {
    bag.add('connector.statuses', m('ระบุค่าในคำตอบ → สถานะ (received, not_yet, not_eligible)', 'Map answer values to statuses (received, not_yet, not_eligible)'));
    return out;
  }
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.length > 50) bag.add('connector.statuses', m('ไม่เกิน 50 ค่า', 'At most 50 values'));
  for (const [k, s] of entries.slice(0, 50)) {
    if (typeof s !== 'string' || !(STATUSES as readonly string[]).includes(s)) bag.add(`connector.statuses.${k.slice(0, 40)}`, m('สถานะต้องเป็น received, not_yet หรือ not_eligible', 'The status is received, not_yet or not_eligible'));
    else out[k.slice(0, 200)] = s as EntitlementStatus;
  }
  return out;
}

function readStatus(bag: ErrorBag, field: string, v: unknown): EntitlementStatus | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'string' && (STATUSES as readonly string[]).includes(v)) return v as EntitlementStatus;
  bag.add(field, m('สถานะต้องเป็น received, not_yet หรือ not_eligible', 'The status is received, not_yet or not_eligible'));
  return undefined;
}

function readPath(bag: ErrorBag, field: string, v: unknown, required: boolean): string | undefined {
  if (v === undefined || v === null || v === '') {
    if (required) bag.add(field, m('ระบุตำแหน่งในคำตอบ เช่น data.status', 'Give the path in the answer, e.g. data.status'));
    return undefined;
  }
  if (typeof v !== 'string' || !PATH.test(v)) {
    bag.add(field, m('ตำแหน่งต้องเป็นชื่อคั่นด้วยจุด เช่น result.records.0.status', 'A dot path, e.g. result.records.0.status'));
    return undefined;
  }
  return v;
}

function readTimeout(bag: ErrorBag, v: unknown): number {
  if (v === undefined || v === null || v === '') return 3000;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 100 || n > 30000) bag.add('connector.timeout_ms', m('เวลารอ 100–30000 มิลลิวินาที', 'Time-out 100 to 30000 ms'));
  return n;
}

/** Checks a connector description (from a form or the API) and answers it in its stored shape. */
export function readConnector(bag: ErrorBag, raw: unknown): ConnectorSpec | null {
  let v = raw;
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v);
    } catch {
      bag.add('connector', m('ต้องเป็น JSON', 'Must be JSON'));
      return null;
    }
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) {
    bag.add('connector', m('ระบุการเชื่อมต่อ (preset rest หรือ banchi_datastore)', 'Describe the connector (preset rest or banchi_datastore)'));
    return null;
  }
  const c = v as Record<string, unknown>;
  const preset = c.preset ?? 'rest';
  if (preset === 'banchi_datastore') {
    const base = readUrl(bag, 'connector.base_url', c.base_url);
    const rid = typeof c.resource_id === 'string' && /^[0-9a-f-]{36}$/i.test(c.resource_id) ? c.resource_id.toLowerCase() : '';
    if (!rid) bag.add('connector.resource_id', m('ระบุรหัสทรัพยากร DataStore ของต้นทาง', 'Give the source\'s DataStore resource id'));
    const idField = typeof c.id_field === 'string' && FIELD_ID.test(c.id_field) ? c.id_field : '';
    if (!idField) bag.add('connector.id_field', m('ระบุฟิลด์เลขประจำตัวประชาชนของตาราง', 'Give the table\'s citizen ID field'));
    const statusField = typeof c.status_field === 'string' && FIELD_ID.test(c.status_field) ? c.status_field : '';
    if (!statusField) bag.add('connector.status_field', m('ระบุฟิลด์สถานะของตาราง', 'Give the table\'s status field'));
    const detail = c.detail_field === undefined || c.detail_field === '' ? undefined : typeof c.detail_field === 'string' && FIELD_ID.test(c.detail_field) ? c.detail_field : (bag.add('connector.detail_field', m('ชื่อฟิลด์ไม่ถูกต้อง', 'Not a field id')), undefined);
    const out: BanchiPreset = { preset, base_url: base.replace(/\/+$/, ''), resource_id: rid, id_field: idField, status_field: statusField, statuses: readStatuses(bag, c.statuses), timeout_ms: readTimeout(bag, c.timeout_ms) };
    if (detail) out.detail_field = detail;
    return out;
  }
  if (preset !== 'rest') {
    bag.add('connector.preset', m('preset ต้องเป็น rest หรือ banchi_datastore', 'The preset is rest or banchi_datastore'));
    return null;
  }
  const method = c.method === undefined ? 'GET' : c.method;
  if (method !== 'GET' && method !== 'POST') bag.add('connector.method', m('method ต้องเป็น GET หรือ POST', 'The method is GET or POST'));
  if (c.body !== undefined && method !== 'POST') bag.add('connector.body', m('ส่ง body ได้เฉพาะ POST', 'A body needs POST'));
  if (c.body !== undefined && JSON.stringify(c.body).length > 8000) bag.add('connector.body', m('body ยาวเกินไป', 'The body is too long'));
  const header = c.secret_header === undefined || c.secret_header === '' ? 'Authorization' : c.secret_header;
  if (typeof header !== 'string' || !/^[A-Za-z0-9-]{1,64}$/.test(header)) bag.add('connector.secret_header', m('ชื่อ header ไม่ถูกต้อง', 'Not a header name'));
  const out: RestMapping = {
    preset: 'rest', url: readUrl(bag, 'connector.url', c.url), method: method as 'GET' | 'POST', timeout_ms: readTimeout(bag, c.timeout_ms),
    status_field: readPath(bag, 'connector.status_field', c.status_field, true) ?? '', statuses: readStatuses(bag, c.statuses), secret_header: String(header),
  };
  if (c.body !== undefined) out.body = c.body;
  const detail = readPath(bag, 'connector.detail_field', c.detail_field, false);
  if (detail) out.detail_field = detail;
  const empty = readPath(bag, 'connector.empty_field', c.empty_field, false);
  if (empty) out.empty_field = empty;
  const onEmpty = readStatus(bag, 'connector.on_empty', c.on_empty);
  if (onEmpty) out.on_empty = onEmpty;
  if (empty && !onEmpty) bag.add('connector.on_empty', m('ระบุสถานะเมื่อไม่พบรายการ', 'Give the status for an empty list'));
  const on404 = readStatus(bag, 'connector.on_404', c.on_404);
  if (on404) out.on_404 = on404;
  return out;
}

/** The banchi preset as the REST mapping it stands for: datastore_search by the ID column, one row. */
export function toRest(spec: ConnectorSpec): RestMapping {
  if (spec.preset === 'rest') return spec;
  return {
    preset: 'rest', url: `${spec.base_url}/api/3/action/datastore_search`, method: 'POST', timeout_ms: spec.timeout_ms,
    body: { resource_id: spec.resource_id, filters: { [spec.id_field]: '{citizen_id}' }, limit: 1 },
    status_field: `result.records.0.${spec.status_field}`, statuses: spec.statuses, empty_field: 'result.records', on_empty: 'not_eligible',
    ...(spec.detail_field ? { detail_field: `result.records.0.${spec.detail_field}` } : {}), secret_header: 'Authorization',
  };
}

function at(v: unknown, path: string): unknown {
  let cur = v;
  for (const k of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = Array.isArray(cur) ? (/^\d+$/.test(k) ? cur[Number(k)] : undefined) : Object.hasOwn(cur, k) ? (cur as Record<string, unknown>)[k] : undefined;
  }
  return cur;
}

function fill(v: unknown, cid: string): unknown {
  if (typeof v === 'string') return v.replaceAll('{citizen_id}', cid);
  if (Array.isArray(v)) return v.map((x) => fill(x, cid));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fill(x, cid)]));
  return v;
}

/**
 * A REST mapping as a connector. Redirects are not followed (a source that moves is reconfigured, not
 * chased). `sourceHosts` (BANCHI_SOURCE_HOSTS): the private hosts it may reach, judged at each ask
 * and connected to as judged (src/util/outbound.ts).
 */
export function restConnector(spec: ConnectorSpec, secret: string | null, sourceHosts = ''): Connector {
  const r = toRest(spec);
  return {
    async ask(cid, signal) {
      let target: URL;
      try {
        target = new URL(r.url.replaceAll('{citizen_id}', encodeURIComponent(cid)));
      } catch {
        return { status: 'unavailable', reason: 'network' };
      }
      const headers: Record<string, string> = { accept: 'application/json' };
      if (secret) headers[r.secret_header.toLowerCase()] = secret;
      let body: string | undefined;
      if (r.method === 'POST') {
        headers['content-type'] = 'application/json';
        body = JSON.stringify(fill(r.body ?? { citizen_id: '{citizen_id}' }, cid));
      }
      let res: Response;
      try {
        res = await outboundFetch(target, { method: r.method, headers, body, signal, judge: sourceHostsJudge(sourceHosts), maxRedirects: 0 });
      } catch (e) {
        if (e instanceof OutboundError && (e.kind === 'refused' || e.kind === 'scheme')) return { status: 'unavailable', reason: 'address_refused' };
        return { status: 'unavailable', reason: signal.aborted ? 'timeout' : 'network' };
      }
      let text: string | null;
      try {
        text = (await readAtMost(res, MAX_ANSWER_BYTES))?.toString('utf8') ?? null;
      } catch {
        return { status: 'unavailable', reason: signal.aborted ? 'timeout' : 'network', http_status: res.status };
      }
      if (text === null) return { status: 'unavailable', reason: 'too_large', http_status: res.status };
      if (res.status === 404 && r.on_404) return { status: r.on_404, http_status: 404 };
      if (res.status < 200 || res.status > 299) return { status: 'unavailable', reason: 'http_error', http_status: res.status };
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        return { status: 'unavailable', reason: 'bad_answer', http_status: res.status };
      }
      if (r.empty_field) {
        const list = at(json, r.empty_field);
        if (Array.isArray(list) && list.length === 0) return { status: r.on_empty!, http_status: res.status };
      }
      const raw = at(json, r.status_field);
      const key = raw === null || raw === undefined || typeof raw === 'object' ? null : String(raw);
      if (key === null || !Object.hasOwn(r.statuses, key)) return { status: 'unavailable', reason: 'unknown_status', http_status: res.status };
      const out: Answer = { status: r.statuses[key]!, http_status: res.status };
      if (r.detail_field) {
        const d = at(json, r.detail_field);
        if (d !== undefined && d !== null && typeof d !== 'object') out.detail = String(d).slice(0, 200);
      }
      return out;
    },
  };
}
