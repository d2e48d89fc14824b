import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import multipart from '@fastify/multipart';
import swagger from '@fastify/swagger';
import type { Services } from './actions/context.ts';
import { ckanApiRoutes, ckanError } from './api/ckan/routes.ts';
import { BadRequestError } from './actions/errors.ts';
import { requestLang } from './api/lang.ts';
import { fileRoutes } from './api/files.ts';
import { auditKeyRoutes } from './api/audit-key.ts';
import { datastoreRoutes } from './api/datastore.ts';
import { BANCHI_VERSION } from './actions/site.ts';
import { parseJsonBody } from './api/ckan/json-body.ts';
import { clientErrorHandler } from './api/ckan/raw-query.ts';
import { dcatRoutes } from './api/dcat.ts';
import { exchangeRoutes } from './exchange/gateway/routes.ts';
import { lookupApiRoutes } from './exchange/lookup/routes.ts';
import { httpsOptions } from './tls.ts';

export interface AppOptions {
  logger?: boolean | object;
  /** Extra route plugins (the web portal registers here), loaded after the API. */
  plugins?: Array<(app: FastifyInstance, services: Services) => Promise<void>>;
}

const JSON_TYPE = 'application/json;charset=utf-8';

/** 400 for a request no route can read: CKAN's JSON string for /api, a small page for people. */
function badRequest(url: string, reply: FastifyReply, detail: string): FastifyReply {
  if (url.startsWith('/api/') || url === '/api') return reply.code(400).type(JSON_TYPE).header('X-Content-Type-Options', 'nosniff').send(JSON.stringify(`Bad request - ${detail}`));
  return reply
    .code(400)
    .type('text/html; charset=utf-8')
    .header('X-Content-Type-Options', 'nosniff')
    .header('Content-Security-Policy', "default-src 'none'; style-src 'self'; frame-ancestors 'none'")
    .send(
      '<!doctype html><html lang="th"><head><meta charset="utf-8"><title>คำขอไม่ถูกต้อง (Bad request)</title></head>' +
        '<body><h1>คำขอไม่ถูกต้อง</h1><p>ที่อยู่หน้านี้มีอักขระที่อ่านไม่ได้ (Bad request: the address contains characters that cannot be read).</p><p><a href="/">หน้าแรก (Home)</a></p></body></html>',
    );
}

/** The composition root: external plugins, then the API and files, then pages. */
export async function buildApp(services: Services, opts: AppOptions = {}): Promise<FastifyInstance> {
  // HTTPS when BANCHI_TLS_CERT/KEY are set (src/tls.ts); with a client CA it asks for client certificates.
  const https = httpsOptions(services.config);
  const app = Fastify({
    ...(https ? { https } : {}),
    logger: opts.logger ?? false,
    bodyLimit: services.config.maxBodyBytes,
    trustProxy: process.env.BANCHI_TRUST_PROXY === 'true',
    routerOptions: { maxParamLength: 300 },
    // A path that is not valid percent-encoded UTF-8 never reaches a route: 400, in the caller's format.
    frameworkErrors: (err, req, reply) => badRequest(req.url, reply, err.message),
    // Raw Thai in a query string is refused by Node's parser: answer in CKAN's shape, saying to percent-encode.
    clientErrorHandler: clientErrorHandler(services.config.siteUrl),
  });
  app.decorateRequest('sessionActor', null);
  await app.register(cookie, { secret: services.config.sessionSecret || undefined });
  await app.register(formbody, { bodyLimit: services.config.maxBodyBytes });
  await app.register(multipart, { limits: { fileSize: services.config.maxUploadBytes } });
  // One strict JSON reader (duplicate keys, __proto__, depth); some CKAN clients post JSON as text/plain.
  app.removeContentTypeParser('application/json');
  const json = (_req: unknown, body: string | Buffer, done: (err: Error | null, body?: unknown) => void) => {
    try {
      done(null, parseJsonBody(String(body)));
    } catch (e) {
      done(e as Error, undefined);
    }
  };
  app.addContentTypeParser('application/json', { parseAs: 'string' }, json);
  app.addContentTypeParser('text/plain', { parseAs: 'string' }, json);
  // Every answer, API and portal alike: a browser never guesses a type we did not send.
  app.addHook('onSend', async (_req, reply) => {
    reply.header('X-Content-Type-Options', 'nosniff');
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
    // An action's own error that a route passed on (a file download with a NUL in its id) keeps its 4xx.
    if (err instanceof BadRequestError) return reply.code(400).type(JSON_TYPE).send(JSON.stringify(err.message));
    const mapped = ckanError(err, requestLang(req));
    if (mapped) return reply.code(mapped.status).type(JSON_TYPE).send(JSON.stringify(api ? { success: false, error: mapped.error } : mapped.error));
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
    // A framework error about the request itself (FST_ERR_CTP_*, FST_ERR_BAD_URL, …) is the caller's, never a 500.
    if (err.statusCode === undefined && /^FST_ERR_(CTP|BAD|QSP|VALIDATION)/.test(err.code ?? '')) return badRequest(req.url, reply, err.message);
    req.log.error({ err }, 'request failed');
    return reply.code(500).type(JSON_TYPE).send(JSON.stringify(api ? { success: false, error: { __type: 'Internal Server Error', message: 'Internal Server Error' } } : 'Internal Server Error'));
  });

  await app.register(async (api) => ckanApiRoutes(api, services));
  await app.register(async (files) => fileRoutes(files, services));
  await app.register(async (scope) => auditKeyRoutes(scope, services));
  await app.register(async (scope) => datastoreRoutes(scope, services));
  await app.register(async (scope) => exchangeRoutes(scope, services));
  await app.register(async (scope) => lookupApiRoutes(scope, services));
  await app.register(Object.assign(async (scope: FastifyInstance) => dcatRoutes(scope, services), { [Symbol.for('skip-override')]: true }));
  // skip-override (as fastify-plugin does): the portal's session hook must also reach the API's routes above.
  for (const plugin of opts.plugins ?? []) await app.register(Object.assign(async (scope: FastifyInstance) => plugin(scope, services), { [Symbol.for('skip-override')]: true }));
  return app;
}
