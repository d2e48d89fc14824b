import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { defineAction } from '../actions/registry.ts';
import { ErrorBag, NotFoundError, ValidationError } from '../actions/errors.ts';
import { M } from '../standard/messages.ts';
import { readText } from '../standard/values.ts';
import { normalizeText, words } from './segment.ts';

/**
 * Synonyms applied at query time: a typed term equal to one term of a group also finds the
 * others (กทม ↔ กรุงเทพมหานคร). Built-in groups are data (synonyms.json); sysadmins add their
 * own groups to `search_synonyms` (migration 009) through the actions below.
 */

/** How a term and a typed query are compared: lower case, without dots, spaces or invisible characters. */
export function synonymKey(term: string): string {
  return normalizeText(term).replace(/[\s.]+/g, '');
}

const FILE = path.join(import.meta.dirname, 'synonyms.json');
const BUILTIN: string[][] = (JSON.parse(fs.readFileSync(FILE, 'utf8')) as { groups: string[][] }).groups;
const BUILTIN_BY_KEY = new Map<string, string[][]>();
for (const group of BUILTIN) for (const t of group) BUILTIN_BY_KEY.set(synonymKey(t), [...(BUILTIN_BY_KEY.get(synonymKey(t)) ?? []), group]);

/** SQL for the sysadmins' groups holding any of these keys (one statement with the other lookups). */
export function synonymLookup(keys: string[]) {
  return keys.length ? sql<unknown>`(SELECT coalesce(json_agg(s.terms), '[]'::json) FROM search_synonyms s WHERE s.keys && ${keys}::text[])` : sql<unknown>`'[]'::json`;
}

/**
 * A year in the other era: Thai records write Buddhist-era years (2566) and Christian-era ones
 * (2023) for the same year, often in the same catalog, so a year typed alone finds both. Only
 * four-digit numbers in the years a catalog holds (BE 2400–2700, CE 1857–2157) are read as years.
 */
export function otherEraYear(key: string): string | null {
  if (!/^\d{4}$/.test(key)) return null;
  const n = Number(key);
  if (n >= 2400 && n <= 2700) return String(n - 543);
  if (n >= 1857 && n <= 2157) return String(n + 543);
  return null;
}

/** The other terms of every group (built-in or added) that holds each key, and a year's other-era twin. */
export function readSynonyms(keys: string[], custom: unknown): Map<string, string[]> {
  const groups = [...(Array.isArray(custom) ? (custom as string[][]) : [])];
  const out = new Map<string, string[]>();
  for (const key of keys) {
    const others = new Set<string>();
    for (const group of [...(BUILTIN_BY_KEY.get(key) ?? []), ...groups.filter((g) => g.some((t) => synonymKey(t) === key))])
      for (const t of group) if (synonymKey(t) !== key) others.add(t);
    const twin = otherEraYear(key);
    if (twin) others.add(twin);
    if (others.size) out.set(key, [...others]);
  }
  return out;
}

const MAX_TERMS = 20;
const MAX_TERM_LENGTH = 200;

function readTerms(input: Record<string, unknown>): string[] {
  const bag = new ErrorBag();
  let raw = input.terms;
  if (typeof raw === 'string') {
    try {
      raw = raw.trim().startsWith('[') ? JSON.parse(raw) : raw.split(',');
    } catch {
      bag.add('terms', M.notList());
    }
  }
  const terms: string[] = [];
  if (raw === undefined || raw === null) bag.add('terms', M.missing());
  else if (!Array.isArray(raw)) bag.add('terms', M.notList());
  else if (raw.length > MAX_TERMS) bag.add('terms', M.tooMany(MAX_TERMS));
  else {
    for (const item of raw) {
      const t = readText(item, 'terms', bag, { max: MAX_TERM_LENGTH, strict: true })?.trim();
      if (t === undefined) continue;
      if (!synonymKey(t) || !words(t).length) bag.add('terms', { th: `"${t}" ไม่มีคำให้ค้นหา`, en: `"${t}" has no searchable words` });
      else if (!terms.some((x) => synonymKey(x) === synonymKey(t))) terms.push(t);
    }
    if (!bag.has() && terms.length < 2) bag.add('terms', { th: 'ต้องมีคำที่ต่างกันอย่างน้อย 2 คำ', en: 'At least two different terms are needed' });
  }
  bag.throwIfAny();
  return terms;
}

interface SynonymRow {
  id: string;
  terms: string[];
  created: Date | string;
  created_by: string | null;
}

const dict = (r: SynonymRow) => ({ id: r.id, terms: r.terms, source: 'custom', created: new Date(r.created).toISOString(), created_by: r.created_by });

export const searchSynonymList = defineAction({
  name: 'search_synonym_list',
  readOnly: true,
  summary: 'Synonym groups search applies at query time: the built-in list (source "builtin", from src/search/synonyms.json) and those sysadmins added (source "custom"). Sysadmins only.',
  async run(ctx) {
    ctx.authorize('search_synonym_list');
    const rows = (await sql<SynonymRow>`SELECT id, terms, created, created_by FROM search_synonyms ORDER BY created, id`.execute(ctx.db)).rows;
    return [...BUILTIN.map((terms) => ({ id: null, terms, source: 'builtin' })), ...rows.map(dict)];
  },
});

export const searchSynonymCreate = defineAction({
  name: 'search_synonym_create',
  readOnly: false,
  summary: 'Add a group of equivalent search terms, e.g. terms=["สปสช","สำนักงานหลักประกันสุขภาพแห่งชาติ"]: a search for any of them finds the others. Sysadmins only.',
  params: { terms: { type: 'array', description: 'two to twenty terms (abbreviation, full name, other spellings)', required: true } },
  async run(ctx, input) {
    ctx.authorize('search_synonym_create');
    for (const k of Object.keys(input)) if (k !== 'terms') throw ValidationError.field(k, M.unknownField());
    const terms = readTerms(input);
    const id = crypto.randomUUID();
    const userId = ctx.actor.kind === 'user' ? ctx.actor.user.id : null;
    const row = (
      await sql<SynonymRow>`
        INSERT INTO search_synonyms (id, terms, keys, created, created_by) VALUES (${id}, ${terms}::text[], ${terms.map(synonymKey)}::text[], ${ctx.now}, ${userId})
        RETURNING id, terms, created, created_by`.execute(ctx.db)
    ).rows[0]!;
    await ctx.audit({ action: 'search_synonym_create', object_type: 'search_synonym', object_id: id, detail: { terms } });
    return dict(row);
  },
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const searchSynonymDelete = defineAction({
  name: 'search_synonym_delete',
  readOnly: false,
  summary: 'Remove a synonym group sysadmins added (the built-in list is changed in src/search/synonyms.json). Sysadmins only.',
  params: { id: { type: 'string', description: 'id from search_synonym_list', required: true } },
  async run(ctx, input) {
    ctx.authorize('search_synonym_delete');
    const id = input.id;
    if (typeof id !== 'string' || !id) throw ValidationError.field('id', M.missing());
    const gone = UUID.test(id) ? (await sql<{ terms: string[] }>`DELETE FROM search_synonyms WHERE id = ${id.toLowerCase()}::uuid RETURNING terms`.execute(ctx.db)).rows[0] : undefined;
    if (!gone) throw new NotFoundError({ th: 'ไม่พบกลุ่มคำพ้องนี้ (กลุ่มที่มากับระบบแก้ได้ในไฟล์ synonyms.json)', en: 'Synonym group not found (built-in groups are edited in synonyms.json)' });
    await ctx.audit({ action: 'search_synonym_delete', object_type: 'search_synonym', object_id: id.toLowerCase(), detail: { terms: gone.terms } });
    return null;
  },
});
