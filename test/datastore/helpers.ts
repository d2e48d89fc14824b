import assert from 'node:assert/strict';
import { api, type TestEnv } from '../helpers.ts';
import { runLoadJob } from '../../src/datastore/load.ts';

/** A multipart resource_create or resource_update with a file, as CKAN clients send it. */
export async function upload(env: TestEnv, token: string, fields: Record<string, string>, name: string, body: Buffer | string, action = 'resource_create') {
  const parts: Buffer[] = [];
  const push = (s: string) => parts.push(Buffer.from(s));
  for (const [k, v] of Object.entries(fields)) push(`--B\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`);
  push(`--B\r\nContent-Disposition: form-data; name="upload"; filename="${name}"\r\nContent-Type: application/octet-stream\r\n\r\n`);
  parts.push(Buffer.isBuffer(body) ? body : Buffer.from(body));
  push('\r\n--B--\r\n');
  const r = await env.app.inject({ method: 'POST', url: `/api/3/action/${action}`, headers: { authorization: token, 'content-type': 'multipart/form-data; boundary=B' }, payload: Buffer.concat(parts) });
  assert.equal(r.statusCode, 200, r.body);
  return r.json().result as { id: string };
}

/** Runs the queued load jobs now (what the server's worker does every second). */
export async function runLoads(env: TestEnv): Promise<void> {
  const db = env.services.store.db;
  for (;;) {
    const job = await db.selectFrom('jobs').select(['id', 'payload']).where('queue', '=', 'datastore_load').where('state', '=', 'queued').orderBy('id').executeTakeFirst();
    if (!job) return;
    await db.updateTable('jobs').set({ state: 'running' }).where('id', '=', job.id).execute();
    await runLoadJob(env.services, job.payload as Record<string, unknown>);
    await db.updateTable('jobs').set({ state: 'done' }).where('id', '=', job.id).execute();
  }
}

export async function search(env: TestEnv, input: Record<string, unknown>, token?: string) {
  return api(env, 'datastore_search', input, { token, lang: 'en' });
}
