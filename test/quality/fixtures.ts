import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { normalizePackage } from '../../src/import/normalize.ts';
import { currentStandard } from '../../src/standard/index.ts';

import { covidRecord, type MirrorRecord } from '../real-data.ts';

export { covidRecord, mirrorRecord, type MirrorRecord } from '../real-data.ts';

const REMOTE_ONLY = ['id', 'owner_org', 'organization', 'groups', 'revision_id', 'relationships_as_object', 'relationships_as_subject', 'num_resources', 'num_tags', 'metadata_modified', 'metadata_created', 'creator_user_id', 'state', 'private', 'type', 'resources', 'extras', 'isopen', 'license_title', 'author', 'author_email', 'version', 'high_value_dataset'];

/** The covid record's own metadata for package_create (the one field its 2.x catalog lacked, the classification, added). */
export function covidInput(org: string): Record<string, unknown> {
  const d: Record<string, unknown> = { ...covidRecord() };
  for (const k of REMOTE_ONLY) delete d[k];
  return { ...normalizePackage(currentStandard(), d), owner_org: org, data_classification: 'เปิดเผย' };
}

/** A mirror record with the standard fields the flattened mirror lost (as test/cli/real-data.test.ts fills them). */
export function mirrorInput(r: MirrorRecord, org: string, name: string): Record<string, unknown> {
  return {
    name,
    title: r.title,
    notes: r.summary || r.title,
    owner_org: org,
    tags: r.tags.filter((t) => !t.includes('\uFFFD')).slice(0, 10),
    license_id: 'Creative Commons Attributions',
    data_type: 'ข้อมูลหลากหลายประเภท',
    maintainer: r.org,
    maintainer_email: 'opendata@example.go.th',
    objective: ['พันธกิจหน่วยงาน'],
    update_frequency_unit: 'ปี',
    geo_coverage: 'ประเทศ',
    data_source: r.org,
    data_format: ['ไม่ทราบ'],
    data_category: 'ข้อมูลสาธารณะ',
    data_classification: 'เปิดเผย',
  };
}

/**
 * One loopback server for the link checker: /ok, /missing (404), /slow (answers after 3 s),
 * /nohead (refuses HEAD), /host/N (answers after 120 ms). It records how many requests were in
 * flight at once and how many arrived.
 */
export class LinkServer {
  readonly server: http.Server;
  base = '';
  inFlight = 0;
  maxInFlight = 0;
  requests = 0;
  constructor() {
    this.server = http.createServer((req, res) => {
      this.requests++;
      this.inFlight++;
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
      let done = false;
      const end = (status: number, body = 'ok') => {
        if (done) return;
        done = true;
        this.inFlight--;
        res.writeHead(status, { 'content-type': 'text/plain' });
        res.end(req.method === 'HEAD' ? undefined : body);
      };
      res.on('close', () => {
        if (!done) {
          done = true;
          this.inFlight--;
        }
      });
      const url = req.url ?? '/';
      if (url.startsWith('/ok')) end(200);
      else if (url.startsWith('/missing')) end(404, 'not found');
      else if (url.startsWith('/nohead')) end(req.method === 'HEAD' ? 405 : 200);
      else if (url.startsWith('/slow')) {
        const t = setTimeout(() => end(200), 3000);
        res.on('close', () => clearTimeout(t));
      } else if (url.startsWith('/host')) setTimeout(() => end(200), 120);
      else end(404);
    });
  }
  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  reset(): void {
    this.maxInFlight = 0;
    this.requests = 0;
  }
  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
