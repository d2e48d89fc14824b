import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../actions/context.ts';
import { runAction } from '../actions/registry.ts';
import { requestLang } from './lang.ts';
import { apiActor } from './actor.ts';
import { ckanError } from './ckan/routes.ts';
import { catalogQuads, datasetQuads, CATALOG_PAGE } from '../dcat/build.ts';
import { MEDIA_TYPES, negotiate, serialize, type RdfFormat } from '../dcat/serialize.ts';

/**
 * DCAT-AP 3 views: /catalog.{ttl,jsonld,rdf} (paged, ?page=N), /dataset/<id or name>.{ttl,jsonld,rdf},
 * and content negotiation on /catalog and /dataset/<id> (an RDF Accept header is sent, with 303,
 * to the matching file URL). Built from package_search / package_show as the caller, so an entry
 * appears only to those who may see it.
 */
export async function dcatRoutes(app: FastifyInstance, services: Services): Promise<void> {
  app.addHook('onRequest', async (req, reply) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return;
    const m = /^\/(catalog|dataset\/([^/?.]+))\/?(\?.*)?$/.exec(req.url);
    if (!m) return;
    const f = negotiate(req.headers.accept);
    if (!f) return;
    const target = m[1] === 'catalog' ? `/catalog.${f}${m[3] ?? ''}` : `/dataset/${m[2]}.${f}`;
    return reply.code(303).header('location', target).header('vary', 'Accept').send();
  });

  const send = async (reply: FastifyReply, format: RdfFormat, quads: Parameters<typeof serialize>[0]) =>
    reply.code(200).type(`${MEDIA_TYPES[format]}; charset=utf-8`).header('vary', 'Accept').send(await serialize(quads, format));

  const fail = (req: FastifyRequest, reply: FastifyReply, e: unknown) => {
    const mapped = ckanError(e, requestLang(req));
    if (!mapped) throw e;
    return reply.code(mapped.status).type('text/plain; charset=utf-8').send(String(mapped.error.message ?? mapped.error.__type ?? 'error'));
  };

  for (const format of Object.keys(MEDIA_TYPES) as RdfFormat[]) {
    app.get(`/catalog.${format}`, async (req, reply) => {
      const page = Math.max(1, Math.min(Number((req.query as { page?: string }).page) || 1, 100000));
      const actor = await apiActor(services, req, false);
      try {
        const result = await runAction<{ count: number; results: Array<Record<string, unknown>> }>(services, 'package_search', { q: '*:*', rows: CATALOG_PAGE, start: (page - 1) * CATALOG_PAGE, sort: 'name asc', include_private: true }, { actor, lang: requestLang(req) });
        return send(reply, format, catalogQuads(services, result.results, page, result.count, format));
      } catch (e) {
        return fail(req, reply, e);
      }
    });
  }
  app.get('/dataset/:file(^[^/]+\\.(?:ttl|jsonld|rdf)$)', async (req, reply) => {
    const file = (req.params as { file: string }).file;
    const dot = file.lastIndexOf('.');
    const format = file.slice(dot + 1) as RdfFormat;
    const actor = await apiActor(services, req, false);
    try {
      const d = await runAction<Record<string, unknown>>(services, 'package_show', { id: file.slice(0, dot) }, { actor, lang: requestLang(req) });
      return send(reply, format, datasetQuads(services, d));
    } catch (e) {
      return fail(req, reply, e);
    }
  });
}
