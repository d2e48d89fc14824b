import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import type { Db } from '../src/store/db.ts';
import { currentStandard } from '../src/standard/index.ts';
import pg from 'pg';
import type { Services } from '../src/actions/context.ts';
import { copyValue, pgCopy, pgliteCopy } from '../src/datastore/copy.ts';
import { indexDatasets, tsvectorLiteral } from '../src/search/indexer.ts';
import { spacedWords } from '../src/search/segment.ts';

/**
 * A catalog generated from real data.go.th records (../shared/data): each real record is used in
 * turn, later copies get another year and edition, so word frequencies, Thai titles, tags,
 * organisations and formats stay those of the real catalog at any size. Loaded with COPY (a million
 * datasets in a few minutes); the first copy of each real record is indexed by indexDatasets, later
 * copies get the original's search row plus their own year, edition and organisation words.
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

/** Runs one COPY … FROM STDIN with these lines (text format) on the services' store. */
async function copyLines(services: Services, statement: string, lines: string[]): Promise<void> {
  if (services.store.kind === 'pglite') {
    const sink = pgliteCopy(services.store.pglite!, statement.replace('FROM STDIN', "FROM '/dev/blob'"));
    for (const l of lines) await sink.write(l);
    return sink.end();
  }
  const client = new pg.Client({ connectionString: services.config.databaseUrl });
  await client.connect();
  try {
    // One write per COPY: pgCopy adds an error listener per flush.
    const sink = pgCopy(client, statement);
    await sink.write(lines.join(''));
    await sink.end();
  } finally {
    await client.end();
  }
}

const CHUNK = 10000;

/** Creates the organisations and groups; datasets come in ranges, so a benchmark can grow the catalog. */
export async function createCorpus(services: Services, opts: CorpusOptions): Promise<Corpus> {
  const db = services.store.db;
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
  /** The rows of datasets number `from` to `to`, as COPY text lines per table. */
  function generate(from: number, to: number) {
    const datasets: string[] = [];
    const resources: string[] = [];
    const links: string[] = [];
    const derived: Array<{ id: string; base: string; extra: string; title: string }> = [];
    const originals: string[] = [];
    for (let i = from; i < to; i++) {
      const rnd = prng(i * 7919 + 2566);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
      const r = records[i % records.length]!;
      const copy = Math.floor(i / records.length);
      const id = uuidFrom(`dataset:${i}`);
      const year = 2560 + (copy % 8);
      const suffix = copy === 0 ? '' : `ปี ${year}${copy >= 8 ? ` ชุดที่ ${Math.floor(copy / 8) + 1}` : ''}`;
      const title = copy === 0 ? r.title : `${r.title} ${suffix}`;
      const orgChoices = orgsByBase.get(r.org)!;
      const org = orgChoices[copy % orgChoices.length]!;
      const roll = rnd();
      const kind = roll < publicShare ? 'public' : roll < publicShare + 0.07 ? 'internal' : roll < publicShare + 0.1 ? 'personal' : roll < publicShare + 0.125 ? 'draft' : 'deleted';
      const category = kind === 'internal' ? 'ข้อมูลใช้ภายใน' : kind === 'personal' ? 'ข้อมูลส่วนบุคคล' : 'ข้อมูลสาธารณะ';
      const classification = kind === 'internal' ? 'ชั้นเผยแพร่ภายในองค์กร' : kind === 'personal' ? 'ลับ' : 'เปิดเผย';
      const modified = new Date(Date.parse(`${r.updated.slice(0, 19)}Z`) + copy * 86400000 * 7).toISOString();
      const formats = [...new Set(r.resources.map((x) => x.format.toUpperCase()).filter(Boolean))];
      const metadata = {
        maintainer: org.title,
        maintainer_email: 'data@example.go.th',
        objective: [pick(objectives)],
        update_frequency_unit: pick(frequencies),
        update_frequency_interval: '1',
        geo_coverage: pick(coverages),
        data_source: org.title,
        data_format: formats.length ? formats : ['อื่นๆ'],
        data_language: ['ไทย'],
      };
      const name = copy === 0 ? r.name : `${r.name.slice(0, 80)}-c${copy}`;
      const dataType = rnd() < 0.6 ? 'ข้อมูลสถิติ' : 'ข้อมูลระเบียน';
      const state = kind === 'draft' ? 'draft' : kind === 'deleted' ? 'deleted' : 'active';
      const priv = kind === 'internal' || kind === 'personal' ? 't' : 'f';
      datasets.push(
        [id, name, title, r.notes, org.id, priv, state, 'dataset', dataType, category, classification, r.license, 't', pgArray(r.tags), JSON.stringify(metadata), std.id, String(std.version), modified, modified, '1', String(Math.floor(rnd() * 1000))]
          .map(copyValue)
          .join('\t') + '\n',
      );
      for (const [pos, res] of r.resources.entries()) {
        resources.push([uuidFrom(`resource:${i}:${pos}`), id, String(pos), res.name.slice(0, 300), '', res.format.toUpperCase(), res.url, '{}', '[]'].map(copyValue).join('\t') + '\n');
      }
      const group = r.group ? groupByTitle.get(r.group) : hash(r.name) % 10 < 3 ? groups[hash(r.title) % groups.length] : undefined;
      if (group) links.push(`${id}\t${group.id}\n`);
      if (copy === 0) originals.push(id);
      else derived.push({ id, base: uuidFrom(`dataset:${i % records.length}`), extra: tsvectorLiteral([{ text: suffix, weight: 'A' }, { text: org.title, weight: 'D' }]), title: spacedWords(suffix) });
    }
    return { datasets, resources, links, derived, originals };
  }

  async function insert(from: number, to: number, onProgress?: (done: number, total: number) => void): Promise<void> {
    for (let startAt = from; startAt < to; startAt += CHUNK) {
      const rows = generate(startAt, Math.min(to, startAt + CHUNK));
      await copyLines(services, 'COPY datasets (id, name, title, notes, owner_org, private, state, type, data_type, data_category, data_classification, license_id, allow_harvest, tags, metadata, standard_id, standard_version, metadata_created, metadata_modified, version, view_count) FROM STDIN', rows.datasets);
      await copyLines(services, 'COPY resources (id, dataset_id, position, name, description, format, url, metadata, data_dictionary) FROM STDIN', rows.resources);
      if (rows.links.length) await copyLines(services, 'COPY dataset_groups (dataset_id, group_id) FROM STDIN', rows.links);
      // The first copy of each real record is indexed by the real indexer; later copies differ only by
      // their year, edition and organisation, so their search rows are the original's plus those words.
      if (rows.originals.length) await db.transaction().execute((tx) => indexDatasets(tx, rows.originals));
      if (rows.derived.length) await deriveSearchRows(db, rows.derived);
      onProgress?.(Math.min(to, startAt + CHUNK) - from, to - from);
    }
  }
  return { orgs, groups, insert };
}

/** A text[] value in COPY text format (before copyValue's escaping). */
function pgArray(xs: string[]): string {
  return `{${xs.map((x) => `"${x.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
}

/**
 * Search rows of later copies: the original's row with the copy's own words appended (tsvector
 * concatenation shifts their positions past the original's), facet and visibility columns from
 * the copy's dataset row, as indexDatasets would write them.
 */
async function deriveSearchRows(db: Db, rows: Array<{ id: string; base: string; extra: string; title: string }>): Promise<void> {
  await sql`
    INSERT INTO dataset_search (dataset_id, document, title_text, tags_text, res_formats, groups, group_ids, popularity,
      tags, data_type, data_classification, license_id, update_frequency_unit, geo_coverage, state, private, data_category, owner_org, metadata_modified, metadata_created, title, name)
    SELECT m.id, b.document || m.extra::tsvector, b.title_text || ' ' || m.title, '', b.res_formats, '{}', b.group_ids, d.view_count,
      b.tags, d.data_type, d.data_classification, d.license_id, coalesce(d.metadata->>'update_frequency_unit', ''), coalesce(d.metadata->>'geo_coverage', ''),
      d.state, d.private, d.data_category, d.owner_org, d.metadata_modified, d.metadata_created, d.title, d.name
    FROM unnest(${rows.map((r) => r.id)}::uuid[], ${rows.map((r) => r.base)}::uuid[], ${rows.map((r) => r.extra)}::text[], ${rows.map((r) => r.title)}::text[]) AS m(id, base, extra, title)
    JOIN dataset_search b ON b.dataset_id = m.base
    JOIN datasets d ON d.id = m.id`.execute(db);
}
