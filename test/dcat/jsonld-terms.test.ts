import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseJsonLd } from '../../src/dcat/serialize.ts';
import { parseRdf } from '../../src/harvest/gather-dcat.ts';

/** JSON-LD from a harvest source is hostile input: term chains are followed a few steps, in time linear in the document. */
test('a context chaining thousands of terms is read in a moment, not seconds per node', () => {
  const ctx: Record<string, string> = {};
  const N = 20_000;
  for (let i = 0; i < N; i++) ctx[`k${i}`] = `k${i + 1}`;
  ctx[`k${N}`] = 'http://example.org/p';
  const doc = { '@context': ctx, '@graph': Array.from({ length: 200 }, (_, i) => ({ '@id': `http://example.org/${i}`, k0: 'v' })) };
  const t = performance.now();
  const quads = parseRdf(JSON.stringify(doc), 'application/ld+json', 'http://example.org/catalog.jsonld');
  const ms = performance.now() - t;
  assert.ok(ms < 2000, `took ${Math.round(ms)} ms`);
  assert.equal(quads.length, 200);
});

test('ordinary terms, compact IRIs and cycles expand as before', () => {
  const quads = parseJsonLd({
    '@context': { dct: 'http://purl.org/dc/terms/', title: 'dct:title', name: 'title', a: 'b', b: 'a', dcat: 'http://www.w3.org/ns/dcat#' },
    '@id': 'http://example.org/d', '@type': 'dcat:Dataset', title: 'x', name: 'y', a: 'z', 'dct:description': 'w',
  });
  const by = Object.fromEntries(quads.map((q) => [q.predicate.value, q.object.value]));
  assert.equal(by['http://www.w3.org/1999/02/22-rdf-syntax-ns#type'], 'http://www.w3.org/ns/dcat#Dataset');
  assert.equal(by['http://purl.org/dc/terms/description'], 'w');
  assert.deepEqual(quads.filter((q) => q.predicate.value === 'http://purl.org/dc/terms/title').map((q) => q.object.value).sort(), ['x', 'y']);
  assert.equal(by.a, 'z', 'a cycle leaves the term as it is');
});
