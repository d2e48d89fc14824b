import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { pullToFile, PullError } from '../../src/exchange/integration/pull.ts';

/** The test's sources listen on loopback, which a pull reaches only where BANCHI_SOURCE_HOSTS lists it. */
const LOOPBACK = { sourceHosts: '127.0.0.1' };

/** What a pull writes for the loader, and how long it waits: against this machine's PostgreSQL and sources on loopback. */
const PG_URL = 'postgresql://postgres@127.0.0.1:5432/postgres';
let dir = '';
let server: http.Server;
let base = '';
const open = new Set<http.ServerResponse>();

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'banchi-pull-'));
  server = http.createServer((req, res) => {
    open.add(res);
    res.on('close', () => open.delete(res));
    if (req.url === '/silent') return; // never answers
    if (req.url === '/slow.csv') {
      // Longer in all than the idle time-out, but never silent for that long.
      res.writeHead(200, { 'content-type': 'text/csv' });
      res.write('a,b\n');
      let n = 0;
      const t = setInterval(() => (++n > 8 ? (clearInterval(t), res.end()) : res.write(`${n},x\n`)), 100);
      return;
    }
    if (req.url === '/endless.csv') {
      res.writeHead(200, { 'content-type': 'text/csv' });
      res.write('a\n');
      const t = setInterval(() => res.write('1\n'), 50);
      res.on('close', () => clearInterval(t));
      return;
    }
    if (req.url === '/stall.csv') {
      res.writeHead(200, { 'content-type': 'text/csv' });
      return res.write('a\n1\n'); // then nothing
    }
    if (req.url === '/many.json') {
      const records: Record<string, unknown>[] = Array.from({ length: 1500 }, (_, i) => ({ id: i }));
      records[1200]!.late = 'มาทีหลัง';
      return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(records));
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  for (const r of open) r.destroy();
  await new Promise((r) => server.close(r));
  fs.rmSync(dir, { recursive: true, force: true });
});

const file = () => path.join(dir, `${Math.random().toString(36).slice(2)}.csv`);
const spec = (kind: 'csv_url' | 'json_url' | 'postgresql', url: string, query = '') => ({ kind, url, query, records_path: '' });

test('a PostgreSQL pull writes values as PostgreSQL writes them: a date stays that date whatever this server\'s time zone', async () => {
  const tz = process.env.TZ;
  process.env.TZ = 'Asia/Bangkok';
  try {
    const f = file();
    await pullToFile(spec('postgresql', '', `SELECT '2026-01-31'::date AS d, '2026-01-31 08:30'::timestamp AS ts, true AS b, 1.50::numeric AS n`), PG_URL, f, LOOPBACK);
    assert.equal(fs.readFileSync(f, 'utf8'), 'd,ts,b,n\n2026-01-31,2026-01-31 08:30:00,t,1.50\n');
  } finally {
    if (tz === undefined) delete process.env.TZ;
    else process.env.TZ = tz;
  }
});

test('a JSON pull has a column for every key, also one first met after the first thousand records', async () => {
  const f = file();
  assert.equal(await pullToFile(spec('json_url', `${base}/many.json`), null, f, LOOPBACK), 1500);
  const lines = fs.readFileSync(f, 'utf8').split('\n');
  assert.equal(lines[0], 'id,late');
  assert.equal(lines[1201], '1200,มาทีหลัง');
});

test('a URL pull waits for a silent source only so long, a slow one as long as it sends, and no pull for ever', { timeout: 20_000 }, async () => {
  const t = performance.now();
  await assert.rejects(pullToFile(spec('csv_url', `${base}/silent`), null, file(), { ...LOOPBACK, idleMs: 300 }), (e: Error) => e instanceof PullError && /sent nothing for/.test(e.message));
  await assert.rejects(pullToFile(spec('csv_url', `${base}/stall.csv`), null, file(), { ...LOOPBACK, idleMs: 300 }), (e: Error) => e instanceof PullError && /sent nothing for/.test(e.message));
  assert.ok(performance.now() - t < 5000);
  const f = file();
  await pullToFile(spec('csv_url', `${base}/slow.csv`), null, f, { ...LOOPBACK, idleMs: 400 });
  assert.equal(fs.readFileSync(f, 'utf8').split('\n').length, 10);
  await assert.rejects(pullToFile(spec('csv_url', `${base}/endless.csv`), null, file(), { ...LOOPBACK, idleMs: 400, maxMs: 700 }), (e: Error) => e instanceof PullError && /longer than/.test(e.message));
  await assert.rejects(pullToFile(spec('postgresql', '', 'SELECT pg_sleep(0.05) FROM generate_series(1, 100000)'), PG_URL, file(), { ...LOOPBACK, maxMs: 300 }), (e: Error) => e instanceof PullError && /longer than/.test(e.message));
});
