import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import multipart from '@fastify/multipart';
import swagger from '@fastify/swagger';
import type { Services } from './actions/context.ts';
import { ckanApiRoutes } from './api/ckan/routes.ts';
import { fileRoutes } from './api/files.ts';
import { auditKeyRoutes } from './api/audit-key.ts';
import { BANCHI_VERSION } from './actions/site.ts';

export interface AppOptions {
  logger?: boolean | object;
  /** Extra route plugins (the web portal registers here), loaded after the API. */
  plugins?: Array<(app: FastifyInstance, services: Services) => Promise<void>>;
}

const JSON_TYPE = 'application/json;charset=utf-8';

/** The composition root: external plugins, then the API and files, then pages. */
export async function buildApp(services: Services, opts: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: services.config.maxBodyBytes,
    trustProxy: process.env.BANCHI_TRUST_PROXY === 'true',
    routerOptions: { maxParamLength: 300 },
  });
  app.decorateRequest('sessionActor', null);
  await app.register(cookie, { secret: services.config.sessionSecret || undefined });
  await app.register(formbody, { bodyLimit: services.config.maxBodyBytes });
  await app.register(multipart, { limits: { fileSize: services.config.maxUploadBytes } });
  // Some CKAN clients post JSON as text/plain; parse it the same way.
  app.addContentTypeParser('text/plain', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, body === '' ? {} : JSON.parse(body as string));
    } catch (e) {
      (e as FastifyError).statusCode = 400;
      (e as FastifyError).code = 'FST_ERR_CTP_INVALID_JSON';
      done(e as Error, undefined);
    }
  });
  await app.register(swagger, {
    openapi: {
      info: { title: 'banchi — Agency Data Catalog API', description: 'CKAN Action API (v3) with the Thai national metadata standard', version: BANCHI_VERSION },
      tags: [{ name: 'CKAN Action API' }, { name: 'Files' }],
    },
  });
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  app.setErrorHandler((err: FastifyError, req, reply) => {
    const api = req.url.startsWith('/api/');
    const status = err.statusCode ?? 500;
    if (/INVALID_JSON|EMPTY_JSON/.test(err.code ?? '') || (status === 400 && err instanceof SyntaxError)) {
      return reply.code(400).type(JSON_TYPE).send(JSON.stringify(`Bad request - JSON Error: ${err.message}`));
    }
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      const msg = `Request body is larger than the limit of ${services.config.maxBodyBytes} bytes`;
      return reply.code(413).type(JSON_TYPE).send(JSON.stringify(api ? { success: false, error: { __type: 'Request Too Large', message: msg } } : msg));
    }
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return reply.code(400).type(JSON_TYPE).send(JSON.stringify(`Bad request - unsupported content type "${req.headers['content-type'] ?? ''}"; send application/json, form fields or multipart/form-data`));
    }
    if (status < 500) return reply.code(status).type(JSON_TYPE).send(JSON.stringify(`Bad request - ${err.message}`));
    req.log.error({ err }, 'request failed');
    return reply.code(500).type(JSON_TYPE).send(JSON.stringify(api ? { success: false, error: { __type: 'Internal Server Error', message: 'Internal Server Error' } } : 'Internal Server Error'));
  });

  await app.register(async (api) => ckanApiRoutes(api, services));
  await app.register(async (files) => fileRoutes(files, services));
  await app.register(async (scope) => auditKeyRoutes(scope, services));
  // skip-override (as fastify-plugin does): the portal's session hook must also reach the API's routes above.
  for (const plugin of opts.plugins ?? []) await app.register(Object.assign(async (scope: FastifyInstance) => plugin(scope, services), { [Symbol.for('skip-override')]: true }));
  return app;
}
