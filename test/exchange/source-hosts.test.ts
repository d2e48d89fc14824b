import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { as, STORE_KIND } from '../helpers.ts';
import { fixture, fails, type Fixture } from '../governance/agreements-fixture.ts';
import { loadConfig, ConfigError } from '../../src/config.ts';
import { parseSourceHosts, refusedSourceHost } from '../../src/util/source-hosts.ts';
import { pullToFile, PullError } from '../../src/exchange/integration/pull.ts';
import { restConnector } from '../../src/exchange/lookup/connector.ts';

/**
 * Integration pulls and look-up connectors are set up by editors and IT officers, not by the
 * sysadmin: a private, loopback or link-local address (this server's database, cloud metadata, the
 * agency's internal network) is reached only where BANCHI_SOURCE_HOSTS lists it, at set-up, at each
 * run and at each redirect hop.
 */
let f: Fixture;
let server: http.Server;
let base = '';
let hits = 0;
let dir = '';
let resource = '';
before(async () => {
  // Nothing private is allowed in this file's environment: the default of a fresh install.
  f = await fixture();
  f.env.services.config.sourceHosts = '';
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'banchi-source-hosts-'));
  server = http.createServer((req, res) => {
    hits++;
    if (req.url === '/hop') return res.writeHead(302, { location: `http://127.0.0.1:${(server.address() as AddressInfo).port}/secret.csv` }).end();
    res.writeHead(200, { 'content-type': 'text/csv' }).end('secret\nyes\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  resource = (await as(f.env, f.people.editor, 'resource_create', { package_id: 'tenants', name: 'ดึงข้อมูลภายใน', url: 'https://example.go.th/x.csv', format: 'CSV' })).id;
});
after(async () => {
  server.close();
  fs.rmSync(dir, { recursive: true, force: true });
  await f.env.close();
});

test('BANCHI_SOURCE_HOSTS: names, *.suffixes, addresses and subnets; anything else stops the start', async () => {
  const list = '10.20.0.0/16, db.agency.local, *.internal.go.th, 127.0.0.1, [::1]';
  assert.doesNotThrow(() => parseSourceHosts(list));
  for (const bad of ['10.0.0.0/40', 'http://x', 'a b', '*.', '::1/200']) {
    assert.throws(() => loadConfig({ BANCHI_DATA_DIR: dir, BANCHI_SOURCE_HOSTS: bad } as NodeJS.ProcessEnv), ConfigError, bad);
  }
  assert.equal(await refusedSourceHost('10.20.3.4', list), null);
  assert.equal(await refusedSourceHost('127.0.0.1', list), null);
  assert.equal(await refusedSourceHost('::1', list), null);
  assert.match((await refusedSourceHost('10.21.0.1', list))!, /private or loopback/);
  // Every spelling of loopback is loopback; public addresses are always reachable.
  for (const h of ['127.0.0.2', '::ffff:127.0.0.1', '[::ffff:7f00:1]', '169.254.169.254', '0.0.0.0', 'fd00::1']) assert.match((await refusedSourceHost(h, ''))!, /private or loopback/, h);
  assert.equal(await refusedSourceHost('203.0.113.9', ''), null);
  // A listed name passes whatever private address it resolves to; an unlisted name that resolves to loopback does not.
  assert.equal(await refusedSourceHost('localhost', 'localhost'), null);
  assert.match((await refusedSourceHost('localhost', ''))!, /private or loopback/);
});

test(`[${STORE_KIND}] an editor cannot point a pull at this server's own network: refused when set up, with a Thai and English field error`, async () => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['postgresql', { connection: 'postgresql://postgres@127.0.0.1:5432/postgres', query: 'SELECT name, password_hash FROM users' }, 'connection'],
    ['mariadb', { connection: 'mysql://root@localhost:3306/mysql', query: 'SELECT user FROM user' }, 'connection'],
    ['csv_url', { url: `${base}/secret.csv` }, 'url'],
    ['json_url', { url: 'http://169.254.169.254/latest/meta-data/' }, 'url'],
    ['csv_url', { url: 'http://[::ffff:7f00:1]:5432/' }, 'url'],
  ];
  for (const [kind, extra, field] of cases) {
    const e = await fails(as(f.env, f.people.editor, 'integration_source_create', { name: `in-${kind}-${field}-${hits}-${Math.random().toString(36).slice(2, 7)}`, resource_id: resource, kind, frequency: 'daily', ...extra }));
    assert.equal(e.name, 'ValidationError', `${kind}: ${e.message}`);
    const msgs = JSON.stringify(e.errors?.[field]);
    assert.match(msgs, /BANCHI_SOURCE_HOSTS/, `${kind} ${msgs}`);
  }
  assert.equal(hits, 0, 'the internal server was asked');
  assert.equal((await f.env.services.store.db.selectFrom('integration_sources').select('id').execute()).length, 0);
});

test('a stored pull is judged again when it runs: a private host, or a public one redirecting into one, is not fetched', async () => {
  const file = path.join(dir, 'pull.csv');
  for (const spec of [
    { kind: 'csv_url' as const, url: `${base}/secret.csv`, query: '', records_path: '' },
    { kind: 'json_url' as const, url: `${base}/secret.json`, query: '', records_path: '' },
  ]) await assert.rejects(pullToFile(spec, null, file), (e: Error) => e instanceof PullError && /private or loopback/.test(e.message), spec.url);
  await assert.rejects(pullToFile({ kind: 'postgresql', url: '', query: 'SELECT 1', records_path: '' }, 'postgresql://postgres@127.0.0.1:5432/postgres', file), /private or loopback/);
  assert.equal(hits, 0);
  // Allowed by name only ("localhost"): the redirect to 127.0.0.1 is a host the list does not name.
  await assert.rejects(pullToFile({ kind: 'csv_url', url: `${base.replace('127.0.0.1', 'localhost')}/hop`, query: '', records_path: '' }, null, file, { sourceHosts: 'localhost' }), /127\.0\.0\.1.*private or loopback/);
  assert.equal(hits, 1, 'only the listed host was asked');
  // Listed, it is fetched.
  assert.equal(await pullToFile({ kind: 'csv_url', url: `${base}/hop`, query: '', records_path: '' }, null, file, { sourceHosts: '127.0.0.1' }), -1);
  assert.equal(fs.readFileSync(file, 'utf8'), 'secret\nyes\n');
});

test(`[${STORE_KIND}] a look-up source on an address the sysadmin did not allow: refused when set up, unavailable when asked`, async () => {
  const connector = { preset: 'rest', url: `${base}/benefit/{citizen_id}`, method: 'GET', timeout_ms: 2000, status_field: 'status', statuses: { PAID: 'received' } };
  const e = await fails(as(f.env, f.people.it, 'lookup_source_create', { name: 'internal', title_th: 'ภายใน', title_en: 'internal', organization: 'nha', dataset: 'tenants', connector }));
  assert.match(JSON.stringify(e.errors?.['connector.url']), /BANCHI_SOURCE_HOSTS/);
  const before = hits;
  const answer = await restConnector(connector as never, null, '').ask('1101700230708', AbortSignal.timeout(2000));
  assert.deepEqual(answer, { status: 'unavailable', reason: 'address_refused' });
  assert.equal(hits, before, 'the internal server was asked');
});
