import { DataFactory, Parser, Writer, type Quad, type Term } from 'n3';
import { NS } from './graph.ts';

export type RdfFormat = 'ttl' | 'jsonld' | 'rdf';

export const MEDIA_TYPES: Record<RdfFormat, string> = {
  ttl: 'text/turtle',
  jsonld: 'application/ld+json',
  rdf: 'application/rdf+xml',
};

/** Content negotiation: the first acceptable RDF type of the Accept header (q-values honoured), else null. */
export function negotiate(accept: string | undefined): RdfFormat | null {
  if (!accept) return null;
  const wanted = accept
    .split(',')
    .map((part, i) => {
      const [type, ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { type: (type ?? '').trim().toLowerCase(), q: q ? Number(q.slice(2)) : 1, i };
    })
    .filter((w) => w.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  for (const w of wanted) {
    if (w.type === 'text/html' || w.type === 'application/xhtml+xml') return null;
    const f = (Object.keys(MEDIA_TYPES) as RdfFormat[]).find((k) => MEDIA_TYPES[k] === w.type || (k === 'ttl' && w.type === 'application/x-turtle') || (k === 'jsonld' && w.type === 'application/json+ld'));
    if (f) return f;
  }
  return null;
}

export function serialize(quads: Quad[], format: RdfFormat): Promise<string> | string {
  if (format === 'jsonld') return JSON.stringify(toJsonLd(quads), null, 1);
  if (format === 'rdf') return toRdfXml(quads);
  return new Promise((resolve, reject) => {
    const w = new Writer({ prefixes: { ...NS } });
    w.addQuads(quads);
    w.end((err, out) => (err ? reject(err) : resolve(out)));
  });
}

function termId(t: Term): string {
  return t.termType === 'BlankNode' ? `_:${t.value}` : t.value;
}

/** Flattened JSON-LD with full IRIs as keys (readable by any JSON-LD processor without fetching a context). */
export function toJsonLd(quads: Quad[]): unknown {
  const nodes = new Map<string, Record<string, unknown>>();
  for (const q of quads) {
    const id = termId(q.subject);
    let n = nodes.get(id);
    if (!n) nodes.set(id, (n = { '@id': id }));
    if (q.predicate.value === `${NS.rdf}type`) {
      ((n['@type'] ??= []) as string[]).push(q.object.value);
      continue;
    }
    let v: Record<string, string>;
    if (q.object.termType === 'Literal') {
      v = { '@value': q.object.value };
      if (q.object.language) v['@language'] = q.object.language;
      else if (q.object.datatype && q.object.datatype.value !== `${NS.xsd}string`) v['@type'] = q.object.datatype.value;
    } else v = { '@id': termId(q.object) };
    ((n[q.predicate.value] ??= []) as unknown[]).push(v);
  }
  return { '@graph': [...nodes.values()] };
}

const XML_ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };
// XML 1.0 has no way to write some characters at all (U+FFFE, U+FFFF, C0 controls, lone
// surrogates), escaped or not: they become U+FFFD, or one value makes the whole document unreadable.
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
const esc = (s: string) => s.replace(NOT_XML_CHAR, '\uFFFD').replace(/[&<>"]/g, (c) => XML_ESC[c]!);

/** RDF/XML: one rdf:Description per subject; predicates as QNames of the known namespaces. */
export function toRdfXml(quads: Quad[]): string {
  const prefixes = new Map<string, string>(Object.entries(NS).map(([p, ns]) => [ns, p]));
  const extra = new Map<string, string>();
  const qname = (uri: string): string => {
    for (const [ns, p] of prefixes) if (uri.startsWith(ns) && /^[A-Za-z_][\w.-]*$/.test(uri.slice(ns.length))) return `${p}:${uri.slice(ns.length)}`;
    const m = /^(.*[#/])([A-Za-z_][\w.-]*)$/.exec(uri);
    if (!m) throw new Error(`cannot write ${uri} as an RDF/XML property`);
    let p = extra.get(m[1]!);
    if (!p) extra.set(m[1]!, (p = `ns${extra.size + 1}`));
    return `${p}:${m[2]}`;
  };
  const bySubject = new Map<string, Quad[]>();
  for (const q of quads) {
    const k = termId(q.subject);
    if (!bySubject.has(k)) bySubject.set(k, []);
    bySubject.get(k)!.push(q);
  }
  const body: string[] = [];
  for (const [, qs] of bySubject) {
    const s = qs[0]!.subject;
    body.push(s.termType === 'BlankNode' ? `  <rdf:Description rdf:nodeID="${esc(s.value)}">` : `  <rdf:Description rdf:about="${esc(s.value)}">`);
    for (const q of qs) {
      const p = qname(q.predicate.value);
      const o = q.object;
      if (o.termType === 'Literal') {
        const attr = o.language ? ` xml:lang="${esc(o.language)}"` : o.datatype && o.datatype.value !== `${NS.xsd}string` ? ` rdf:datatype="${esc(o.datatype.value)}"` : '';
        body.push(`    <${p}${attr}>${esc(o.value)}</${p}>`);
      } else if (o.termType === 'BlankNode') body.push(`    <${p} rdf:nodeID="${esc(o.value)}"/>`);
      else body.push(`    <${p} rdf:resource="${esc(o.value)}"/>`);
    }
    body.push('  </rdf:Description>');
  }
  const decl = [...[...prefixes].map(([ns, p]) => `xmlns:${p}="${esc(ns)}"`), ...[...extra].map(([ns, p]) => `xmlns:${p}="${esc(ns)}"`)].join('\n    ');
  return `<?xml version="1.0" encoding="utf-8"?>\n<rdf:RDF\n    ${decl}>\n${body.join('\n')}\n</rdf:RDF>\n`;
}

/** Turtle (or N-Triples) text → quads. */
export function parseTurtle(text: string, baseIRI?: string): Quad[] {
  return new Parser({ baseIRI }).parse(text);
}

/**
 * JSON-LD → quads for the shapes catalogs publish (ours, ckanext-dcat's): @graph or a node, @id,
 * @type, @value / @language / @type literals, nested nodes, and a @context of prefixes and terms
 * that map to IRIs. Remote contexts are not fetched (a harvester must not follow them).
 */
/** Terms a JSON-LD term may lead through before it must be an IRI or a compact IRI. */
const MAX_TERM_STEPS = 8;

export function parseJsonLd(doc: unknown): Quad[] {
  const { namedNode, literal, blankNode, quad } = DataFactory;
  const out: Quad[] = [];
  let bn = 0;
  const ctxOf = (c: unknown, base: Map<string, string>): Map<string, string> => {
    const m = new Map(base);
    for (const item of Array.isArray(c) ? c : [c]) {
      // A context by address would be fetched by a JSON-LD processor; this reader does not follow
      // one, and without it the terms mean nothing: refused, not read as a graph of unknown terms.
      if (typeof item === 'string') throw new Error(`a remote @context (${item.slice(0, 200)}) is not fetched; give the context inline`);
      if (!item || typeof item !== 'object') continue;
      for (const [k, v] of Object.entries(item as Record<string, unknown>)) {
        if (typeof v === 'string') m.set(k, v);
        else if (v && typeof v === 'object' && typeof (v as { '@id'?: unknown })['@id'] === 'string') m.set(k, (v as { '@id': string })['@id']);
      }
    }
    return m;
  };
  // A term may name another term, each used once (no cycles), at most a few steps: a document
  // chaining thousands of terms made every expansion copy the context once per step (seconds of
  // CPU, the event loop blocked, for a 30 KB file).
  const expand = (term: string, ctx: Map<string, string>): string => {
    let t = term;
    const seen = new Set<string>();
    for (let step = 0; step < MAX_TERM_STEPS && ctx.has(t) && !seen.has(t); step++) {
      seen.add(t);
      t = ctx.get(t)!;
    }
    const i = t.indexOf(':');
    if (i > 0 && !t.startsWith('http') && !seen.has(t.slice(0, i)) && ctx.has(t.slice(0, i))) return ctx.get(t.slice(0, i))! + t.slice(i + 1);
    return t;
  };
  const subjectOf = (node: Record<string, unknown>, ctx: Map<string, string>) => {
    const id = node['@id'];
    if (typeof id === 'string') return id.startsWith('_:') ? blankNode(id.slice(2)) : namedNode(expand(id, ctx));
    return blankNode(`j${bn++}`);
  };
  const walk = (node: Record<string, unknown>, parentCtx: Map<string, string>) => {
    const ctx = node['@context'] ? ctxOf(node['@context'], parentCtx) : parentCtx;
    if (Array.isArray(node['@graph'])) for (const n of node['@graph']) if (n && typeof n === 'object') walk(n as Record<string, unknown>, ctx);
    const keys = Object.keys(node).filter((k) => !k.startsWith('@') || k === '@type');
    if (!keys.length) return null;
    const s = subjectOf(node, ctx);
    for (const [k, raw] of Object.entries(node)) {
      if (k === '@id' || k === '@context' || k === '@graph') continue;
      const values = Array.isArray(raw) ? raw : [raw];
      if (k === '@type') {
        for (const t of values) if (typeof t === 'string') out.push(quad(s, namedNode(`${NS.rdf}type`), namedNode(expand(t, ctx))));
        continue;
      }
      const p = namedNode(expand(k, ctx));
      for (const v of values) {
        if (v === null || v === undefined) continue;
        if (typeof v !== 'object') {
          out.push(quad(s, p, literal(String(v))));
          continue;
        }
        const o = v as Record<string, unknown>;
        if ('@value' in o) {
          const lang = typeof o['@language'] === 'string' ? o['@language'] : undefined;
          const dt = typeof o['@type'] === 'string' ? namedNode(expand(o['@type'], ctx)) : undefined;
          out.push(quad(s, p, literal(String(o['@value']), lang ?? dt)));
        } else {
          const child = walk(o, ctx) ?? subjectOf(o, ctx);
          out.push(quad(s, p, child));
        }
      }
    }
    return s;
  };
  for (const n of Array.isArray(doc) ? doc : [doc]) if (n && typeof n === 'object') walk(n as Record<string, unknown>, new Map());
  return out;
}
