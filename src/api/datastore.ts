import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../actions/context.ts';
import { runAction } from '../actions/registry.ts';
import { fieldMap } from '../actions/errors.ts';
import { ANONYMOUS } from '../access/actor.ts';
import { apiActor } from './actor.ts';
import { requestLang } from './lang.ts';
import { ckanError } from './ckan/routes.ts';
import { isDatastoreKey } from '../datastore/actions-keys.ts';

const JSON_TYPE = 'application/json;charset=utf-8';
const PARAMS = new Set(['q', 'fields', 'sort', 'limit', 'offset', 'records_format', 'distinct', 'include_total', 'filters', 'item_names']);

/**
 * The no-code API: every DataStore resource answers at /api/datastore/<resource_id> with
 * datastore_search semantics (any other query parameter is a filter on that field), and describes
 * itself at /api/datastore/<resource_id>/openapi.json. A resource-scoped key or a user token.
 */
export async function datastoreRoutes(app: FastifyInstance, services: Services): Promise<void> {
  const answer = async (req: FastifyRequest, reply: FastifyReply, action: 'search' | 'openapi') => {
    const lang = requestLang(req);
    const { rid } = req.params as { rid: string };
    const query = (req.query ?? {}) as Record<string, unknown>;
    try {
      const header = req.headers.authorization ?? (req.headers['x-ckan-api-key'] as string | undefined);
      let result: unknown;
      if (action === 'openapi') {
        const actor = await apiActor(services, req, false);
        result = await runAction(services, 'datastore_openapi', { resource_id: rid }, { actor, lang, ip: req.ip });
        return reply.type(JSON_TYPE).send(JSON.stringify(result));
      }
      const input = fieldMap<unknown>();
      const filters = fieldMap<unknown>();
      for (const [k, v] of Object.entries(query)) {
        if (PARAMS.has(k)) input[k] = v;
        else filters[k] = v;
      }
      if (Object.keys(filters).length) {
        if (input.filters !== undefined) return reply.code(409).type(JSON_TYPE).send(JSON.stringify({ success: false, error: { __type: 'Validation Error', filters: ['Give filters either as JSON or as field parameters, not both'] } }));
        input.filters = { ...filters };
      }
      input.resource_id = rid;
      if (header && isDatastoreKey(header)) {
        result = await runAction(services, 'datastore_key_search', { ...input, key: header }, { actor: ANONYMOUS, lang, ip: req.ip });
      } else {
        const actor = await apiActor(services, req, false);
        result = await runAction(services, 'datastore_search', { ...input }, { actor, lang, ip: req.ip });
        result = onThisEndpoint(result);
      }
      return reply.type(JSON_TYPE).send(JSON.stringify({ success: true, result }));
    } catch (e) {
      const mapped = ckanError(e, lang);
      if (mapped) return reply.code(mapped.status).type(JSON_TYPE).send(JSON.stringify({ success: false, error: mapped.error }));
      throw e;
    }
  };
  const schema = (summary: string) => ({ summary, tags: ['DataStore'], params: { type: 'object', properties: { rid: { type: 'string' } } } });
  app.get('/api/datastore/:rid', { schema: schema('No-code API: rows of a DataStore resource (datastore_search; other parameters filter by field)') }, (req, reply) => answer(req, reply, 'search'));
  app.get('/api/datastore/:rid/openapi.json', { schema: schema('OpenAPI description of one DataStore resource') }, (req, reply) => answer(req, reply, 'openapi'));
}

/** datastore_search's links go to the action; an answer of the no-code API pages on the no-code API. */
function onThisEndpoint(result: unknown): unknown {
  const r = result as { resource_id?: string; _links?: Record<string, string> };
  if (!r?._links || !r.resource_id) return result;
  const links: Record<string, string> = {};
  for (const [k, v] of Object.entries(r._links)) {
    const u = new URL(v, 'http://x');
    u.searchParams.delete('resource_id');
    const q = u.searchParams.toString();
    links[k] = `/api/datastore/${r.resource_id}${q ? `?${q}` : ''}`;
  }
  return { ...r, _links: links };
}
