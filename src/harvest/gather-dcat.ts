import crypto from 'node:crypto';
import type { Quad } from 'n3';
import { FREQUENCY, LANGUAGE, NS } from '../dcat/graph.ts';
import { parseJsonLd, parseTurtle } from '../dcat/serialize.ts';
import { currentStandard } from '../standard/index.ts';
import { harvestFetch, HarvestHttpError } from './http.ts';
import type { GatheredItem, SourceAccess } from './gather-ckan.ts';
import { decodeUriComponentSafe } from '../util/uri.ts';

const MAX_PAGES = 1000;
const RDF_TYPE = `${NS.rdf}type`;

/**
 * A DCAT source: a Turtle or JSON-LD catalog (hydra:nextPage followed), each dcat:Dataset turned
 * into a package dict of the Thai standard (docs/dcat-mapping.md read backwards; thgdc: terms give
 * the standard's own fields back). RDF/XML sources are not read yet (no XML parser in the runtime deps).
 */
export async function gatherDcat(a: SourceAccess): Promise<{ items: GatheredItem[]; guids: Set<string> }> {
  const items: GatheredItem[] = [];
  const guids = new Set<string>();
  let url: string | null = a.source.url;
  const seen = new Set<string>();
  for (let page = 0; url && page < MAX_PAGES && !seen.has(url); page++) {
    seen.add(url);
    const res = await harvestFetch(url, { timeoutMs: a.timeoutMs, headers: a.token ? { authorization: a.token } : {}, credentialOrigin: new URL(a.source.url).origin, judge: a.judge });
    if (res.status !== 200) throw new HarvestHttpError(`${url}: HTTP ${res.status}`, res.status);
    const quads = parseRdf(res.text, res.contentType, res.url);
    const g = index(quads);
    const before = guids.size;
    for (const s of g.subjectsOfType(`${NS.dcat}Dataset`)) {
      const dict = toPackage(g, s);
      const guid = String(dict.id ?? s);
      if (guids.has(guid)) continue;
      guids.add(guid);
      items.push({ guid, content: JSON.stringify(dict) });
    }
    // A next page that brings no dataset not seen yet (the same page under ever new URLs) is the
    // end, as ckanext-dcat stops on a page with the same content.
    if (page > 0 && guids.size === before) break;
    const next = nextPage(g);
    url = next ? new URL(next, res.url).href : null;
  }
  return { items, guids };
}

/**
 * The next page as ckanext-dcat reads it: a hydra:PartialCollectionView (Hydra today) or a
 * hydra:PagedCollection (deprecated), hydra:next before hydra:nextPage. Missing one would take
 * page 1 for the whole catalog and withdraw every record of the other pages.
 */
function nextPage(g: Index): string | undefined {
  for (const type of ['PartialCollectionView', 'PagedCollection']) {
    for (const p of g.subjectsOfType(`${NS.hydra}${type}`)) {
      const next = g.one(p, `${NS.hydra}next`) ?? g.one(p, `${NS.hydra}nextPage`);
      if (next) return next;
    }
  }
  return undefined;
}

export function parseRdf(text: string, contentType: string, base: string): Quad[] {
  const t = contentType.toLowerCase();
  if (t.includes('json') || /\.jsonld(\?|$)/.test(base) || text.trimStart().startsWith('{') || text.trimStart().startsWith('[')) {
    try {
      return parseJsonLd(JSON.parse(text));
    } catch (e) {
      throw new HarvestHttpError(`${base}: not JSON-LD: ${(e as Error).message}`);
    }
  }
  if (t.includes('rdf+xml') || text.trimStart().startsWith('<?xml')) throw new HarvestHttpError(`${base}: RDF/XML sources are not supported yet; ask for Turtle or JSON-LD`);
  try {
    return parseTurtle(text, base);
  } catch (e) {
    throw new HarvestHttpError(`${base}: not Turtle: ${(e as Error).message}`);
  }
}

interface Index {
  all(s: string, p: string): Array<{ value: string; lang: string; literal: boolean }>;
  one(s: string, p: string): string | undefined;
  subjectsOfType(cls: string): string[];
}

function key(t: Quad['subject'] | Quad['object']): string {
  return t.termType === 'BlankNode' ? `_:${t.value}` : t.value;
}

function index(quads: Quad[]): Index {
  const by = new Map<string, Map<string, Array<{ value: string; lang: string; literal: boolean }>>>();
  for (const q of quads) {
    const s = key(q.subject);
    let m = by.get(s);
    if (!m) by.set(s, (m = new Map()));
    const arr = m.get(q.predicate.value) ?? [];
    arr.push({ value: q.object.termType === 'Literal' ? q.object.value : key(q.object), lang: q.object.termType === 'Literal' ? q.object.language : '', literal: q.object.termType === 'Literal' });
    m.set(q.predicate.value, arr);
  }
  return {
    all: (s, p) => by.get(s)?.get(p) ?? [],
    one(s, p) {
      const vs = by.get(s)?.get(p) ?? [];
      return (vs.find((v) => v.lang === 'th') ?? vs[0])?.value;
    },
    subjectsOfType: (cls) => [...by.entries()].filter(([, m]) => (m.get(RDF_TYPE) ?? []).some((v) => v.value === cls)).map(([s]) => s),
  };
}

const reverse = (m: Record<string, string>) => {
  const out: Record<string, string> = {};
  for (const [th, code] of Object.entries(m)) out[code] ??= th;
  return out;
};
const FREQ_TH = reverse(FREQUENCY);
const LANG_TH = reverse(LANGUAGE);
const last = (iri: string) => {
  const tail = iri.replace(/[#/]+$/, '').split(/[#/]/).pop() ?? '';
  return decodeUriComponentSafe(tail) ?? tail;
};

function toPackage(g: Index, s: string): Record<string, unknown> {
  const std = currentStandard().file;
  const multi = new Set([...std.dataset_fields, ...std.resource_fields].filter((f) => f.type === 'multiselect').map((f) => f.name));
  const d: Record<string, unknown> = {};
  const thgdc = (subject: string, into: Record<string, unknown>) => {
    const m = new Map<string, string[]>();
    for (const [p, vs] of allProps(g, subject)) if (p.startsWith(NS.thgdc)) m.set(p.slice(NS.thgdc.length), vs);
    for (const [k, vs] of m) into[k] = multi.has(k) ? vs : vs[0];
  };
  const identifier = g.one(s, `${NS.dct}identifier`);
  d.id = identifier ?? s;
  const landing = g.one(s, `${NS.dcat}landingPage`);
  const fromLanding = landing ? last(landing) : '';
  d.name = /^[a-z0-9_-]{2,100}$/.test(fromLanding) ? fromLanding : `dcat-${crypto.createHash('sha1').update(s).digest('hex').slice(0, 16)}`;
  d.title = g.one(s, `${NS.dct}title`);
  d.notes = g.one(s, `${NS.dct}description`);
  d.tags = g.all(s, `${NS.dcat}keyword`).map((k) => ({ name: k.value }));
  d.metadata_modified = g.one(s, `${NS.dct}modified`);
  d.metadata_created = g.one(s, `${NS.dct}issued`);
  const cp = g.one(s, `${NS.dcat}contactPoint`);
  if (cp) {
    d.maintainer = g.one(cp, `${NS.vcard}fn`);
    const mail = g.one(cp, `${NS.vcard}hasEmail`);
    if (mail) d.maintainer_email = mail.replace(/^mailto:/, '');
    const tel = g.one(cp, `${NS.vcard}hasTelephone`);
    if (tel) d.telephone_number = tel.replace(/^tel:/, '');
  }
  const freq = g.one(s, `${NS.dct}accrualPeriodicity`);
  if (freq) d.update_frequency_unit = FREQ_TH[last(freq)] ?? 'อื่นๆ';
  const langs = g.all(s, `${NS.dct}language`).map((l) => LANG_TH[last(l.value)]).filter(Boolean);
  if (langs.length) d.data_language = [...new Set(langs)];
  const type = g.one(s, `${NS.dct}type`);
  if (type) d.data_type = g.one(type, `${NS.skos}prefLabel`) ?? last(type);
  const spatial = g.one(s, `${NS.dct}spatial`);
  if (spatial) d.geo_coverage = g.one(spatial, `${NS.skos}prefLabel`);
  const prov = g.one(s, `${NS.dct}provenance`);
  if (prov) d.data_source = g.one(prov, `${NS.rdfs}label`);
  const access = g.one(s, `${NS.dct}accessRights`);
  if (access && last(access) === 'PUBLIC') Object.assign(d, { data_category: 'ข้อมูลสาธารณะ', data_classification: 'เปิดเผย' });
  const page = g.one(s, `${NS.foaf}page`);
  if (page) d.url = page;
  if (g.one(s, `${NS.thgdc}private`) === 'true') d.private = true;
  thgdc(s, d);
  const resources: Array<Record<string, unknown>> = [];
  for (const dist of g.all(s, `${NS.dcat}distribution`).map((x) => x.value)) {
    const r: Record<string, unknown> = {
      name: g.one(dist, `${NS.dct}title`),
      description: g.one(dist, `${NS.dct}description`) ?? '',
      url: g.one(dist, `${NS.dcat}downloadURL`) ?? g.one(dist, `${NS.dcat}accessURL`),
    };
    const fmt = g.one(dist, `${NS.dct}format`);
    if (fmt) r.format = last(fmt);
    const lic = g.one(dist, `${NS.dct}license`);
    if (lic && !d.license_id) d.license_id = g.one(lic, `${NS.rdfs}label`) ?? last(lic);
    thgdc(dist, r);
    resources.push(r);
  }
  d.resources = resources;
  return d;
}

function allProps(g: Index, s: string): Array<[string, string[]]> {
  // The index keeps predicates per subject; walk the thgdc: fields of the standard.
  const std = currentStandard().file;
  const names = [...std.dataset_fields, ...std.resource_fields].map((f) => f.name);
  const out: Array<[string, string[]]> = [];
  for (const n of names) {
    const vs = g.all(s, `${NS.thgdc}${n}`).map((v) => v.value);
    if (vs.length) out.push([`${NS.thgdc}${n}`, vs]);
  }
  for (const n of names) {
    const vs = g.all(s, `${NS.thgdc}${n}_other`).map((v) => v.value);
    if (vs.length) out.push([`${NS.thgdc}${n}_other`, vs]);
  }
  return out;
}
