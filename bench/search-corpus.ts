import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import type { Db } from '../src/store/db.ts';
import { currentStandard } from '../src/standard/index.ts';

/**
 * A catalog generated from real data.go.th records (../shared/data): each real record is used in
 * turn, later copies get another year and edition, so word frequencies, Thai titles, tags,
 * organisations and formats stay those of the real catalog at any size. Loaded with bulk SQL;
 * the search rows are left for reindexAll, which is what the benchmark times.
 */
export const SHARED_DATA = path.resolve(import.meta.dirname, '../../shared/data');

export interface SeedRecord {
  name: string;
  title: string;
  notes: string;
  org: string;
  tags: string[];
  resources: Array<{ name: string; format: string; url: string }>;
  license: string;
  updated: string;
  group: string | null;
}

function slug(text: string, fallback: string): string {
  const s = text.toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60);
  return s.length >= 2 ? s : fallback;
}

function hash(text: string): number {
  return crypto.createHash('sha1').update(text).digest().readUInt32BE(0);
}

/** The real records: data.go.th mirror (2020s) and the legacy 2016 catalog (title + category). */
export function loadSeedRecords(dir = SHARED_DATA): SeedRecord[] {
  const out: SeedRecord[] = [];
  const jsonl = fs.readFileSync(path.join(dir, 'data-go-th-mirror-2020s/datasets.jsonl'), 'utf8').split('\n').filter(Boolean);
  for (const [i, line] of jsonl.entries()) {
    const r = JSON.parse(line) as { id: string; title: string; summary: string | null; org: string; tags: string[]; resources_list: SeedRecord['resources']; license: string; updated: string };
    out.push({
      name: slug(r.id, `mirror-${i}`),
      title: r.title.trim(),
      notes: (r.summary ?? '').trim(),
      org: r.org,
      tags: [...new Set(r.tags.map((t) => t.replace(/\uFFFD/g, '').trim()).filter((t) => t.length > 0 && t.length <= 100))],
      resources: r.resources_list.slice(0, 3).map((x) => ({ name: x.name ?? '', format: x.format ?? '', url: x.url ?? '' })),
      license: r.license === 'ogl' ? 'Open Data Common' : 'Creative Commons Attributions',
      updated: r.updated,
      group: null,
    });
  }
  const seen = new Set<string>();
  for (const [i, r] of out.entries()) {
    if (seen.has(r.name)) r.name = `${r.name.slice(0, 50)}-${i}`;
    seen.add(r.name);
  }
  const orgs = [...new Set(out.map((r) => r.org))].sort();
  const csv = fs.readFileSync(path.join(dir, 'data-go-th-legacy-2016/data.csv'), 'utf8');
  for (const [i, row] of parseCsv(csv).slice(1).entries()) {
    const [category, title] = row;
    if (!category || !title) continue;
    out.push({
      name: `legacy-2016-${i}`,
      title: title.replace(/\s+/g, ' ').trim(),
      notes: `${title.trim()} (${category})`,
      org: orgs[hash(title) % orgs.length]!,
      tags: [category.split(/\s+/)[0]!],
      resources: [{ name: title.trim(), format: 'XLS', url: row[2] ?? '' }],
      license: 'Open Data Common',
      updated: '2016-08-01T00:00:00',
      group: category,
    });
  }
  return out;
}

/** Enough CSV for data.csv: quoted fields with commas. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  for (const line of text.split(/\r?\n/)) {
    if (!line) continue;
    const cells: string[] = [];
    let cur = '';
    let quoted = false;
    for (let i = 0; i < line.length; i++) {
      const c = line[i]!;
      if (quoted) {
        if (c === '"' && line[i + 1] === '"') (cur += '"'), i++;
        else if (c === '"') quoted = false;
        else cur += c;
      } else if (c === '"') quoted = true;
      else if (c === ',') cells.push(cur), (cur = '');
      else cur += c;
    }
    cells.push(cur);
    rows.push(cells);
  }
  return rows;
}

/** Deterministic pseudo-random numbers, so every run builds the same catalog. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function uuidFrom(text: string): string {
  const h = crypto.createHash('sha1').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export interface Corpus {
  orgs: Array<{ id: string; name: string; title: string }>;
  groups: Array<{ id: string; name: string; title: string }>;
  /** Inserts datasets number `from` to `to` (exclusive) with their resources and group links. */
  insert(from: number, to: number, onProgress?: (done: number, total: number) => void): Promise<void>;
}

export interface CorpusOptions {
  /** Planned size: sets the number of organisations (one per 500 datasets, at least the real ones). */
  total: number;
  records?: SeedRecord[];
  /** Share of datasets that are public and active (the rest: internal, personal, drafts, deleted). */
  publicShare?: number;
}

const CHUNK = 2000;

/** Creates the organisations and groups; datasets come in ranges, so a benchmark can grow the catalog. */
export async function createCorpus(db: Db, opts: CorpusOptions): Promise<Corpus> {
  const records = opts.records ?? loadSeedRecords();
  const std = currentStandard();
  const lists = std.file.code_lists;
  const frequencies = lists.update_frequency_unit!.map((c) => c.value).filter((v) => v !== 'อื่นๆ');
  const coverages = lists.geo_coverage!.map((c) => c.value).filter((v) => v !== 'อื่นๆ');
  const objectives = lists.objective!.map((c) => c.value).filter((v) => v !== 'อื่นๆ');

  const baseOrgs = [...new Set(records.map((r) => r.org))].sort();
  const orgCount = Math.max(baseOrgs.length, Math.round(opts.total / 500));
  const orgs = Array.from({ length: orgCount }, (_, i) => {
    const base = baseOrgs[i % baseOrgs.length]!;
    const copy = Math.floor(i / baseOrgs.length);
    return { id: uuidFrom(`org:${i}`), name: `org-${i}`, title: copy ? `${base} สาขา ${copy}` : base };
  });
  const groupTitles = [...new Set(records.map((r) => r.group).filter((g): g is string => !!g))].sort();
  const groups = groupTitles.map((title, i) => ({ id: uuidFrom(`group:${i}`), name: `group-${i}`, title }));
  const groupByTitle = new Map(groups.map((g) => [g.title, g]));
  const orgsByBase = new Map<string, typeof orgs>();
  for (const [i, o] of orgs.entries()) {
    const base = baseOrgs[i % baseOrgs.length]!;
    (orgsByBase.get(base) ?? orgsByBase.set(base, []).get(base)!).push(o);
  }

  await sql`
    INSERT INTO groups (id, name, title, is_organization, extras, created, modified)
    SELECT x.id, x.name, x.title, x.is_org, '{}', now(), now() FROM json_to_recordset(${JSON.stringify([...orgs.map((o) => ({ ...o, is_org: true })), ...groups.map((g) => ({ ...g, is_org: false }))])}::json)
      AS x(id uuid, name text, title text, is_org boolean)`.execute(db);

  const publicShare = opts.publicShare ?? 0.85;
  async function insert(from: number, to: number, onProgress?: (done: number, total: number) => void): Promise<void> {
    for (let startAt = from; startAt < to; startAt += CHUNK) {
      const datasets: Record<string, unknown>[] = [];
      const resources: Record<string, unknown>[] = [];
      const links: Array<{ dataset_id: string; group_id: string }> = [];
      for (let i = startAt; i < Math.min(to, startAt + CHUNK); i++) {
        const rnd = prng(i * 7919 + 2566);
        const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
        const r = records[i % records.length]!;
        const copy = Math.floor(i / records.length);
        const id = uuidFrom(`dataset:${i}`);
        const year = 2560 + (copy % 8);
        const title = copy === 0 ? r.title : `${r.title} ปี ${year}${copy >= 8 ? ` ชุดที่ ${Math.floor(copy / 8) + 1}` : ''}`;
        const orgChoices = orgsByBase.get(r.org)!;
        const org = orgChoices[copy % orgChoices.length]!;
        const roll = rnd();
        const kind = roll < publicShare ? 'public' : roll < publicShare + 0.07 ? 'internal' : roll < publicShare + 0.1 ? 'personal' : roll < publicShare + 0.125 ? 'draft' : 'deleted';
        const category = kind === 'internal' ? 'ข้อมูลใช้ภายใน' : kind === 'personal' ? 'ข้อมูลส่วนบุคคล' : 'ข้อมูลสาธารณะ';
        const classification = kind === 'internal' ? 'ชั้นเผยแพร่ภายในองค์กร' : kind === 'personal' ? 'ลับ' : 'เปิดเผย';
        const modified = new Date(Date.parse(`${r.updated.slice(0, 19)}Z`) + copy * 86400000 * 7);
        const formats = [...new Set(r.resources.map((x) => x.format.toUpperCase()).filter(Boolean))];
        datasets.push({
          id,
          name: copy === 0 ? r.name : `${r.name.slice(0, 80)}-c${copy}`,
          title,
          notes: r.notes,
          owner_org: org.id,
          private: kind === 'internal' || kind === 'personal',
          state: kind === 'draft' ? 'draft' : kind === 'deleted' ? 'deleted' : 'active',
          data_type: rnd() < 0.6 ? 'ข้อมูลสถิติ' : 'ข้อมูลระเบียน',
          data_category: category,
          data_classification: classification,
          license_id: r.license,
          tags: r.tags,
          metadata: {
            maintainer: org.title,
            maintainer_email: 'data@example.go.th',
            objective: [pick(objectives)],
            update_frequency_unit: pick(frequencies),
            update_frequency_interval: '1',
            geo_coverage: pick(coverages),
            data_source: org.title,
            data_format: formats.length ? formats : ['อื่นๆ'],
            data_language: ['ไทย'],
          },
          modified: modified.toISOString(),
          views: Math.floor(rnd() * 1000),
        });
        for (const [pos, res] of r.resources.entries()) {
          resources.push({ id: uuidFrom(`resource:${i}:${pos}`), dataset_id: id, position: pos, name: res.name.slice(0, 300), format: res.format.toUpperCase(), url: res.url });
        }
        const group = r.group ? groupByTitle.get(r.group) : hash(r.name) % 10 < 3 ? groups[hash(r.title) % groups.length] : undefined;
        if (group) links.push({ dataset_id: id, group_id: group.id });
      }
      await sql`
        INSERT INTO datasets (id, name, title, notes, owner_org, private, state, type, data_type, data_category, data_classification, license_id,
          allow_harvest, tags, metadata, standard_id, standard_version, metadata_created, metadata_modified, version, view_count)
        SELECT x.id, x.name, x.title, x.notes, x.owner_org, x.private, x.state, 'dataset', x.data_type, x.data_category, x.data_classification, x.license_id,
          true, x.tags, x.metadata, ${std.id}, ${std.version}, x.modified, x.modified, 1, x.views
        FROM json_to_recordset(${JSON.stringify(datasets)}::json) AS x(id uuid, name text, title text, notes text, owner_org uuid, private boolean, state text,
          data_type text, data_category text, data_classification text, license_id text, tags text[], metadata jsonb, modified timestamptz, views integer)`.execute(db);
      if (resources.length)
        await sql`
          INSERT INTO resources (id, dataset_id, position, name, description, format, url, metadata, data_dictionary, created, metadata_modified)
          SELECT x.id, x.dataset_id, x.position, x.name, '', x.format, x.url, '{}', '[]', now(), now()
          FROM json_to_recordset(${JSON.stringify(resources)}::json) AS x(id uuid, dataset_id uuid, position integer, name text, format text, url text)`.execute(db);
      if (links.length)
        await sql`INSERT INTO dataset_groups (dataset_id, group_id) SELECT x.dataset_id, x.group_id FROM json_to_recordset(${JSON.stringify(links)}::json) AS x(dataset_id uuid, group_id uuid)`.execute(db);
      onProgress?.(Math.min(to, startAt + CHUNK) - from, to - from);
    }
  }
  return { orgs, groups, insert };
}
