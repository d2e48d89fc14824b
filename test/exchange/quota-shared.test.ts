import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openServices } from '../../src/services.ts';
import { buildApp } from '../../src/app.ts';
import type { FastifyInstance } from 'fastify';
import type { Services } from '../../src/actions/context.ts';
import { SERVER_URL, STORE_KIND } from '../helpers.ts';
import { provider, activeAgreement, type Provider } from './fixture.ts';

/**
 * The quota holds across server processes: on PostgreSQL a second server (its own connection pool
 * over the same database, as another process would have) shares the counter; calls race from both.
 * On PGlite (one process by nature) the same race runs within one server.
 */
let p: Provider;
let second: { services: Services; app: FastifyInstance } | null = null;
before(async () => {
  p = await provider();
  if (SERVER_URL) {
    const services = await openServices(p.config());
    second = { services, app: await buildApp(services) };
  }
});
after(async () => {
  if (second) { await second.app.close(); await second.services.store.close(); }
  await p.env.close();
});

test(`[${STORE_KIND}] quota: 20 concurrent calls from ${SERVER_URL ? 'two servers' : 'one server'} on a quota of 7 → exactly 7 answered, 13 × 429`, async () => {
  const ag = await activeAgreement(p, { frequency_count: 7 });
  const apps = [p.env.app, second?.app ?? p.env.app];
  const url = `/exchange/v1/agreements/${ag.number}/resources/${p.resource}/records?purpose=race`;
  const res = await Promise.all(Array.from({ length: 20 }, (_, i) => apps[i % 2]!.inject({ method: 'GET', url, headers: { authorization: `Bearer ${p.tokens.partner}` } })));
  const codes = res.map((r) => r.statusCode).sort();
  assert.deepEqual(codes, [...Array(7).fill(200), ...Array(13).fill(429)], res.map((r) => r.body.slice(0, 100)).join('\n'));
  assert.ok(res.filter((r) => r.statusCode === 429).every((r) => Number(r.headers['retry-after']) > 0));
  // The count is spread over slots (migration 025): together exactly the 7 answered calls.
  const used = await p.env.services.store.db.selectFrom('exchange_usage').select('calls').where('agreement_id', '=', ag.id).execute();
  assert.equal(used.reduce((n, u) => n + u.calls, 0), 7);
  const audited = await p.env.services.store.db.selectFrom('audit_log').select('action').where('object_id', '=', ag.id).where('action', 'in', ['exchange_call', 'exchange_refused']).execute();
  assert.equal(audited.filter((a) => a.action === 'exchange_call').length, 7);
  assert.equal(audited.filter((a) => a.action === 'exchange_refused').length, 13);
});
