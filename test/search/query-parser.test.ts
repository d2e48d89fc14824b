import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseQuery } from '../../src/search/query-parser.ts';
import { assertKnownFields, parseSolrDate } from '../../src/search/query-sql.ts';
import { wordSlots, words } from '../../src/search/segment.ts';
import { tsvectorLiteral } from '../../src/search/indexer.ts';
import { facetDisplayName, facetTitle, facetTitles } from '../../src/search/facets.ts';
import { SearchQueryError } from '../../src/actions/errors.ts';

const term = (value: string, field: string | null = null, extra: Partial<{ phrase: boolean; prefix: boolean }> = {}) => ({ kind: 'term', field, value, phrase: false, prefix: false, ...extra });

test('match-all forms', () => {
  for (const q of ['', '   ', '*:*', '*']) assert.deepEqual(parseQuery(q), { kind: 'all' });
});

test('free words are ANDed, as CKAN sets q.op=AND', () => {
  assert.deepEqual(parseQuery('แรงงาน สถิติ'), { kind: 'and', items: [term('แรงงาน'), term('สถิติ')] });
});

test('field:value, quoted values, phrases and prefixes', () => {
  assert.deepEqual(parseQuery('tags:แรงงาน'), term('แรงงาน', 'tags'));
  assert.deepEqual(parseQuery('organization:"nso"'), term('nso', 'organization', { phrase: true }));
  assert.deepEqual(parseQuery('"กำลัง แรงงาน"'), term('กำลัง แรงงาน', null, { phrase: true }));
  assert.deepEqual(parseQuery('แรง*'), term('แรง', null, { prefix: true }));
  assert.deepEqual(parseQuery('name:abc\\*'), term('abc*', 'name'));
  assert.deepEqual(parseQuery('tags:"a \\"b\\""'), term('a "b"', 'tags', { phrase: true }));
});

test('AND / OR / NOT, && || !, + and -, with parentheses', () => {
  assert.deepEqual(parseQuery('a OR b'), { kind: 'or', items: [term('a'), term('b')] });
  assert.deepEqual(parseQuery('a || b && c'), { kind: 'or', items: [term('a'), { kind: 'and', items: [term('b'), term('c')] }] });
  assert.deepEqual(parseQuery('a NOT b'), { kind: 'and', items: [term('a'), { kind: 'not', item: term('b') }] });
  assert.deepEqual(parseQuery('+a -b !c'), { kind: 'and', items: [term('a'), { kind: 'not', item: term('b') }, { kind: 'not', item: term('c') }] });
  assert.deepEqual(parseQuery('(a OR b) c'), { kind: 'and', items: [{ kind: 'or', items: [term('a'), term('b')] }, term('c')] });
  assert.deepEqual(parseQuery('tags:(a OR b)'), { kind: 'or', items: [term('a', 'tags'), term('b', 'tags')] });
  assert.deepEqual(parseQuery('data_type:"ข้อมูลสถิติ" +license_id:"x"'), { kind: 'and', items: [term('ข้อมูลสถิติ', 'data_type', { phrase: true }), term('x', 'license_id', { phrase: true })] });
});

test('a hyphen inside a word is part of it; a colon after a non-field stays text', () => {
  assert.deepEqual(parseQuery('covid-19'), term('covid-19'));
  assert.deepEqual(parseQuery('เวลา 10:30'), { kind: 'and', items: [term('เวลา'), term('10:30')] });
});

test('ranges on dates', () => {
  assert.deepEqual(parseQuery('metadata_modified:[2024-01-01 TO *]'), { kind: 'range', field: 'metadata_modified', from: '2024-01-01', to: null, fromInclusive: true, toInclusive: true });
  assert.deepEqual(parseQuery('metadata_created:{* TO NOW}'), { kind: 'range', field: 'metadata_created', from: null, to: 'NOW', fromInclusive: false, toInclusive: false });
  assert.equal(parseSolrDate('2024-01-01').toISOString(), '2024-01-01T00:00:00.000Z');
  assert.equal(parseSolrDate('NOW-7DAYS', new Date('2024-01-08T00:00:00Z')).toISOString(), '2024-01-01T00:00:00.000Z');
  assert.throws(() => parseSolrDate('yesterday'), SearchQueryError);
});

test('malformed queries are Search Query Errors', () => {
  for (const q of ['title:(แรงงาน', 'a)', '"unclosed', 'tags:', 'a AND', 'OR', 'metadata_modified:[2024 TO', 'title:(tags:x)', '((((((((((((((((((((((a))))))))))))))))))))))', 'x'.repeat(2001)]) {
    assert.throws(() => parseQuery(q), SearchQueryError, q.slice(0, 40));
  }
});

test('unknown fields are refused before any SQL is built', () => {
  assert.throws(() => assertKnownFields(parseQuery('nosuchfield:x'), 'q'), SearchQueryError);
  assert.throws(() => assertKnownFields(parseQuery('a OR -(b AND secret_field:1)'), 'fq'), SearchQueryError);
  assert.doesNotThrow(() => assertKnownFields(parseQuery('title:a tags:b organization:c groups:d res_format:CSV license_id:x data_type:y data_category:z data_classification:w update_frequency_unit:ปี geo_coverage:ประเทศ id:x name:y'), 'q'));
});

test('Thai is split into dictionary words; a word inside a phrase is its own token', () => {
  assert.deepEqual(words('จำนวนกำลังแรงงานรวม'), ['จำนวน', 'กำลัง', 'แรงงาน', 'รวม']);
  assert.ok(words('ผู้ใช้แรงงานต่างด้าว').includes('แรงงาน'));
});

test('codes and years stay whole and are also split; English is lower-cased', () => {
  assert.deepEqual(wordSlots('0205_01_0301'), [['0205_01_0301', '0205', '01', '0301']]);
  assert.deepEqual(wordSlots('COVID-19 ปี 2566'), [['covid', 'covid-19'], ['19'], ['ปี'], ['2566']]);
  assert.deepEqual(wordSlots('1,234 คน'), [['1,234', '1234'], ['คน']]);
});

test('the index keeps fields and separate texts apart, and alternatives share a position', () => {
  const v = tsvectorLiteral([
    { text: 'กำลังแรงงาน', weight: 'A' },
    { text: ['แรงงาน', 'รวม'], weight: 'B' },
    { text: 'COVID-19', weight: 'C' },
  ]);
  assert.equal(v, "'กำลัง':1A 'แรงงาน':2A,14B 'รวม':16B 'covid':28C 'covid-19':28C '19':29C");
});

test('facet titles and value labels for the portal, Thai first', () => {
  assert.equal(facetTitle('data_type'), 'ประเภทชุดข้อมูล');
  assert.equal(facetTitle('organization'), 'หน่วยงาน');
  assert.equal(facetTitle('organization', 'en'), 'Organizations');
  assert.equal(facetTitles().geo_coverage, 'ขอบเขตเชิงภูมิศาสตร์หรือเชิงพื้นที่');
  assert.equal(facetDisplayName('data_type', 'ข้อมูลสถิติ'), 'ข้อมูลสถิติ');
  assert.equal(facetDisplayName('data_type', 'ข้อมูลสถิติ', 'en'), 'Statistical data');
  assert.equal(facetDisplayName('organization', 'nso', 'th', 'สำนักงานสถิติแห่งชาติ'), 'สำนักงานสถิติแห่งชาติ');
  assert.equal(facetDisplayName('tags', 'แรงงาน', 'en'), 'แรงงาน');
});

test('Solr boosts (^2), fuzzy (~, ~1) and phrase distances ("a b"~3) are suffixes, not words', () => {
  assert.deepEqual(parseQuery('title:สถิติ^2'), term('สถิติ', 'title'));
  assert.deepEqual(parseQuery('แรงงาน^0.5 OR โรงงาน'), { kind: 'or', items: [term('แรงงาน'), term('โรงงาน')] });
  assert.deepEqual(parseQuery('แรงงาน~1'), term('แรงงาน'));
  assert.deepEqual(parseQuery('แรง*^2'), term('แรง', null, { prefix: true }));
  assert.deepEqual(parseQuery('tags:"แรงงาน"^2'), term('แรงงาน', 'tags', { phrase: true }));
  assert.deepEqual(parseQuery('(a OR b)^3 c'), { kind: 'and', items: [{ kind: 'or', items: [term('a'), term('b')] }, term('c')] });
  assert.deepEqual(parseQuery('metadata_modified:[* TO NOW]^2'), { kind: 'range', field: 'metadata_modified', from: null, to: 'NOW', fromInclusive: true, toInclusive: true });
  // A phrase with a distance is its words anywhere: the exact phrase would find less than Solr does.
  assert.deepEqual(parseQuery('title:"สถิติ การขนส่ง"~5'), { kind: 'and', items: [term('สถิติ', 'title'), term('การขนส่ง', 'title')] });
  assert.deepEqual(parseQuery('"สถิติ"~2^3'), term('สถิติ'));
  // Escaped, or inside a word, they are text.
  assert.deepEqual(parseQuery('a\\^2'), term('a^2'));
  assert.deepEqual(parseQuery('ก~ข'), term('ก~ข'));
});

test('Solr local parameters ({!tag=x}, {!lucene}) are refused, not searched for as text', () => {
  for (const q of ['{!tag=org}organization:nso', 'tags:x {!ex=org}organization:nso', '({!lucene}x)']) assert.throws(() => parseQuery(q), /local parameters/, q);
  assert.deepEqual(parseQuery('tags:"{!x}"'), term('{!x}', 'tags', { phrase: true }));
});
