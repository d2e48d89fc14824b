import crypto from 'node:crypto';
import { deliveryInsertFrom } from '../monitoring/deliveries.ts';
import { sql, type CompiledQuery } from 'kysely';
import { defineAction } from '../../actions/registry.ts';
import type { ActionContext } from '../../actions/context.ts';
import { NotFoundError, ValidationError } from '../../actions/errors.ts';
import { memberOrgs, userId } from '../../access/actor.ts';
import { UUID } from '../../actions/governance/agreements-shared.ts';
import { openTable, readResourceId, type TableAccess } from '../../datastore/access.ts';
import { tableColumns, tableFromColumns, type DsTable } from '../../datastore/meta.ts';
import type { ResourceRow, ResourcesTable } from '../../store/schema.ts';
import { datasetSubjectColumns, readDatasetSubject, type LoadedDataset } from '../../actions/datasets/load.ts';
import { grantForSql } from '../../access/grants.ts';
import { readSearch, rowsSql, runSearch, type SearchParams } from '../../datastore/query.ts';
import { pipelined } from '../../store/pipeline.ts';
import { GatewayError } from './errors.ts';
import { loadExchangeKey } from './keys.ts';
import { signDetached } from './jws.ts';
import { admitCall, periodOf } from './quota.ts';
import { timestamp } from './tsa.ts';
import { soapRecords } from './soap.ts';
import { PREPARED_SQL } from '../../store/prepared.ts';
import { normaliseFingerprint } from './mtls.ts';
import { StaleToken, tokenCheckSql, verifyToken, type TokenCheck } from '../../access/tokens.ts';
import type { Db } from '../../store/db.ts';

/** Search parameters a partner may send (anything else in the query filters by that field). */
export const SEARCH_PARAMS = new Set(['fields', 'filters', 'sort', 'limit', 'offset', 'q', 'include_total']);
/** datastore_search parameters the gateway does not take (its answers are JSON objects, whole rows of the agreed fields): named as such, not read as filters on fields of those names. */
export const UNSUPPORTED_PARAMS = new Set(['distinct', 'records_format', 'plain', 'language', 'total_estimation_threshold', 'resource_id']);
const MAX_ROWS = 10000;

interface AgreementRow {
  id: string; number: string; state: string; partner_org: string; owner_org: string; access_from: Date; access_to: Date;
  terminated_at: Date | null; frequency: { unit: string; count: number }; items: Array<{ dataset_id: string }>; technology: string;
  /** Migration 026: calls need a verified client certificate, and cert_registered says whether the call's is one of the agreement's. */
  mtls_required: boolean; cert_registered: boolean;
  /** The resource called with its table's description (undefined: no such resource), read in the same statement. */
  resource?: { row: ResourceRow; table: DsTable | undefined; dataset: LoadedDataset<{ __x_grants?: unknown }> | null };
}

const AGREEMENT_COLUMNS = ['a.id', 'c.number', 'c.state', 'a.partner_org', 'a.owner_org', 'a.access_from', 'a.access_to', 'a.terminated_at', 'a.frequency', 'a.items', 'a.technology', 'a.mtls_required'];
/** Every column of resources (checked against the schema below), read as __r_… beside the dataset's d.*. */
const RESOURCE_COLUMNS = ['id', 'dataset_id', 'position', 'name', 'description', 'format', 'url', 'url_type', 'mimetype', 'size', 'hash', 'storage_key', 'metadata', 'data_dictionary', 'state', 'created', 'last_modified', 'metadata_modified'] as const satisfies ReadonlyArray<keyof ResourcesTable>;
// A column added to resources must be added above: this fails to compile until it is.
const allResourceColumns: Exclude<keyof ResourcesTable, (typeof RESOURCE_COLUMNS)[number]> extends never ? true : never = true;
void allResourceColumns;

/**
 * The agreement called and, in the same round trip, the resource called with its table and its
 * dataset with the caller's subject and the grants in force under agreements (what openTable would
 * otherwise ask in statements of its own): the gateway's one read before the rows.
 */
async function findAgreement(ctx: ActionContext, ref: unknown, resourceId: string | null, cert: string | null, check: TokenCheck | null, rows?: CompiledQuery): Promise<{ ag: AgreementRow | undefined; rows?: Record<string, unknown>[] }> {
  if (typeof ref !== 'string' || !ref || ref.length > 100) {
    if (check) throw new StaleToken(); // the caller is made sure of first (no statement here to check the token in)
    return { ag: undefined };
  }
  const statement = sql<Record<string, unknown>>`${PREPARED_SQL}
    SELECT ${sql.raw(AGREEMENT_COLUMNS.map((c) => `${c} AS __a_${c.slice(2)}`).join(', '))},${check ? sql` ${tokenCheckSql(check)} AS __k_token,` : sql``}
      EXISTS (SELECT 1 FROM agreement_client_certs k WHERE k.agreement_id = a.id AND k.fingerprint = ${cert ?? ''} AND k.not_after > ${ctx.now}) AS __a_cert_registered,
      ${sql.raw(RESOURCE_COLUMNS.map((c) => `r.${c} AS __r_${c}`).join(', '))}, ${tableColumns('t')},
      d.*, ${datasetSubjectColumns(ctx, sql`${grantForSql(ctx.actor, sql.ref('d.id'), ctx.now)} AS __x_grants`, { visibleOnly: true })}
    FROM agreements a JOIN cases c ON c.id = a.case_id
      LEFT JOIN resources r ON ${resourceId ? sql`r.id = ${resourceId}` : sql`false`}
      LEFT JOIN datastore_tables t ON t.resource_id = r.id
      LEFT JOIN datasets d ON d.id = r.dataset_id
    WHERE ${UUID.test(ref) ? sql`a.id = ${ref.toLowerCase()}` : sql`c.number = ${ref}`}`;
  let r;
  let prefetched: Record<string, unknown>[] | undefined;
  if (rows) {
    const [mine, theirs] = await pipelined(ctx.services.store, [statement.compile(ctx.db), rows]);
    if (mine instanceof Error) throw mine;
    r = mine!;
    // The rows' statement failing (the table replaced meanwhile) only means they are read again below.
    if (theirs && !(theirs instanceof Error)) prefetched = theirs.rows;
  } else r = await statement.execute(ctx.db);
  const row = r.rows[0];
  // A remembered caller is believed only if the token's row, read in this statement, is unchanged.
  if (check) {
    if (!row) throw new StaleToken();
    await verifyToken(ctx.db as Db, check, row.__k_token);
    delete row.__k_token;
  }
  if (!row) return { ag: undefined };
  const ag: Record<string, unknown> = {};
  const res: Record<string, unknown> = {};
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    if (k.startsWith('__a_')) ag[k.slice(4)] = v;
    else if (k.startsWith('__r_')) res[k.slice(4)] = v;
    else rest[k] = v;
  }
  const { rest: ds, table } = tableFromColumns(rest);
  if (res.id == null) return { ag: { ...(ag as unknown as AgreementRow), resource: undefined }, rows: prefetched };
  return { ag: { ...(ag as unknown as AgreementRow), resource: { row: res as unknown as ResourceRow, table, dataset: ds.id == null ? null : readDatasetSubject(ds) } }, rows: prefetched };
}

/** The gateway's reading of the search parameters: its defaults and bounds over datastore_search's. */
function gatewaySearch(params: Record<string, unknown>, access: TableAccess): SearchParams {
  const search = readSearch({ ...Object.fromEntries(Object.entries(params).filter(([k]) => SEARCH_PARAMS.has(k))), include_total: params.include_total ?? false, limit: params.limit ?? 100 }, access);
  if (search.limit > MAX_ROWS) search.limit = MAX_ROWS;
  search.format = 'objects';
  return search;
}

/*
 * What each remembered caller's last call under an agreement and resource could read (per process,
 * bounded). Never believed: it only shapes the rows statement sent ahead; the rows are used when the
 * statement made from this call's fresh reading is the same text with the same parameters.
 */
const LAST_ACCESS_MAX = 1000;
const lastAccess = new Map<string, TableAccess>();
function remembered(key: string, access: TableAccess): void {
  lastAccess.delete(key);
  if (lastAccess.size >= LAST_ACCESS_MAX) lastAccess.delete(lastAccess.keys().next().value!);
  lastAccess.set(key, access);
}

function rowsAhead(ctx: ActionContext, key: string, params: Record<string, unknown>): CompiledQuery | undefined {
  const access = lastAccess.get(key);
  if (!access) return undefined;
  try {
    return rowsSql(access, gatewaySearch(params, access)).compile(ctx.db);
  } catch {
    return undefined; // refused below, from the fresh reading
  }
}

function sameParameters(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    if (x instanceof Date && y instanceof Date ? x.getTime() !== y.getTime() : JSON.stringify(x) !== JSON.stringify(y)) return false;
  }
  return true;
}

/** The route's TokenCheck (routes.ts: a remembered caller, to be verified in the first statement). */
function readTokenCheck(v: unknown): TokenCheck | null {
  const c = v as TokenCheck | undefined;
  return c && typeof c === 'object' && typeof c.hash === 'string' && typeof c.identity === 'string' && typeof c.maxDays === 'number' ? c : null;
}

const names = (v: unknown): string[] => (typeof v === 'string' ? v.split(',').map((s) => s.trim()) : Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/**
 * One gateway call: GET /exchange/v1/agreements/<agreement>/resources/<resource>/records. Checked
 * against the agreement each time (the caller's organisation is its partner; in force; inside its
 * window; the resource one of its datasets'; fields and rows as agreed; within its frequency), the
 * purpose recorded, audited in the same statement as its quota count with the response's hash, and answered with a
 * detached JWS over the exact bytes (time-stamped when a TSA is configured). Refusals are audited
 * too (the row commits, then the caller gets the error).
 */
export const exchangeRecords = defineAction({
  name: 'exchange_records',
  readOnly: true,
  internal: true,
  transaction: 'statement',
  summary: 'Rows of an agreed resource for the partner of an agreement, signed and audited.',
  async run(ctx, input) {
    const rid = typeof input.resource_id === 'string' ? input.resource_id : '';
    let id: string | null = null;
    try { id = readResourceId({ resource_id: rid }); } catch { /* answered below, after the agreement's own checks */ }
    // The route passes only a certificate that was verified (TLS against BANCHI_TLS_CLIENT_CA, or a trusted proxy's header).
    const cert = normaliseFingerprint(input.client_cert);
    const certVia = input.client_cert_via === 'proxy' ? 'proxy' : 'tls';
    const check = readTokenCheck(input.token_check);
    const soap = input.format === 'soap';
    const params = (input.params ?? {}) as Record<string, unknown>;
    // A remembered caller's rows are asked for in the same round trip as the agreement, by what its
    // last call under this agreement was given; they are used only if this call's own statement for
    // them, made from the fresh agreement, grant and table below, is the same statement (rowsAhead).
    const memo = check && id && ctx.services.store.kind === 'postgres' ? `${check.hash}\n${input.agreement}\n${id}` : null;
    const ahead = memo ? rowsAhead(ctx, memo, params) : undefined;
    const { ag, rows: prefetched } = await findAgreement(ctx, input.agreement, id, cert, check, ahead);
    const party = !!ag && memberOrgs(ctx.actor).includes(ag.partner_org);
    if (!ag || !party) {
      try { ctx.authorize('exchange_records', { party: false }); } catch { /* a foreign agreement looks like none */ }
      throw new GatewayError(404, 'agreement_not_found', { th: 'ไม่พบข้อตกลงนี้สำหรับหน่วยงานของท่าน', en: 'No such agreement for your organisation' });
    }
    ctx.authorize('exchange_records', { party, owner_org: ag.owner_org, partner_org: ag.partner_org });
    const purpose = typeof params.purpose === 'string' ? params.purpose.trim() : '';
    // Every refused call of a party to the agreement is audited, bad input included (a partner
    // probing parameters shows in the log); the caller gets the same error after the row commits.
    const refuse = async (err: GatewayError | ValidationError): Promise<null> => {
      const what = err instanceof GatewayError ? { code: err.code, ...err.detail } : { code: 'invalid_parameter', fields: Object.keys(err.errors).slice(0, 20) };
      await ctx.audit({ action: 'exchange_refused', object_type: 'agreement', object_id: ag.id, detail: { agreement_number: ag.number, resource_id: rid.slice(0, 100), purpose: purpose.slice(0, 500), ...what } });
      ctx.failAfterCommit(err);
      return null;
    };
    if (ag.mtls_required && !cert) {
      return refuse(new GatewayError(403, 'client_certificate_required', { th: 'ข้อตกลงนี้กำหนดให้เรียกใช้ด้วยใบรับรองเครื่องลูกข่าย (mutual TLS) ที่ผ่านการตรวจสอบ แต่ไม่ได้ส่งมา หรือตรวจสอบไม่ผ่าน', en: 'This agreement requires a verified client certificate (mutual TLS); none was presented, or it did not verify' }));
    }
    if (ag.mtls_required && !ag.cert_registered) {
      return refuse(new GatewayError(403, 'client_certificate_not_registered', { th: 'ใบรับรองเครื่องลูกข่ายนี้ไม่ได้ลงทะเบียนไว้กับข้อตกลงนี้ (หรือหมดอายุแล้ว)', en: 'This client certificate is not registered with the agreement (or has expired)' }, { detail: { client_cert: cert } }));
    }
    if (ag.state !== 'active' || ag.terminated_at) {
      return refuse(new GatewayError(403, 'agreement_not_active', { th: `ข้อตกลงไม่อยู่ในสถานะใช้งาน (สถานะ: ${ag.state})`, en: `The agreement is not in force (state: ${ag.state})` }, { detail: { state: ag.state } }));
    }
    if (ctx.now < ag.access_from) return refuse(new GatewayError(403, 'agreement_not_started', { th: `ยังไม่ถึงช่วงเวลาเข้าถึง (เริ่ม ${ag.access_from.toISOString()})`, en: `The access window opens at ${ag.access_from.toISOString()}` }));
    if (soap && ag.technology !== 'soap') return refuse(new GatewayError(403, 'soap_not_agreed', { th: 'ข้อตกลงนี้ไม่ได้กำหนดให้ใช้ SOAP ใช้ REST (/exchange/v1/agreements/…/records) แทน', en: 'This agreement does not name SOAP; use the REST endpoint (/exchange/v1/agreements/…/records)' }));
    if (ctx.now >= ag.access_to) return refuse(new GatewayError(403, 'agreement_expired', { th: `ข้อตกลงหมดอายุแล้ว (สิ้นสุด ${ag.access_to.toISOString()})`, en: `The agreement expired at ${ag.access_to.toISOString()}` }));
    if (!purpose || purpose.length > 500) return refuse(ValidationError.field('purpose', { th: 'ต้องระบุวัตถุประสงค์ของการเรียกใช้ (purpose) ไม่เกิน 500 ตัวอักษร', en: 'State the purpose of this call (purpose, at most 500 characters)' }));
    const unsupported = Object.keys(params).filter((k) => UNSUPPORTED_PARAMS.has(k));
    if (unsupported.length) return refuse(new GatewayError(400, 'parameter_not_supported', { th: `เกตเวย์ไม่รับพารามิเตอร์: ${unsupported.join(', ')} (คำตอบเป็นออบเจกต์ JSON ของฟิลด์ตามข้อตกลง)`, en: `The gateway does not take: ${unsupported.join(', ')} (answers are JSON objects of the agreed fields)` }, { detail: { parameters: unsupported } }));
    if (!id) return refuse(new GatewayError(404, 'resource_not_found', { th: 'ไม่พบทรัพยากรนี้ในข้อตกลง', en: 'No such resource in this agreement' }));
    const agreed = (ag.items ?? []).map((i) => i.dataset_id);
    if (!ag.resource || !agreed.includes(ag.resource.row.dataset_id)) return refuse(new GatewayError(404, 'resource_not_in_agreement', { th: 'ไม่พบทรัพยากรนี้ในข้อตกลง', en: 'No such resource in this agreement' }));
    let access;
    try {
      access = await openTable(ctx, id, 'exchange_read', { agreementId: ag.id, loaded: ag.resource });
    } catch (e) {
      if (e instanceof NotFoundError) return refuse(new GatewayError(404, 'resource_not_found', { th: 'ทรัพยากรนี้ยังไม่มีตารางข้อมูล หรือสิทธิ์ตามข้อตกลงใช้ไม่ได้ในขณะนี้', en: 'The resource has no table, or the agreement\'s grant is not usable now' }));
      throw e;
    }
    // A field the table has but the agreement does not give is refused as such (and audited).
    const all = new Set((access.table?.fields ?? []).map((f) => f.id));
    const mine = new Set(access.fields.map((f) => f.id));
    const filters = typeof params.filters === 'string' ? (() => { try { return JSON.parse(params.filters as string); } catch { return {}; } })() : params.filters;
    const asked = [...names(params.fields), ...(filters && typeof filters === 'object' && !Array.isArray(filters) ? Object.keys(filters) : []),
      ...names(params.sort).map((s) => s.replace(/\s+(asc|desc)$/i, '').replace(/^"|"$/g, ''))];
    const notAgreed = [...new Set(asked.filter((n) => all.has(n) && !mine.has(n)))];
    if (notAgreed.length) return refuse(new GatewayError(403, 'field_not_agreed', { th: `ฟิลด์ที่ไม่อยู่ในข้อตกลง: ${notAgreed.join(', ')}`, en: `Fields not in the agreement: ${notAgreed.join(', ')}` }, { detail: { fields: notAgreed } }));
    let search;
    try {
      search = gatewaySearch(params, access);
    } catch (e) {
      if (e instanceof ValidationError) return refuse(e);
      throw e;
    }
    if (memo) remembered(memo, access);
    const own = prefetched && ahead ? rowsSql(access, search).compile(ctx.db) : undefined;
    const same = !!own && own.sql === ahead!.sql && sameParameters(own.parameters, ahead!.parameters);
    const result = await runSearch(ctx, access, search, { base: `/exchange/v1/agreements/${ag.number}/resources/${id}/records` }, same ? { rows: prefetched } : {});
    // The answer is made and signed (and time-stamped) before the quota is counted: none of it depends
    // on the count, and the counter's row lock is then held only by the upsert, the audit row and the commit.
    const callId = crypto.randomUUID();
    const records = result.records as Record<string, unknown>[];
    const fieldIds = access.fields.map((f) => f.id);
    const payload = {
      agreement: { id: ag.id, number: ag.number }, resource_id: id, dataset_id: access.dataset.id, purpose, call_id: callId, served_at: ctx.now.toISOString(),
      fields: result.fields as Array<{ id: string; type: unknown }>, records, ...(search.includeTotal ? { total: result.total } : {}), limit: search.limit, offset: search.offset,
    };
    const body = Buffer.from(soap ? soapRecords(payload) : JSON.stringify(payload));
    const hash = crypto.hash('sha256', body, 'hex');
    const key = loadExchangeKey(ctx.services.config);
    const { jws, signature } = signDetached(body, key.privateKey, {
      kid: key.kid, iat: Math.floor(ctx.now.getTime() / 1000), 'banchi.status': 200, 'banchi.agreement': ag.number, 'banchi.call': callId, 'banchi.sha256': hash,
    });
    let stampToken: string | null = null;
    let stamp: { time: string } | { error: string } | null = null;
    if (ctx.services.config.tsaUrl) {
      try {
        const t = await timestamp(ctx.services.config.tsaUrl, signature);
        stampToken = t.token.toString('base64');
        stamp = { time: t.time.toISOString() };
      } catch (e) {
        // The exchange goes on without the stamp; the audit says it is missing and why.
        stamp = { error: (e as Error).message.slice(0, 200) };
      }
    }
    // Frequency and quota: the last statement before the audit row, so the counter's row lock is held only until commit.
    // The call is an observed delivery of the linkages under this agreement (P10 monitoring), written with the count.
    const period = periodOf(ag.frequency.unit, ctx.now);
    const delivery = { kind: 'gateway' as const, agreementId: ag.id, datasetId: access.dataset.id, resourceId: id, rows: records.length, ref: callId, at: ctx.now };
    // The count, the delivery and the audit row are one statement: this action runs without a
    // surrounding transaction (transaction: 'statement'), so that statement is its one commit.
    const detail = { agreement_number: ag.number, resource_id: id, dataset_id: access.dataset.id, purpose, fields: fieldIds, row_count: records.length, response_sha256: hash, kid: key.kid, call_id: callId, ...(cert ? { client_cert: cert, client_cert_via: certVia } : {}), ...(stamp ? { timestamp: stamp } : {}) };
    const calls = await admitCall(ctx.db, ag.id, period.start, ag.frequency.count, {
      whenAdmitted: (source, count) => [deliveryInsertFrom(delivery, source), ctx.auditFrom({ action: 'exchange_call', object_type: 'agreement', object_id: ag.id, detail }, source, sql`jsonb_build_object('calls_in_period', ${count})`)],
    });
    const resetSeconds = Math.max(1, Math.ceil((period.end.getTime() - ctx.now.getTime()) / 1000));
    if (calls === null) {
      return refuse(new GatewayError(429, 'quota_exceeded', { th: `เรียกใช้ครบ ${ag.frequency.count} ครั้งของรอบนี้แล้ว (รอบใหม่เริ่ม ${period.end.toISOString()})`, en: `The agreement's ${ag.frequency.count} calls per ${period.period} are used up; the next period starts at ${period.end.toISOString()}` },
        { headers: { 'retry-after': String(resetSeconds), 'x-ratelimit-limit': String(ag.frequency.count), 'x-ratelimit-remaining': '0' }, detail: { period: period.start.toISOString() } }));
    }
    const headers: Record<string, string> = {
      'x-jws-signature': jws, 'x-banchi-call-id': callId, 'x-ratelimit-limit': String(ag.frequency.count),
      'x-ratelimit-remaining': String(ag.frequency.count - calls), 'x-ratelimit-reset': String(resetSeconds),
      ...(stampToken ? { 'x-jws-timestamp': stampToken } : {}),
    };
    return { status: 200, body, headers, type: soap ? 'text/xml; charset=utf-8' : 'application/json;charset=utf-8' };
  },
});

/** The caller's organisation's agreements as a partner, with the gateway endpoints of each agreed resource. */
export const exchangeAgreements = defineAction({
  name: 'exchange_agreements',
  readOnly: true,
  internal: true,
  summary: 'Agreements where the caller\'s organisation is the partner, with their gateway endpoints.',
  async run(ctx) {
    ctx.authorize('exchange_agreements');
    const orgs = memberOrgs(ctx.actor);
    if (!orgs.length) return [];
    const rows = await ctx.db.selectFrom('agreements as a').innerJoin('cases as c', 'c.id', 'a.case_id')
      .select(['a.id', 'c.number', 'c.state', 'a.title', 'a.access_from', 'a.access_to', 'a.frequency', 'a.items'])
      .where('a.partner_org', 'in', orgs).orderBy('a.created').execute();
    const out = [];
    for (const r of rows) {
      const ds = ((r.items as Array<{ dataset_id: string; fields: string[] }>) ?? []);
      const resources = ds.length ? await sql<{ id: string; name: string; dataset_id: string }>`SELECT r.id, r.name, r.dataset_id FROM resources r JOIN datastore_tables t ON t.resource_id = r.id AND t.active JOIN datasets d ON d.id = r.dataset_id AND d.state = 'active' WHERE r.state = 'active' AND r.dataset_id = ANY(${ds.map((d) => d.dataset_id)}::uuid[]) ORDER BY r.position`.execute(ctx.db) : { rows: [] };
      out.push({
        id: r.id, number: r.number, state: r.state, title: r.title, access_from: r.access_from.toISOString(), access_to: r.access_to.toISOString(), frequency: r.frequency,
        resources: resources.rows.map((x) => ({ ...x, fields: ds.find((d) => d.dataset_id === x.dataset_id)?.fields ?? [], records: `/exchange/v1/agreements/${r.number}/resources/${x.id}/records` })),
      });
    }
    return out;
  },
});

/** Consumer side: what a partner gateway answered, kept with its signature (src/exchange/gateway/client.ts). */
export const exchangeReceiptRecord = defineAction({
  name: 'exchange_receipt_record',
  readOnly: false,
  internal: true,
  summary: 'Keeps a verified answer of a partner gateway.',
  async run(ctx, input) {
    ctx.authorize('exchange_receipt_record');
    const r = input as Record<string, unknown>;
    const id = crypto.randomUUID();
    await ctx.db.insertInto('exchange_receipts').values({
      id, partner_url: String(r.partner_url), agreement: String(r.agreement), resource_id: String(r.resource_id), purpose: String(r.purpose), request_url: String(r.request_url),
      status: Number(r.status), body: String(r.body), response_sha256: String(r.response_sha256), jws: String(r.jws), kid: String(r.kid), verified: r.verified === true,
      timestamp_token: (r.timestamp_token as string | null) ?? null, timestamp_time: (r.timestamp_time as string | null) ?? null, row_count: Number(r.row_count), received_by: userId(ctx.actor), received: ctx.now,
    }).execute();
    await ctx.audit({ action: 'exchange_receipt_record', object_type: 'exchange_receipt', object_id: id, detail: { partner_url: String(r.partner_url), agreement: String(r.agreement), resource_id: String(r.resource_id), response_sha256: String(r.response_sha256), row_count: Number(r.row_count) } });
    return { id };
  },
});

export const exchangeActions = [exchangeRecords, exchangeAgreements, exchangeReceiptRecord];
