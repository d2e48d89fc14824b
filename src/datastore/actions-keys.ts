import crypto from 'node:crypto';
import { sql } from 'kysely';
import { defineAction } from '../actions/registry.ts';
import { NotFoundError, ValidationError } from '../actions/errors.ts';
import { userId } from '../access/actor.ts';
import { hashToken } from '../access/tokens.ts';
import { openTable, readResourceId, timeoutColumn } from './access.ts';
import { getTable } from './meta.ts';
import { readSearch, runSearch } from './query.ts';
import { openApiFor } from './openapi.ts';

const KEY_PREFIX = 'banchi_ds_';

export function isDatastoreKey(raw: string): boolean {
  return raw.replace(/^Bearer\s+/i, '').trim().startsWith(KEY_PREFIX);
}

export const datastoreApiKeyCreate = defineAction({
  name: 'datastore_api_key_create',
  readOnly: false,
  summary: 'A key that reads one resource\'s DataStore table through /api/datastore/<resource_id> and nothing else; shown once.',
  params: {
    resource_id: { type: 'string', description: 'resource id', required: true },
    name: { type: 'string', description: 'who the key is for (e.g. the partner agency)' },
    expires_in_days: { type: 'integer', description: 'days until the key stops working (default 365)' },
  },
  async run(ctx, input) {
    const id = readResourceId(input);
    await openTable(ctx, id, 'datastore_api_key_create', { write: true, needTable: false, personal: true });
    const days = input.expires_in_days === undefined ? 365 : Number(input.expires_in_days);
    if (!Number.isInteger(days) || days < 1 || days > 3650) throw ValidationError.field('expires_in_days', { th: 'ต้องเป็นจำนวนวัน 1–3650', en: 'Must be 1 to 3650 days' });
    const name = typeof input.name === 'string' ? input.name.slice(0, 200) : '';
    const token = `${KEY_PREFIX}${crypto.randomBytes(32).toString('base64url')}`;
    const keyId = crypto.randomUUID();
    const expires = new Date(ctx.now.getTime() + days * 86400_000);
    await sql`INSERT INTO datastore_api_keys (id, resource_id, token_hash, name, created, created_by, expires_at) VALUES (${keyId}, ${id}, ${hashToken(token)}, ${name}, ${ctx.now}, ${userId(ctx.actor)}, ${expires})`.execute(ctx.db);
    await ctx.audit({ action: 'datastore_api_key_create', object_type: 'resource', object_id: id, detail: { key_id: keyId, name } });
    return { id: keyId, resource_id: id, name, token, expires_at: expires.toISOString() };
  },
});

export const datastoreApiKeyList = defineAction({
  name: 'datastore_api_key_list',
  readOnly: true,
  summary: 'Keys scoped to a resource (never the tokens themselves).',
  params: { resource_id: { type: 'string', description: 'resource id', required: true } },
  async run(ctx, input) {
    const id = readResourceId(input);
    await openTable(ctx, id, 'datastore_api_key_list', { needTable: false, personal: true });
    const r = await sql<Record<string, unknown>>`SELECT id, name, created, expires_at, revoked_at, last_access FROM datastore_api_keys WHERE resource_id = ${id} ORDER BY created`.execute(ctx.db);
    return r.rows;
  },
});

export const datastoreApiKeyRevoke = defineAction({
  name: 'datastore_api_key_revoke',
  readOnly: false,
  summary: 'Revoke a resource-scoped key.',
  params: { resource_id: { type: 'string', description: 'resource id', required: true }, id: { type: 'string', description: 'key id', required: true } },
  async run(ctx, input) {
    const id = readResourceId(input);
    await openTable(ctx, id, 'datastore_api_key_revoke', { write: true, needTable: false, personal: true });
    const keyId = typeof input.id === 'string' && /^[0-9a-f-]{36}$/.test(input.id) ? input.id : '';
    const r = await sql`UPDATE datastore_api_keys SET revoked_at = ${ctx.now} WHERE id = ${keyId || null}::uuid AND resource_id = ${id} AND revoked_at IS NULL`.execute(ctx.db);
    if (!Number(r.numAffectedRows ?? 0)) throw new NotFoundError();
    await ctx.audit({ action: 'datastore_api_key_revoke', object_type: 'resource', object_id: id, detail: { key_id: keyId } });
    return null;
  },
});

/**
 * Search with a resource-scoped key (internal: the REST route passes the raw key). The key reads
 * its one table, never personal-data fields, whatever the dataset's sharing.
 */
export const datastoreKeySearch = defineAction({
  name: 'datastore_key_search',
  readOnly: true,
  internal: true,
  summary: 'datastore_search with a resource-scoped key.',
  async run(ctx, input) {
    const id = readResourceId(input);
    const raw = typeof input.key === 'string' ? input.key.replace(/^Bearer\s+/i, '').trim() : '';
    const key = raw.length < 200 ? (await sql<{ id: string; expires_at: Date | null; last_access: Date | null }>`SELECT id, expires_at, last_access${timeoutColumn(ctx, ctx.services.config.datastoreTimeoutMs ?? 10_000)} FROM datastore_api_keys WHERE token_hash = ${hashToken(raw)} AND resource_id = ${id} AND revoked_at IS NULL`.execute(ctx.db)).rows[0] : undefined;
    const keyValid = !!key && (!key.expires_at || key.expires_at > ctx.now);
    ctx.authorize('datastore_key_search', { keyValid });
    const res = await ctx.db.selectFrom('resources as r').innerJoin('datasets as d', 'd.id', 'r.dataset_id').select(['r.id', 'r.state', 'd.state as dataset_state']).where('r.id', '=', id).executeTakeFirst();
    const table = await getTable(ctx.db, id);
    if (!res || res.state === 'deleted' || res.dataset_state === 'deleted' || !table?.active) throw new NotFoundError();
    if (!key!.last_access || ctx.now.getTime() - key!.last_access.getTime() > 60_000) await sql`UPDATE datastore_api_keys SET last_access = ${ctx.now} WHERE id = ${key!.id}`.execute(ctx.db);
    const resource = await ctx.db.selectFrom('resources').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    const access = { resource, dataset: null as never, subject: null as never, table, fields: table.fields.filter((f) => !f.personal_data), rows: null };
    const { key: _k, ...rest } = input;
    return runSearch(ctx, access, readSearch(rest, access), { base: `/api/datastore/${id}` });
  },
});

export const datastoreOpenapi = defineAction({
  name: 'datastore_openapi',
  readOnly: true,
  summary: 'The OpenAPI 3 description of a resource\'s REST endpoint (/api/datastore/<resource_id>), from its table\'s fields.',
  params: { resource_id: { type: 'string', description: 'resource id', required: true } },
  async run(ctx, input) {
    const id = readResourceId(input);
    const access = await openTable(ctx, id, 'datastore_openapi');
    return openApiFor(ctx.services.config.siteUrl, access.resource, access.fields);
  },
});
