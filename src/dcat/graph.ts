import { DataFactory, type Quad, type Quad_Object, type Quad_Subject } from 'n3';

const { namedNode, literal, blankNode, quad } = DataFactory;

/**
 * Every IRI of the graph, most of them from what an editor typed (a resource's URL, a landing page,
 * an e-mail): the characters an IRI may not hold (space, `<>"{}|^` backtick, backslash, controls)
 * are percent-encoded, as a browser sends them, or one `"` in a URL breaks the whole catalog's Turtle.
 */
const IRI_UNSAFE = /[\u0000-\u0020<>"{}|^`\\]/g;
const iri = (value: string) => namedNode(value.replace(IRI_UNSAFE, (c) => encodeURIComponent(c)));

export const NS = {
  rdf: 'http://www.w3.org/1999/02/22-rdf-syntax-ns#',
  rdfs: 'http://www.w3.org/2000/01/rdf-schema#',
  xsd: 'http://www.w3.org/2001/XMLSchema#',
  dcat: 'http://www.w3.org/ns/dcat#',
  dct: 'http://purl.org/dc/terms/',
  foaf: 'http://xmlns.com/foaf/0.1/',
  vcard: 'http://www.w3.org/2006/vcard/ns#',
  skos: 'http://www.w3.org/2004/02/skos/core#',
  adms: 'http://www.w3.org/ns/adms#',
  hydra: 'http://www.w3.org/ns/hydra/core#',
  thgdc: 'https://banchi.dev/ns/thai-gdc#',
} as const;

const EU = 'http://publications.europa.eu/resource/authority/';

/** update_frequency_unit (Thai label) → EU frequency authority (docs/dcat-mapping.md). */
export const FREQUENCY: Record<string, string> = {
  ปี: 'ANNUAL', ครึ่งปี: 'ANNUAL_2', ไตรมาส: 'QUARTERLY', เดือน: 'MONTHLY', สัปดาห์: 'WEEKLY', วัน: 'DAILY', วันทำการ: 'DAILY',
  ชั่วโมง: 'HOURLY', นาที: 'CONT', ตามเวลาจริง: 'CONT', ไม่มีการปรับปรุงหลังจากการจัดเก็บข้อมูล: 'NEVER', ไม่ทราบ: 'UNKNOWN', อื่นๆ: 'OTHER',
};
/** data_language → EU language authority. */
export const LANGUAGE: Record<string, string> = {
  ไทย: 'THA', อังกฤษ: 'ENG', จีน: 'ZHO', มลายู: 'MSA', พม่า: 'MYA', ลาว: 'LAO', เขมร: 'KHM', ญี่ปุ่น: 'JPN', เกาหลี: 'KOR', ฝรั่งเศส: 'FRA', เยอรมัน: 'DEU', อารบิก: 'ARA', ไม่ทราบ: 'MUL', อื่นๆ: 'MUL',
};
/** data_classification → EU access-right: only เปิดเผย is PUBLIC. */
export function accessRight(classification: string, category: string): string {
  if (classification === 'เปิดเผย' && category === 'ข้อมูลสาธารณะ') return 'PUBLIC';
  return classification === 'ชั้นเผยแพร่ภายในองค์กร' ? 'RESTRICTED' : 'NON_PUBLIC';
}

type Dict = Record<string, unknown>;

/** Fields mapped to DCAT terms below; every other field of the standard goes to thgdc:<field>. */
const MAPPED = new Set(['id', 'name', 'title', 'notes', 'tags', 'maintainer', 'maintainer_email', 'telephone_number', 'organization', 'owner_org', 'metadata_created', 'metadata_modified', 'update_frequency_unit', 'data_language', 'data_classification', 'data_category', 'license_id', 'license_title', 'license_url', 'resources', 'groups', 'url', 'data_type', 'geo_coverage', 'data_source', 'state', 'private', 'type', 'creator_user_id', 'num_resources', 'num_tags', 'extras', 'relationships_as_object', 'relationships_as_subject', 'version', 'isopen', 'revision_id', 'author', 'author_email', 'temporal_start', 'temporal_end']);

export class Graph {
  readonly quads: Quad[] = [];
  add(s: Quad_Subject, p: string, o: Quad_Object): void {
    this.quads.push(quad(s, iri(p), o));
  }
  text(s: Quad_Subject, p: string, v: unknown, lang?: string): void {
    if (typeof v === 'string' && v.trim()) this.add(s, p, literal(v.trim(), lang));
  }
  typed(s: Quad_Subject, p: string, v: string, dt: string): void {
    this.add(s, p, literal(v, iri(dt)));
  }
  type(s: Quad_Subject, cls: string): void {
    this.add(s, `${NS.rdf}type`, iri(cls));
  }
}

function dateTime(v: unknown): string | null {
  if (typeof v !== 'string' || !v) return null;
  const t = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(v) ? v : `${v}Z`);
  return Number.isNaN(t) ? null : new Date(t).toISOString();
}

function list(v: unknown): string[] {
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string' && !!x.trim());
  if (typeof v === 'string' && v.trim().startsWith('[')) {
    try {
      return list(JSON.parse(v));
    } catch {
      return [v];
    }
  }
  return typeof v === 'string' && v.trim() ? [v] : [];
}

function slug(s: string): string {
  return encodeURIComponent(s.trim().toLowerCase().replace(/\s+/g, '-'));
}

export function datasetIri(site: string, d: Dict): string {
  return `${site}/dataset/${d.id as string}`;
}

/** One package dict (as package_show answers the caller) as DCAT-AP 3 triples; see docs/dcat-mapping.md. */
export function addDataset(g: Graph, site: string, d: Dict): Quad_Subject {
  const ds = iri(datasetIri(site, d));
  g.type(ds, `${NS.dcat}Dataset`);
  g.text(ds, `${NS.dct}identifier`, d.id);
  g.text(ds, `${NS.dct}title`, d.title, 'th');
  // DCAT-AP requires a description; an entry without notes is described by its title.
  g.text(ds, `${NS.dct}description`, (typeof d.notes === 'string' && d.notes.trim()) || d.title, 'th');
  for (const t of Array.isArray(d.tags) ? d.tags : []) g.text(ds, `${NS.dcat}keyword`, typeof t === 'string' ? t : (t as { name?: string }).name, 'th');
  const issued = dateTime(d.metadata_created);
  const modified = dateTime(d.metadata_modified);
  if (issued) g.typed(ds, `${NS.dct}issued`, issued, `${NS.xsd}dateTime`);
  if (modified) g.typed(ds, `${NS.dct}modified`, modified, `${NS.xsd}dateTime`);
  g.add(ds, `${NS.dcat}landingPage`, iri(`${site}/dataset/${encodeURIComponent(String(d.name))}`));
  g.type(iri(`${site}/dataset/${encodeURIComponent(String(d.name))}`), `${NS.foaf}Document`);
  const org = d.organization as Dict | null | undefined;
  if (org && typeof org.name === 'string') {
    const agent = iri(`${site}/organization/${encodeURIComponent(org.name)}`);
    g.add(ds, `${NS.dct}publisher`, agent);
    g.type(agent, `${NS.foaf}Agent`);
    g.text(agent, `${NS.foaf}name`, org.title || org.name, 'th');
  }
  if (typeof d.maintainer === 'string' || typeof d.maintainer_email === 'string') {
    const cp = blankNode();
    g.add(ds, `${NS.dcat}contactPoint`, cp);
    g.type(cp, `${NS.vcard}Kind`);
    g.text(cp, `${NS.vcard}fn`, d.maintainer, 'th');
    if (typeof d.maintainer_email === 'string' && d.maintainer_email.includes('@')) g.add(cp, `${NS.vcard}hasEmail`, iri(`mailto:${d.maintainer_email.trim()}`));
    if (typeof d.telephone_number === 'string' && d.telephone_number.trim()) g.add(cp, `${NS.vcard}hasTelephone`, iri(`tel:${d.telephone_number.trim().replace(/[^0-9+]/g, '')}`));
  }
  const freq = FREQUENCY[String(d.update_frequency_unit ?? '')];
  if (freq) {
    const f = iri(`${EU}frequency/${freq}`);
    g.add(ds, `${NS.dct}accrualPeriodicity`, f);
    g.type(f, `${NS.dct}Frequency`);
  }
  for (const l of list(d.data_language)) {
    const code = LANGUAGE[l];
    if (!code) continue;
    const lang = iri(`${EU}language/${code}`);
    g.add(ds, `${NS.dct}language`, lang);
    g.type(lang, `${NS.dct}LinguisticSystem`);
  }
  if (typeof d.data_classification === 'string') {
    const ar = iri(`${EU}access-right/${accessRight(d.data_classification, String(d.data_category ?? ''))}`);
    g.add(ds, `${NS.dct}accessRights`, ar);
    g.type(ar, `${NS.dct}RightsStatement`);
  }
  if (typeof d.data_type === 'string' && d.data_type) {
    const c = iri(`${site}/ns/data-type/${slug(d.data_type)}`);
    g.add(ds, `${NS.dct}type`, c);
    g.type(c, `${NS.skos}Concept`);
    g.text(c, `${NS.skos}prefLabel`, d.data_type, 'th');
  }
  if (typeof d.geo_coverage === 'string' && d.geo_coverage) {
    const loc = blankNode();
    g.add(ds, `${NS.dct}spatial`, loc);
    g.type(loc, `${NS.dct}Location`);
    g.text(loc, `${NS.skos}prefLabel`, d.geo_coverage, 'th');
  }
  if (typeof d.data_source === 'string' && d.data_source.trim()) {
    const p = blankNode();
    g.add(ds, `${NS.dct}provenance`, p);
    g.type(p, `${NS.dct}ProvenanceStatement`);
    g.text(p, `${NS.rdfs}label`, d.data_source, 'th');
  }
  for (const grp of Array.isArray(d.groups) ? (d.groups as Dict[]) : []) {
    if (typeof grp?.name !== 'string') continue;
    const theme = iri(`${site}/group/${encodeURIComponent(grp.name)}`);
    g.add(ds, `${NS.dcat}theme`, theme);
    g.type(theme, `${NS.skos}Concept`);
    g.text(theme, `${NS.skos}prefLabel`, grp.title || grp.name, 'th');
  }
  if (typeof d.url === 'string' && /^https?:\/\//.test(d.url)) g.add(ds, `${NS.foaf}page`, iri(d.url));
  // Shown only to members; DCAT has no term for it, and a harvester reading with their credentials
  // must not take it for a public entry (src/harvest/gather-dcat.ts reads it back).
  if (d.private === true) g.add(ds, `${NS.thgdc}private`, literal('true'));
  // The rest of the Thai standard, as it is stored (thgdc: namespace, one literal per value).
  for (const [k, v] of Object.entries(d)) {
    if (MAPPED.has(k) || v === null || v === undefined || v === '') continue;
    for (const x of Array.isArray(v) ? v : [v]) if (typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean') g.add(ds, `${NS.thgdc}${k}`, literal(String(x)));
  }
  const license = licenseNode(g, site, d);
  for (const r of Array.isArray(d.resources) ? (d.resources as Dict[]) : []) addDistribution(g, site, d, r, ds, license);
  return ds;
}

function licenseNode(g: Graph, site: string, d: Dict): Quad_Object | null {
  if (typeof d.license_id !== 'string' || !d.license_id) return null;
  const url = typeof d.license_url === 'string' && /^https?:\/\//.test(d.license_url) ? d.license_url : `${site}/licenses/${encodeURIComponent(d.license_id)}`;
  const l = iri(url);
  g.type(l, `${NS.dct}LicenseDocument`);
  g.text(l, `${NS.rdfs}label`, d.license_title || d.license_id);
  return l;
}

const MEDIA: Record<string, string> = { CSV: 'text/csv', JSON: 'application/json', XML: 'application/xml', PDF: 'application/pdf', XLSX: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', XLS: 'application/vnd.ms-excel', ZIP: 'application/zip', HTML: 'text/html', TXT: 'text/plain' };
const FILE_TYPE: Record<string, string> = { CSV: 'CSV', JSON: 'JSON', XML: 'XML', PDF: 'PDF', XLSX: 'XLSX', XLS: 'XLS', ZIP: 'ZIP', HTML: 'HTML', TXT: 'TXT', SHP: 'SHP', GEOJSON: 'GEOJSON', KML: 'KML', API: 'REST' };

function addDistribution(g: Graph, site: string, d: Dict, r: Dict, ds: Quad_Subject, license: Quad_Object | null): void {
  const dist = iri(`${site}/dataset/${d.id as string}/resource/${r.id as string}`);
  g.add(ds, `${NS.dcat}distribution`, dist);
  g.type(dist, `${NS.dcat}Distribution`);
  g.text(dist, `${NS.dct}title`, r.name, 'th');
  g.text(dist, `${NS.dct}description`, r.description, 'th');
  const url = typeof r.url === 'string' && /^https?:\/\//.test(r.url) ? r.url : `${site}/dataset/${d.id as string}/resource/${r.id as string}`;
  g.add(dist, `${NS.dcat}accessURL`, iri(url));
  if (r.url_type === 'upload') g.add(dist, `${NS.dcat}downloadURL`, iri(url));
  const fmt = typeof r.format === 'string' ? r.format.trim().toUpperCase() : '';
  if (fmt && FILE_TYPE[fmt]) {
    const f = iri(`${EU}file-type/${FILE_TYPE[fmt]}`);
    g.add(dist, `${NS.dct}format`, f);
    g.type(f, `${NS.dct}MediaTypeOrExtent`);
  }
  if (fmt && MEDIA[fmt]) {
    const m = iri(`https://www.iana.org/assignments/media-types/${MEDIA[fmt]}`);
    g.add(dist, `${NS.dcat}mediaType`, m);
    g.type(m, `${NS.dct}MediaType`);
  }
  if (license) g.add(dist, `${NS.dct}license`, license);
  const modified = dateTime(r.last_modified ?? r.metadata_modified);
  if (modified) g.typed(dist, `${NS.dct}modified`, modified, `${NS.xsd}dateTime`);
  if (typeof r.size === 'number' && r.size >= 0) g.typed(dist, `${NS.dcat}byteSize`, String(r.size), `${NS.xsd}nonNegativeInteger`);
  for (const [k, v] of Object.entries(r)) {
    if (!k.startsWith('resource_') || v === null || v === undefined || v === '') continue;
    for (const x of Array.isArray(v) ? v : [v]) if (typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean') g.add(dist, `${NS.thgdc}${k}`, literal(String(x)));
  }
}

export interface CatalogInfo {
  site: string;
  title: string;
  description: string;
  page: number;
  pageSize: number;
  total: number;
  /** The file the page is served as (its paging links keep it). */
  format?: 'ttl' | 'jsonld' | 'rdf';
}

/** The catalog node, with hydra paging when the catalog has more than one page. */
export function addCatalog(g: Graph, info: CatalogInfo, datasets: Quad_Subject[]): void {
  const cat = iri(`${info.site}/catalog`);
  g.type(cat, `${NS.dcat}Catalog`);
  g.text(cat, `${NS.dct}title`, info.title, 'th');
  g.text(cat, `${NS.dct}description`, info.description, 'th');
  const pub = iri(`${info.site}/#publisher`);
  g.add(cat, `${NS.dct}publisher`, pub);
  g.type(pub, `${NS.foaf}Agent`);
  g.text(pub, `${NS.foaf}name`, info.title, 'th');
  const home = iri(`${info.site}/`);
  g.add(cat, `${NS.foaf}homepage`, home);
  g.type(home, `${NS.foaf}Document`);
  for (const ds of datasets) g.add(cat, `${NS.dcat}dataset`, ds as Quad_Object);
  const pages = Math.max(1, Math.ceil(info.total / info.pageSize));
  if (pages > 1) {
    // Pages link to pages of the same format: a client told to read RDF/XML (ckanext-dcat's
    // rdf_format) must not be sent to Turtle on page 2.
    const at = (n: number) => iri(`${info.site}/catalog.${info.format ?? 'ttl'}?page=${n}`);
    const p = at(info.page);
    g.type(p, `${NS.hydra}PagedCollection`);
    g.typed(p, `${NS.hydra}totalItems`, String(info.total), `${NS.xsd}integer`);
    g.typed(p, `${NS.hydra}itemsPerPage`, String(info.pageSize), `${NS.xsd}integer`);
    // Both the deprecated and the current Hydra terms, as ckanext-dcat writes them.
    const link = (terms: string[], n: number) => { for (const t of terms) g.add(p, `${NS.hydra}${t}`, at(n)); };
    link(['firstPage', 'first'], 1);
    link(['lastPage', 'last'], pages);
    if (info.page < pages) link(['nextPage', 'next'], info.page + 1);
    if (info.page > 1) link(['previousPage', 'previous'], info.page - 1);
  }
}
