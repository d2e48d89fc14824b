import fs from 'node:fs';
import path from 'node:path';

/** ../shared/data: the real data.go.th metadata the tests import, harvest and search. */
export const SHARED_DATA = path.resolve(import.meta.dirname, '..', '..', 'shared', 'data');

/** The real covid-19-daily record of data.go.th (every Thai-GDC field), as an agency catalog holds it. */
export function covidRecord(): Record<string, any> {
  return JSON.parse(fs.readFileSync(path.join(SHARED_DATA, 'data-go-th-package-list', 'package_search_covid-19-daily.json'), 'utf8')).result.results[0];
}

/** One record of the 2020s mirror of data.go.th (datasets.jsonl). */
export interface MirrorRecord {
  id: string;
  title: string;
  summary: string | null;
  org: string;
  tags: string[];
  resources_list: Array<{ name: string | null; format: string | null; url: string | null }>;
  license: string;
  updated: string;
  url: string;
}

let mirror: MirrorRecord[] | null = null;

/** Every record of the mirror, read once per process. */
export function mirrorRecords(): MirrorRecord[] {
  mirror ??= fs.readFileSync(path.join(SHARED_DATA, 'data-go-th-mirror-2020s', 'datasets.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as MirrorRecord);
  return mirror;
}

export function mirrorRecord(id: string): MirrorRecord {
  const r = mirrorRecords().find((m) => m.id === id);
  if (!r) throw new Error(`no mirror record ${id}`);
  return r;
}
