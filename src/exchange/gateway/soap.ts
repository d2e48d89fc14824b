import { SaxesParser } from 'saxes';
import type { Msg } from '../../actions/errors.ts';

/**
 * The SOAP 1.1 binding of the gateway, for partners on TH e-GIF web services, used only where the
 * agreement's technology is `soap`. One operation, GetRecords, in namespace urn:banchi:exchange:v1;
 * the answer is the same data as the REST call, as XML, signed the same way (X-JWS-Signature over
 * the exact bytes). The request reader is strict: no DOCTYPE (so no entities), known elements only,
 * bounded sizes; anything else is a Client fault, never a 500.
 */
export const SOAP_ENV = 'http://schemas.xmlsoap.org/soap/envelope/';
export const NS = 'urn:banchi:exchange:v1';
const SCALARS = new Set(['agreement', 'resource', 'purpose', 'fields', 'sort', 'limit', 'offset', 'q']);
/** The largest envelope read (the route's body limit too). */
export const SOAP_MAX_BYTES = 256 * 1024;

export class SoapReadError extends Error {}

export interface SoapRequest {
  agreement: string;
  resource: string;
  params: Record<string, unknown>;
}

export function readSoapRequest(xml: string): SoapRequest {
  if (xml.length > SOAP_MAX_BYTES) throw new SoapReadError('the request is larger than 256 KB');
  const parser = new SaxesParser({ xmlns: true });
  const path: string[] = [];
  // Null-prototype maps: an element or filter named __proto__ is kept (and refused later as an unknown field), not dropped.
  const values: Record<string, string> = Object.create(null);
  const filters: Record<string, string> = Object.create(null);
  let text = '';
  let filterField: string | null = null;
  let op = false;
  let error: string | null = null;
  parser.on('doctype', () => { error = 'a DOCTYPE is not accepted'; });
  parser.on('error', (e) => { error ??= e.message; });
  parser.on('opentag', (n) => {
    text = '';
    const depth = path.length;
    const name = `${n.uri}|${n.local}`;
    path.push(name);
    if (depth === 0 && name !== `${SOAP_ENV}|Envelope`) error ??= 'the root element must be soap:Envelope';
    else if (depth === 1 && n.local !== 'Header' && name !== `${SOAP_ENV}|Body`) error ??= `unexpected element ${n.local} in the envelope`;
    else if (depth === 2 && path[1] === `${SOAP_ENV}|Body`) {
      if (name !== `${NS}|GetRecords`) error ??= `unknown operation ${n.local} (GetRecords in ${NS})`;
      else op = true;
    } else if (depth === 3 && op) {
      if (n.uri !== NS || (!SCALARS.has(n.local) && n.local !== 'filter')) error ??= `unknown element ${n.local}`;
      if (n.local === 'filter') {
        const f = n.attributes.field;
        filterField = typeof f === 'object' && f ? f.value : typeof f === 'string' ? f : null;
        if (!filterField) error ??= 'a filter needs a field attribute';
      }
    } else if (depth > 3 && op) error ??= 'elements nest too deep';
    if (path.length > 20) error ??= 'elements nest too deep';
  });
  parser.on('text', (t) => { text += t; });
  parser.on('closetag', (n) => {
    if (path.length === 4 && op && n.uri === NS) {
      // Said twice is refused rather than one of the two silently winning.
      if (n.local === 'filter' && filterField) {
        if (Object.keys(filters).length >= 50) error ??= 'at most 50 filters';
        if (Object.hasOwn(filters, filterField)) error ??= `a filter on ${filterField.slice(0, 60)} given twice (give several values as one filter's JSON list)`;
        filters[filterField] = text;
      } else if (SCALARS.has(n.local)) {
        if (Object.hasOwn(values, n.local)) error ??= `${n.local} given twice`;
        values[n.local] = text;
      }
    }
    path.pop();
    text = '';
  });
  try {
    parser.write(xml).close();
  } catch (e) {
    error ??= (e as Error).message;
  }
  if (error) throw new SoapReadError(String(error).slice(0, 300));
  if (!op) throw new SoapReadError('the body has no GetRecords');
  const params: Record<string, unknown> = Object.create(null);
  for (const k of ['purpose', 'fields', 'sort', 'limit', 'offset', 'q']) if (values[k] !== undefined) params[k] = values[k]!.trim();
  if (Object.keys(filters).length) params.filters = filters;
  return { agreement: (values.agreement ?? '').trim(), resource: (values.resource ?? '').trim(), params };
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '');
const val = (v: unknown) => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));

export function soapRecords(p: { agreement: { id: string; number: string }; resource_id: string; dataset_id: string; purpose: string; call_id: string; served_at: string; fields: Array<{ id: string; type?: unknown }>; records: Record<string, unknown>[]; total?: unknown; limit: number; offset: number }): string {
  const rec = p.records.map((r) => `<b:record>${p.fields.map((f) => (r[f.id] === null || r[f.id] === undefined ? `<b:value field="${esc(f.id)}" nil="true"/>` : `<b:value field="${esc(f.id)}">${esc(val(r[f.id]))}</b:value>`)).join('')}</b:record>`).join('');
  return `<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="${SOAP_ENV}" xmlns:b="${NS}"><soap:Body><b:GetRecordsResponse>` +
    `<b:agreement id="${esc(p.agreement.id)}">${esc(p.agreement.number)}</b:agreement><b:resource>${esc(p.resource_id)}</b:resource><b:dataset>${esc(p.dataset_id)}</b:dataset>` +
    `<b:purpose>${esc(p.purpose)}</b:purpose><b:callId>${esc(p.call_id)}</b:callId><b:servedAt>${esc(p.served_at)}</b:servedAt>` +
    `<b:fields>${p.fields.map((f) => `<b:field id="${esc(f.id)}" type="${esc(val(f.type))}"/>`).join('')}</b:fields>` +
    `<b:records count="${p.records.length}"${p.total !== undefined ? ` total="${esc(val(p.total))}"` : ''} limit="${p.limit}" offset="${p.offset}">${rec}</b:records>` +
    `</b:GetRecordsResponse></soap:Body></soap:Envelope>`;
}

export function soapFault(status: number, code: string, msg: Msg, lang: 'th' | 'en'): string {
  const who = status >= 500 ? 'soap:Server' : 'soap:Client';
  return `<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="${SOAP_ENV}" xmlns:b="${NS}"><soap:Body><soap:Fault><faultcode>${who}</faultcode>` +
    `<faultstring xml:lang="${lang}">${esc(lang === 'en' ? msg.en : msg.th)}</faultstring><detail><b:error code="${esc(code)}" status="${status}"><b:th>${esc(msg.th)}</b:th><b:en>${esc(msg.en)}</b:en></b:error></detail></soap:Fault></soap:Body></soap:Envelope>`;
}
