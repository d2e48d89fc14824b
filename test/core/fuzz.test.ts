import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { testEnv, makeUser, makeOrg, datasetInput, sys, STORE_KIND, type TestEnv } from '../helpers.ts';
import { allActions, type ActionDef } from '../../src/actions/registry.ts';
import { currentStandard } from '../../src/standard/index.ts';
import { PageClient } from '../web/client.ts';

/**
 * Thousands of hostile requests, the same ones every run (fixed seed): every registered action with
 * its parameters and the standard's fields, every content type the API reads (and some it does
 * not), broken encodings, as anonymous, editor and sysadmin, plus portal pages. Any 5xx fails the
 * test and prints the request that caused it. BANCHI_FUZZ_SEED / BANCHI_FUZZ_N explore further.
 */
const SEED = Number(process.env.BANCHI_FUZZ_SEED ?? 20260701);
const N = Number(process.env.BANCHI_FUZZ_N ?? 2500);

let env: TestEnv;
let editor = '';
let admin = '';
const fixture = { dataset: '', datasetId: '', resource: '', org: 'fz-org', group: 'fz-group' };

before(async () => {
  env = await testEnv({ maxBodyBytes: 256 * 1024 }, { web: true });
  await makeOrg(env, fixture.org);
  await sys(env, 'group_create', { name: fixture.group, title: 'กลุ่มทดสอบ' }).catch(() => undefined);
  editor = (await makeUser(env, 'fz-editor', { org: fixture.org })).token;
  admin = (await makeUser(env, 'fz-admin', { sysadmin: true })).token;
  const ds = await sys(env, 'package_create', datasetInput(fixture.org, { name: 'fz-dataset', resources: [{ name: 'ไฟล์', url: 'https://example.go.th/a.csv', format: 'CSV' }] }));
  fixture.dataset = ds.name;
  fixture.datasetId = ds.id;
  fixture.resource = ds.resources[0].id;
});
after(() => env?.close());

/** mulberry32: small, fast, and the same sequence on every machine. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const chance = (r: Rand, p: number) => r() < p;

const PROTO_KEYS = ['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__', 'prototype', '__defineGetter__', 'isPrototypeOf'];
const HUGE_NUMBERS = [2 ** 31, 2 ** 31 - 1, 2 ** 32, 2 ** 53, 2 ** 63, 1e308, -1, -(2 ** 31) - 1, 1.5, Number.MAX_SAFE_INTEGER, '2147483648', '9223372036854775808', '99999999999999999999999', '-2147483649', '1e400', 'NaN', 'Infinity', '0x10', ' 5 '];
const HUGE_DATES = [
  '-200000-01-01', '300000-01-01', '+300000-01-01T00:00:00Z', '-200000-01-01T00:00:00Z', '+275760-09-13T00:00:00.000Z', '0000-01-01', '9999-12-31T23:59:59Z',
  '2024-02-30', '2024-13-01', 'NOW-200000YEARS', 'NOW+300000YEARS', 'NOW-999999DAYS', '10000-01-01', '2567-01-01', '1799-12-31', 'ปปปป-ดด-วว',
];
const NASTY_STRINGS = [
  'a\u0000b', '\u0000', 'x\u0001y', '\u001b[31m', '\u007f', 'a\rb\nc\td', '\ud800', 'x\udc00y', '\ufeff\u200b\u200d', '\u202e', 'ก\u0e31\u0e31\u0e31\u0e31',
  "'; DROP TABLE datasets; --", '" OR 1=1 --', '%00', '%', '%FF', '../../etc/passwd', '<script>alert(1)</script>', 'javascript:alert(1)', '//evil.example', '\\\\evil',
  '*:*', 'title:', 'metadata_modified:[NOW-200000YEARS TO *]', 'metadata_modified:[* TO 300000-01-01]', '((((((((((((((((((((((((a', '"unbalanced', 'a AND', 'NOT NOT NOT',
  '{"a":1}', '[1,2', '["a\\u0000"]', '[' + '['.repeat(60) + ']'.repeat(60) + ']', 'null', 'true', '', ' ', 'ข้อมูล', 'แรงงาน*', 'tags:"แรงงาน"',
  ...PROTO_KEYS, 'constructor asc', 'toString desc', '__proto__ asc', 'score desc, constructor asc',
];

function longString(r: Rand): string {
  return pick(r, ['ก', 'a', '\u0000', '😀', 'ข้']).repeat(pick(r, [1000, 5000, 20001, 70000]));
}

function deep(r: Rand, depth: number): unknown {
  let v: unknown = pick(r, ['x', 1, null]);
  for (let i = 0; i < depth; i++) v = chance(r, 0.5) ? [v] : { [pick(r, ['a', 'b', ...PROTO_KEYS.filter((k) => k !== '__proto__')])]: v };
  return v;
}

function validRef(r: Rand): string {
  return pick(r, [fixture.dataset, fixture.datasetId, fixture.resource, fixture.org, fixture.group, 'fz-editor', 'fz-admin', 'default']);
}

function hostileValue(r: Rand, depth = 0): unknown {
  const k = r();
  if (k < 0.22) return pick(r, NASTY_STRINGS);
  if (k < 0.32) return pick(r, HUGE_NUMBERS);
  if (k < 0.44) return pick(r, HUGE_DATES);
  if (k < 0.52) return validRef(r);
  if (k < 0.56) return longString(r);
  if (k < 0.62) return deep(r, pick(r, [3, 20, 40, 200]));
  if (k < 0.72 && depth < 3) return Array.from({ length: Math.floor(r() * 4) }, () => hostileValue(r, depth + 1));
  if (k < 0.8 && depth < 3) return Object.fromEntries(Array.from({ length: Math.floor(r() * 4) }, () => [pick(r, [...PROTO_KEYS, 'name', 'id', 'url', 'key', 'value', 'type']), hostileValue(r, depth + 1)]));
  if (k < 0.86) return pick(r, [true, false, null, 0, '']);
  if (k < 0.9) return { key: 'stolen/key', size: 1, sha256: 'x', filename: 'a.csv' };
  return pick(r, ['ข้อมูลแรงงาน', 'nso', 'CSV', 'ข้อมูลสาธารณะ', 'เปิดเผย', 'https://example.go.th/x.csv', 'a@b.go.th', '2024-01-01']);
}

const std = currentStandard();
const COMMON_KEYS = ['id', 'name', 'q', 'fq', 'fq_list', 'rows', 'start', 'limit', 'offset', 'sort', 'fl', 'facet', 'facet.field', 'facet.limit', 'facet.mincount', 'query', 'package_id', 'resource_id',
  'user', 'username', 'role', 'organization', 'owner_org', 'groups', 'tags', 'resources', 'extras', 'upload', 'password', 'new_password', 'old_password', 'login', 'code', 'ticket', 'token', 'jti',
  'expires_at', 'expires_in', 'days', 'scope', 'include_private', 'include_drafts', 'include_datasets', 'all_fields', 'state', 'version', 'object', 'object_type', 'capacity', 'parent', 'image_url',
  'created', 'last_modified', 'size', 'hash', 'mimetype', 'data_dictionary', 'records', 'callback', 'lang', 'email', 'fullname', 'sysadmin', 'title', 'notes', 'url', 'format', 'description'];

function keysFor(def: ActionDef): string[] {
  const keys = [...Object.keys(def.params ?? {}), ...COMMON_KEYS];
  if (/package|import/.test(def.name)) keys.push(...std.datasetFields.keys());
  if (/resource/.test(def.name)) keys.push(...std.resourceFields.keys());
  return keys;
}

/** A mostly valid input with a few hostile fields, so validation reaches past its first check. */
function inputFor(r: Rand, def: ActionDef): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  const based = chance(r, 0.4);
  if (based) {
    if (/^package_(create|update|patch)$/.test(def.name)) Object.assign(input, datasetInput(fixture.org), def.name === 'package_create' ? {} : { id: fixture.dataset });
    else if (/^resource_(create|update|patch)$/.test(def.name)) Object.assign(input, { package_id: fixture.dataset, id: fixture.resource, name: 'ไฟล์', url: 'https://example.go.th/b.csv', format: 'CSV' });
    else if (def.name === 'dataset_grant_create') Object.assign(input, { id: fixture.dataset, user: 'fz-editor', scope: 'files' });
    else if (def.name === 'package_import') Object.assign(input, { records: [datasetInput(fixture.org)] });
    else if (/show|list|activity|similar|download/.test(def.name)) input.id = validRef(r);
  }
  const own = /resource/.test(def.name) ? [...std.resourceFields.keys(), 'created', 'last_modified', 'size', 'data_dictionary'] : /package|import/.test(def.name) ? [...std.datasetFields.keys(), 'resources', 'extras', 'groups'] : [];
  const keys = based && own.length && chance(r, 0.7) ? own : keysFor(def);
  // On a valid base one bad field at a time reaches the deepest checks; without one, several.
  const n = based && chance(r, 0.6) ? 1 : 1 + Math.floor(r() * 5);
  for (let i = 0; i < n; i++) {
    const key = chance(r, 0.1) ? pick(r, PROTO_KEYS) : chance(r, 0.04) ? pick(r, ['a\u0000b', 'x\u0001', '\ud800', '', 'a[b][c]', 'a.b']) : pick(r, keys);
    if (key === 'resources' && chance(r, 0.5)) input[key] = [{ name: 'r', url: 'https://example.go.th/c.csv', [pick(r, [...std.resourceFields.keys(), 'created', 'last_modified', ...PROTO_KEYS])]: hostileValue(r) }];
    else if (key === 'records' && chance(r, 0.5)) input[key] = [{ ...datasetInput(fixture.org), [pick(r, [...std.datasetFields.keys(), 'metadata_created', 'metadata_modified', ...PROTO_KEYS])]: hostileValue(r) }];
    else input[key] = hostileValue(r);
  }
  return input;
}

/** Query strings and form bodies by hand: raw percent sequences a URLSearchParams would escape. */
const RAW_ENCODINGS = ['%FF', '%C0%AF', '%ED%A0%80', '%', '%zz', '%00', '%E0%B8', 'a%2', '%F4%90%80%80', '+%2B+', '%25%00'];

function encodeValue(r: Rand, v: unknown): string {
  if (chance(r, 0.12)) return pick(r, RAW_ENCODINGS);
  const s = typeof v === 'string' ? v : JSON.stringify(v) ?? '';
  // A lone surrogate has no UTF-8 form: send the bytes a broken encoder would (CESU-8).
  return s.slice(0, 8000).replace(/[\s\S]/gu, (c) => (/[\uD800-\uDFFF]/.test(c) && c.length === 1 ? '%ED%A0%80' : encodeURIComponent(c))).replace(/%20/g, '+');
}

function formBody(r: Rand, input: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(input)) {
    const values = Array.isArray(v) && chance(r, 0.5) ? v : [v];
    for (const x of values) parts.push(`${encodeValue(r, k)}=${encodeValue(r, x)}`);
  }
  if (chance(r, 0.1)) parts.push(`${'a' + '[b]'.repeat(pick(r, [10, 100, 1000]))}=1`);
  return parts.join('&');
}

function multipartBody(r: Rand, input: Record<string, unknown>): { payload: Buffer; type: string } {
  const boundary = `----fuzz${Math.floor(r() * 1e9)}`;
  const chunks: Buffer[] = [];
  for (const [k, v] of Object.entries(input)) {
    const value = typeof v === 'string' ? v : JSON.stringify(v) ?? '';
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k.replace(/"/g, '')}"\r\n\r\n${value.slice(0, 8000)}\r\n`));
  }
  if (chance(r, 0.3)) chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${pick(r, ['upload', 'file', 'constructor'])}"; filename="${pick(r, ['a.csv', 'x.constructor', '../../a', 'a\u0000.csv', ''])}"\r\nContent-Type: text/csv\r\n\r\na,b\n1,2\r\n`));
  const broken = r();
  if (broken < 0.15) return { payload: Buffer.concat(chunks).subarray(0, Math.floor(Buffer.concat(chunks).length / 2)), type: `multipart/form-data; boundary=${boundary}` };
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  const payload = Buffer.concat(chunks);
  if (broken < 0.25) return { payload, type: 'multipart/form-data' };
  if (broken < 0.3) return { payload, type: `multipart/form-data; boundary=${boundary}x` };
  return { payload, type: `multipart/form-data; boundary=${boundary}` };
}

function jsonBody(r: Rand, input: Record<string, unknown>): Buffer {
  const k = r();
  const text = JSON.stringify(input) ?? '{}';
  if (k < 0.06) return Buffer.from(text.replace(/^\{/, `{"${pick(r, Object.keys(input).length ? Object.keys(input) : ['id'])}":1,`));
  if (k < 0.1) return Buffer.concat([Buffer.from('{"id":"'), Buffer.from([0xff, 0xfe, 0xc0, 0xaf]), Buffer.from('"}')]);
  if (k < 0.13) return Buffer.from(text.slice(0, Math.floor(text.length / 2)));
  if (k < 0.16) return Buffer.from(pick(r, ['[]', '"x"', '1', 'null', '{"__proto__":{"sysadmin":true}}', '{"constructor":{"prototype":{"x":1}}}', '{"a":' + '['.repeat(5000) + ']'.repeat(5000) + '}']));
  return Buffer.from(text);
}

interface Req {
  method: 'GET' | 'POST' | 'HEAD' | 'OPTIONS' | 'PUT' | 'DELETE';
  url: string;
  headers: Record<string, string>;
  payload?: Buffer | string;
}

function apiRequest(r: Rand, defs: ActionDef[]): { req: Req; def: ActionDef | null } {
  const def = chance(r, 0.97) ? pick(r, defs) : null;
  const name = def ? def.name : pick(r, ['constructor', '__proto__', 'toString', 'a%00b', '%FF', 'package_show%00', 'x'.repeat(400)]);
  const prefix = pick(r, ['/api/3/action/', '/api/action/']);
  const input = def ? inputFor(r, def) : { id: 'x' };
  const headers: Record<string, string> = {};
  const who = r();
  if (who < 0.35) headers.authorization = editor;
  else if (who < 0.7) headers.authorization = admin;
  else if (who < 0.73) headers.authorization = pick(r, ['garbage', 'Bearer ', 'a\u0001b', 'x'.repeat(5000)]);
  if (chance(r, 0.1)) headers['accept-language'] = pick(r, ['en', 'th', 'xx', '*;q=a']);
  const m = r();
  if (m < 0.3 || (def?.readOnly && m < 0.45)) {
    const qs = Object.entries(input).map(([k, v]) => `${encodeValue(r, k)}=${encodeValue(r, v)}`).join('&');
    return { req: { method: chance(r, 0.85) ? 'GET' : pick(r, ['HEAD', 'OPTIONS'] as const), url: `${prefix}${name}?${qs}`, headers }, def };
  }
  if (m < 0.33) return { req: { method: pick(r, ['PUT', 'DELETE'] as const), url: `${prefix}${name}`, headers }, def };
  const ct = r();
  if (ct < 0.45) {
    headers['content-type'] = pick(r, ['application/json', 'application/json; charset=utf-8', 'application/json; charset=latin1', 'application/JSON', 'application/json;;']);
    return { req: { method: 'POST', url: `${prefix}${name}`, headers, payload: jsonBody(r, input) }, def };
  }
  if (ct < 0.62) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    return { req: { method: 'POST', url: `${prefix}${name}`, headers, payload: chance(r, 0.1) ? jsonBody(r, input) : formBody(r, input) }, def };
  }
  if (ct < 0.78) {
    const mp = multipartBody(r, input);
    headers['content-type'] = mp.type;
    return { req: { method: 'POST', url: `${prefix}${name}`, headers, payload: mp.payload }, def };
  }
  if (ct < 0.86) {
    headers['content-type'] = 'text/plain';
    return { req: { method: 'POST', url: `${prefix}${name}`, headers, payload: jsonBody(r, input) }, def };
  }
  if (ct < 0.93) {
    headers['content-type'] = pick(r, ['application/xml', 'text/html', 'foo/bar', 'application/octet-stream', 'multipart/mixed', 'application/x-www-form-urlencoded; charset=ebcdic', '', ';', 'a\u0001/b']);
    return { req: { method: 'POST', url: `${prefix}${name}`, headers, payload: jsonBody(r, input) }, def };
  }
  return { req: { method: 'POST', url: `${prefix}${name}`, headers, payload: chance(r, 0.5) ? jsonBody(r, input) : undefined }, def };
}

const SEGMENTS = ['a%00b', '%00', '%FF', '%C0%AF', '%ED%A0%80', '%', '%zz', 'constructor', '__proto__', 'toString', '..%2F..%2Fetc', '%E0%B8%81', 'x'.repeat(299), 'x'.repeat(301), '%0d%0aSet-Cookie:%20x=1'];

function portalRequest(r: Rand): Req {
  const seg = () => (chance(r, 0.75) ? pick(r, SEGMENTS) : pick(r, [fixture.dataset, fixture.org, fixture.group, 'fz-editor', fixture.resource]));
  const q = () => `${pick(r, ['q', 'tags', 'organization', 'groups', 'res_format', 'sort', 'page', 'came_from', 'next', 'lang', 'data_category', 'license_id', ...PROTO_KEYS])}=${encodeValue(r, hostileValue(r))}`;
  const query = Array.from({ length: Math.floor(r() * 4) }, q).join('&');
  const path = pick(r, [
    () => `/dataset/${seg()}`, () => `/organization/${seg()}`, () => `/group/${seg()}`, () => `/user/${seg()}`, () => '/dataset', () => '/',
    () => `/dataset/activity/${seg()}`, () => `/dataset/${seg()}/resource/${seg()}`, () => `/dataset/${seg()}/resource/${seg()}/download/${seg()}`,
    () => `/lang/${seg()}`, () => '/user/login', () => `/dataset/edit/${seg()}`, () => `/dataset/groups/${seg()}`, () => `/organization/members/${seg()}`, () => `/${seg()}`,
    () => '/user/logout', () => '/dashboard', () => '/ckan-admin', () => `/user/${seg()}/api-tokens`,
  ])();
  const url = query ? `${path}?${query}` : path;
  if (chance(r, 0.15)) {
    return { method: 'POST', url: pick(r, ['/user/login', '/user/logout', '/dataset/new', `/dataset/edit/${fixture.dataset}`, '/user/password']), headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: formBody(r, { login: hostileValue(r), password: hostileValue(r), came_from: hostileValue(r), _csrf: 'x' }) };
  }
  return { method: chance(r, 0.9) ? 'GET' : 'HEAD', url, headers: {} };
}

function describeReq(req: Req): string {
  const body = req.payload === undefined ? '' : Buffer.isBuffer(req.payload) ? req.payload.toString('latin1') : req.payload;
  return `${req.method} ${req.url.slice(0, 500)} ${JSON.stringify(req.headers).slice(0, 300)}${body ? `\n    body (${body.length} bytes): ${JSON.stringify(body.slice(0, 600))}` : ''}`;
}

test(`[${STORE_KIND}] fuzz: ${N} hostile requests (seed ${SEED}) — no 5xx, no write on a safe method, nosniff on every API answer`, { timeout: 300_000 }, async (t) => {
  const statuses = new Map<string, number>();
  const r = prng(SEED);
  const defs = allActions();
  assert.ok(defs.length > 30, 'the registry lists the actions');
  const failures: string[] = [];
  const started = Date.now();
  for (let i = 0; i < N; i++) {
    const portal = chance(r, 0.2);
    const { req, def } = portal ? { req: portalRequest(r), def: null } : apiRequest(r, defs);
    const res = await env.app.inject({ method: req.method, url: req.url, headers: req.headers, payload: req.payload });
    const bucket = `${res.statusCode}`;
    statuses.set(bucket, (statuses.get(bucket) ?? 0) + 1);
    if (process.env.BANCHI_FUZZ_STATS && def) statuses.set(`${def.name} ${res.statusCode}`, (statuses.get(`${def.name} ${res.statusCode}`) ?? 0) + 1);
    const problems: string[] = [];
    if (res.statusCode >= 500) problems.push(`${res.statusCode}: ${res.body.slice(0, 300)}`);
    if (def && !def.readOnly && ['GET', 'HEAD', 'OPTIONS'].includes(req.method) && res.statusCode < 300) problems.push(`write action ${def.name} answered ${res.statusCode} on ${req.method}`);
    if (req.url.startsWith('/api/') && res.headers['x-content-type-options'] !== 'nosniff') problems.push('API answer without X-Content-Type-Options: nosniff');
    if (problems.length) failures.push(`#${i} ${describeReq(req)}\n    → ${problems.join('; ')}`);
    // Tokens may have been revoked by a fuzzed call: keep the signed-in share of the run signed in.
    if (i % 200 === 199) {
      editor = (await sys(env, 'api_token_create', { user: 'fz-editor', name: 'fuzz' }).catch(() => ({ token: editor }))).token;
      admin = (await sys(env, 'api_token_create', { user: 'fz-admin', name: 'fuzz' }).catch(() => ({ token: admin }))).token;
    }
  }
  const seconds = (Date.now() - started) / 1000;
  t.diagnostic(`statuses: ${[...statuses].sort().map(([k, v]) => `${k}×${v}`).join(', ')}`);
  assert.deepEqual(failures.slice(0, 25), [], `${failures.length} of ${N} requests failed (seed ${SEED}, ${seconds.toFixed(1)} s):\n${failures.slice(0, 25).join('\n')}`);
});

/** The portal's forms as a signed-in editor with a valid CSRF token, so hostile fields reach the handlers and actions. */
const FORM_N = Math.max(100, Math.round(N / 10));
const FORM_URLS = () => [
  '/dataset/new', `/dataset/edit/${fixture.dataset}`, `/dataset/${fixture.dataset}/resource/new`, `/dataset/${fixture.dataset}/resource/${fixture.resource}/edit`,
  `/dataset/groups/${fixture.dataset}`, `/dataset/resources/${fixture.dataset}/finish`, `/organization/members/${fixture.org}`, `/organization/members/${fixture.org}/delete`,
  '/user/fz-editor/api-tokens', '/user/fz-editor/api-tokens/x/revoke', '/user/2fa/setup', '/user/2fa/verify', '/user/login', '/ckan-admin/users', `/dataset/${fixture.dataset}/resource/${fixture.resource}/delete`,
];
const FORM_KEYS = ['name', 'title', 'notes', 'owner_org', 'tags', 'tag_string', 'url', 'format', 'description', 'data_type', 'data_format', 'objective', 'data_category', 'data_classification', 'created_date',
  'username', 'role', 'group', 'groups', 'expires_in', 'code', 'login', 'password', 'came_from', 'step', 'save', 'link', 'resource_type', 'data_dictionary', 'created', 'last_modified', ...PROTO_KEYS];

test(`[${STORE_KIND}] fuzz: ${FORM_N} hostile portal forms as a signed-in editor with a valid CSRF token — no 5xx`, { timeout: 300_000 }, async () => {
  const r = prng(SEED + 1);
  const failures: string[] = [];
  let client = new PageClient(env.app);
  let csrf = '';
  const signIn = async () => {
    client = new PageClient(env.app);
    await client.signIn('fz-editor', 'correct horse battery');
    csrf = client.csrf((await client.get('/dataset/new')).body);
  };
  await signIn();
  for (let i = 0; i < FORM_N; i++) {
    const url = pick(r, FORM_URLS());
    const fields: Record<string, unknown> = { ...(chance(r, 0.5) ? datasetInput(fixture.org) : {}) };
    for (let k = 0, n = 1 + Math.floor(r() * 4); k < n; k++) fields[pick(r, [...FORM_KEYS, ...std.datasetFields.keys()])] = hostileValue(r);
    fields._csrf = csrf;
    const headers: Record<string, string> = { cookie: client.cookieHeader() };
    let payload: Buffer | string;
    const kind = r();
    if (kind < 0.5) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      payload = formBody(r, fields).replace(/(^|&)_csrf=[^&]*/, '') + `&_csrf=${encodeURIComponent(csrf)}`;
    } else if (kind < 0.8) {
      const mp = multipartBody(r, fields);
      headers['content-type'] = mp.type;
      payload = mp.payload;
    } else {
      headers['content-type'] = 'application/json';
      payload = jsonBody(r, fields);
    }
    const res = await env.app.inject({ method: 'POST', url, headers, payload, remoteAddress: client.ip });
    if (res.statusCode >= 500) failures.push(`#${i} ${describeReq({ method: 'POST', url, headers, payload })}\n    → ${res.statusCode}: ${res.body.replace(/\s+/g, ' ').slice(0, 200)}`);
    // A fuzzed form may have signed the editor out (or changed what the session may do): start again.
    if (i % 100 === 99) await signIn();
  }
  assert.deepEqual(failures.slice(0, 25), [], `${failures.length} of ${FORM_N} forms failed (seed ${SEED + 1}):\n${failures.slice(0, 25).join('\n')}`);
});
