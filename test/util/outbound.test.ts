import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import net, { type AddressInfo } from 'node:net';
import { outboundFetch, publicOnly, useResolver } from '../../src/util/outbound.ts';
import { sourceHostsJudge } from '../../src/util/source-hosts.ts';
import { checkUrl } from '../../src/quality/http-check.ts';
import { harvestFetch } from '../../src/harvest/http.ts';
import { pullToFile } from '../../src/exchange/integration/pull.ts';
import { restConnector } from '../../src/exchange/lookup/connector.ts';

/**
 * DNS rebinding: a name that answers a public address when it is judged and 127.0.0.1 when it is
 * connected to must not reach this server's own network. Every outbound caller resolves once and
 * connects to the address it judged; the resolver here answers 203.0.113.7 (public) for "localhost"
 * first and 127.0.0.1 on every later ask, so a second resolution (the seam's or the system's, which
 * connecting by name would do) lands on the loopback server.
 */
let server: http.Server;
let port = 0;
let hits: Array<{ url: string; host: string | undefined }> = [];
let restore: () => void = () => undefined;
let asked = 0;
const TESTS_HOSTS = '127.0.0.1,::1,localhost';

before(async () => {
  server = http.createServer((req, res) => {
    hits.push({ url: req.url ?? '', host: req.headers.host });
    if (req.url === '/hop') return res.writeHead(302, { location: `http://localhost:${port}/secret.csv` }).end();
    res.writeHead(200, { 'content-type': 'text/csv' }).end('secret\nyes\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
after(() => server.close());
afterEach(() => {
  restore();
  hits = [];
});

function rebinding(): void {
  asked = 0;
  restore = useResolver(async (host) => (host === 'localhost' ? (asked++ === 0 ? ['203.0.113.7'] : ['127.0.0.1']) : []));
}

const target = () => `http://localhost:${port}/secret.csv`;

test('outboundFetch connects to the address it judged, not to a second resolution', async () => {
  rebinding();
  await assert.rejects(outboundFetch(target(), { judge: publicOnly, maxRedirects: 0, hopTimeoutMs: 500 }));
  assert.equal(asked, 1, 'the name was resolved once');
  assert.deepEqual(hits, [], 'the loopback server was reached');
});

test('every caller: link checker, harvest, URL pull, look-up connector', async () => {
  rebinding();
  const link = await checkUrl(target(), { timeoutMs: 500, concurrency: 2, allowPrivate: false });
  assert.notEqual(link.status, 'ok');
  rebinding();
  await assert.rejects(harvestFetch(target(), { judge: sourceHostsJudge(''), timeoutMs: 500 }));
  rebinding();
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'banchi-outbound-')), 'pull.csv');
  await assert.rejects(pullToFile({ kind: 'csv_url', url: target(), query: '', records_path: '' }, null, file, { sourceHosts: '', idleMs: 500 }));
  rebinding();
  const connector = { preset: 'rest', url: `http://localhost:${port}/benefit/{citizen_id}`, method: 'GET', timeout_ms: 500, status_field: 'status', statuses: { PAID: 'received' } };
  const answer = await restConnector(connector as never, null, '').ask('1101700230708', AbortSignal.timeout(500));
  assert.equal(answer.status, 'unavailable');
  assert.deepEqual(hits, [], 'the loopback server was reached');
});

test('a redirect hop is judged and pinned the same way', async () => {
  rebinding();
  // The first hop is a listed address; the hop it names resolves public, then loopback.
  await assert.rejects(harvestFetch(`http://127.0.0.1:${port}/hop`, { judge: sourceHostsJudge('127.0.0.1'), timeoutMs: 500 }));
  assert.deepEqual(hits.map((h) => h.url), ['/hop']);
});

test('allowed hosts still work, the Host header staying the name', async () => {
  restore = useResolver(async (host) => (host === 'db.agency.local' ? ['127.0.0.1'] : []));
  const named = await harvestFetch(`http://db.agency.local:${port}/x.csv`, { judge: sourceHostsJudge('db.agency.local'), timeoutMs: 2000 });
  assert.equal(named.text, 'secret\nyes\n');
  assert.equal(hits.at(-1)?.host, `db.agency.local:${port}`);
  // Not listed: refused before any request.
  await assert.rejects(harvestFetch(`http://db.agency.local:${port}/x.csv`, { judge: sourceHostsJudge(''), timeoutMs: 2000 }), /private or loopback address \(127\.0\.0\.1\)/);
  restore();
  // The tests' own setting, through the system resolver.
  for (const host of ['127.0.0.1', 'localhost']) {
    const res = await outboundFetch(`http://${host}:${port}/x.csv`, { judge: sourceHostsJudge(TESTS_HOSTS), maxRedirects: 0, hopTimeoutMs: 2000 });
    assert.equal(await res.text(), 'secret\nyes\n', host);
  }
  assert.equal(hits.length, 3);
});

test('a PostgreSQL pull connects to the address it judged', async () => {
  let connections = 0;
  const db = net.createServer((s) => {
    connections++;
    s.destroy();
  });
  await new Promise<void>((r) => db.listen(0, '127.0.0.1', r));
  try {
    rebinding();
    const dsn = `postgresql://u:p@localhost:${(db.address() as AddressInfo).port}/x?connect_timeout=1`;
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'banchi-outbound-')), 'pull.csv');
    await assert.rejects(pullToFile({ kind: 'postgresql', url: '', query: 'select 1', records_path: '' }, dsn, file, { sourceHosts: '' }));
    assert.equal(asked, 1);
    assert.equal(connections, 0, 'the loopback database was reached');
  } finally {
    db.close();
  }
});

test('a MariaDB pull connects to the address it judged', async () => {
  let connections = 0;
  const db = net.createServer((s) => {
    connections++;
    s.destroy();
  });
  await new Promise<void>((r) => db.listen(0, '127.0.0.1', r));
  try {
    rebinding();
    const dsn = `mysql://u:p@localhost:${(db.address() as AddressInfo).port}/x`;
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'banchi-outbound-')), 'pull.csv');
    await assert.rejects(pullToFile({ kind: 'mariadb', url: '', query: 'select 1', records_path: '' }, dsn, file, { sourceHosts: '' }), /MariaDB/);
    assert.equal(asked, 1);
    assert.equal(connections, 0, 'the loopback database was reached');
  } finally {
    db.close();
  }
});
