import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { covidRecord, mirrorRecords } from '../real-data.ts';

/**
 * A loopback CKAN: replays Action API answers (package_search with paging, sort and the
 * metadata_modified range; package_show; package_list) built from the real data.go.th records of
 * ../shared/data, with the fields the flattened mirror lost filled in as an agency catalog has them.
 */
export const covid: Record<string, unknown> = covidRecord();


function uuidFrom(s: string): string {
  const h = crypto.createHash('sha1').update(s).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Real records as a thai_gdc agency catalog serves them: distinct titles, consent given. */
export function realRecords(limit = 1236): Array<Record<string, unknown>> {
  const mirror = mirrorRecords();
  const titles = new Set<string>([String(covid.title)]);
  const names = new Set<string>([String(covid.name)]);
  const out: Array<Record<string, unknown>> = [{ ...covid }];
  for (const r of mirror) {
    if (out.length >= limit) break;
    const name = r.id.slice(0, 70).toLowerCase();
    const title = r.title.trim();
    if (titles.has(title) || names.has(name) || !/^[a-z0-9_-]{2,}$/.test(name)) continue;
    // About one real record in twenty lacks a resource name, format or URL, or any tag: those fail the
    // standard (and are isolated as errored, see ckan.test.ts); the fixture keeps the complete ones.
    if (!r.tags.some((t) => t.replace(/\uFFFD/g, '').trim().length > 1) || r.resources_list.some((x) => !x.name || !x.format || !x.url)) continue;
    titles.add(title);
    names.add(name);
    out.push({
      id: uuidFrom(name),
      name,
      title,
      notes: r.summary,
      organization: { name: 'agency', title: r.org },
      data_type: 'ข้อมูลหลากหลายประเภท',
      maintainer: r.org,
      maintainer_email: 'opendata@example.go.th',
      objective: ['พันธกิจหน่วยงาน'],
      update_frequency_unit: 'ไม่ทราบ',
      geo_coverage: 'ประเทศ',
      data_source: r.org,
      data_format: ['ไม่ทราบ'],
      data_category: 'ข้อมูลสาธารณะ',
      data_classification: 'เปิดเผย',
      allow_harvest: 'True',
      tags: r.tags.map((t) => ({ name: t })),
      license_id: r.license,
      url: r.url,
      metadata_modified: r.updated.replace(' ', 'T'),
      resources: r.resources_list.map((x) => ({ name: x.name, format: x.format, url: x.url })),
    });
  }
  return out;
}

export interface Replay {
  url: string;
  /** The records served; tests change them between runs. Strings are served as they are (broken records). */
  records: unknown[];
  requests: string[];
  close(): Promise<void>;
}

function nameOf(r: unknown): string {
  return r && typeof r === 'object' ? String((r as { name?: unknown }).name ?? '') : '';
}

function modifiedOf(r: unknown): string {
  return r && typeof r === 'object' ? String((r as { metadata_modified?: unknown }).metadata_modified ?? '') : '';
}

export async function startReplay(records: unknown[], opts: { delayMs?: number } = {}): Promise<Replay> {
  const state: Replay = { url: '', records, requests: [], close: async () => {} };
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    state.requests.push(`${u.pathname}${u.search}`);
    const send = (result: unknown, status = 200) => {
      const body = JSON.stringify(status === 200 ? { help: 'replay', success: true, result } : { help: 'replay', success: false, error: result });
      setTimeout(() => res.writeHead(status, { 'content-type': 'application/json;charset=utf-8' }).end(body), opts.delayMs ?? 0);
    };
    const action = u.pathname.replace(/^\/api\/3\/action\//, '');
    const listed = state.records.filter((r) => typeof r === 'string' || (r as { private?: unknown }).private !== true);
    if (action === 'package_list') return send(listed.map(nameOf).filter(Boolean));
    if (action === 'package_show') {
      const r = listed.find((x) => nameOf(x) === u.searchParams.get('id') || (x as { id?: unknown }).id === u.searchParams.get('id'));
      return r ? send(r) : send({ __type: 'Not Found Error', message: 'Not found' }, 404);
    }
    if (action === 'package_search') {
      let rows = [...listed];
      const fq = u.searchParams.get('fq') ?? '';
      const m = /metadata_modified:\[(\S+) TO \*\]/.exec(fq);
      if (m) rows = rows.filter((r) => typeof r !== 'string' && Date.parse(modifiedOf(r).replace(/(\d)$/, '$1Z').replace(/ZZ$/, 'Z')) >= Date.parse(m[1]!));
      if ((u.searchParams.get('sort') ?? '').startsWith('name')) rows.sort((a, b) => (nameOf(a) < nameOf(b) ? -1 : nameOf(a) > nameOf(b) ? 1 : 0));
      const start = Number(u.searchParams.get('start') ?? 0);
      const n = Math.min(Number(u.searchParams.get('rows') ?? 10), 1000);
      return send({ count: rows.length, results: rows.slice(start, start + n), sort: 'name asc', facets: {}, search_facets: {} });
    }
    send({ __type: 'Not Found Error', message: 'no such action' }, 404);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () => new Promise((r) => server.close(() => r()));
  return state;
}
