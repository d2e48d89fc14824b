import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../../actions/context.ts';
import { allActions, getAction, runAction, type ActionDef } from '../../actions/registry.ts';
import { AuthorizationError, BadRequestError, NotFoundError, SearchQueryError, ValidationError, localizeErrors, pick, type Lang } from '../../actions/errors.ts';
import { ANONYMOUS } from '../../access/actor.ts';
import { apiActor } from '../actor.ts';
import { requestLang } from '../lang.ts';
import { readActionInput, UploadTooLargeError } from './input.ts';
import { discardUploads, type Upload } from '../../files/upload.ts';

const JSON_TYPE = 'application/json;charset=utf-8';

function helpUrl(services: Services, name: string): string {
  return `${services.config.siteUrl}/api/3/action/help_show?name=${encodeURIComponent(name)}`;
}

/** Maps an action's error to CKAN's status and error object; anything unexpected is a 500 with no detail. */
export function ckanError(e: unknown, lang: Lang): { status: number; error: Record<string, unknown> } | null {
  if (e instanceof ValidationError) return { status: 409, error: { __type: 'Validation Error', ...localizeErrors(e.errors, lang) } };
  if (e instanceof NotFoundError) return { status: 404, error: { __type: 'Not Found Error', message: pick(e.msg, lang) } };
  if (e instanceof AuthorizationError) return { status: 403, error: { __type: 'Authorization Error', message: lang === 'en' ? `Access denied: ${e.msg.en}` : `ไม่มีสิทธิ์เข้าถึง (Access denied)` } };
  if (e instanceof SearchQueryError) return { status: 400, error: { __type: 'Search Query Error', message: lang === 'en' ? e.msg.en : `${e.msg.th} (${e.msg.en})` } };
  if (e instanceof UploadTooLargeError) return { status: 413, error: { __type: 'Validation Error', upload: [lang === 'en' ? `File is larger than the ${Math.round(e.limit / 1048576)} MB limit` : `ไฟล์มีขนาดเกิน ${Math.round(e.limit / 1048576)} MB`] } };
  return null;
}

async function handle(services: Services, def: ActionDef | undefined, name: string, req: FastifyRequest, reply: FastifyReply) {
  const lang = requestLang(req);
  if (!def) return reply.code(400).type(JSON_TYPE).send(JSON.stringify(`Bad request - Action name not known: ${name}`));
  if (req.method === 'GET' && !def.readOnly) {
    return reply.code(400).type(JSON_TYPE).send(JSON.stringify('Bad request - JSON Error: Invalid request. Please use POST method for your request'));
  }
  const callback = req.method === 'GET' ? (req.query as Record<string, unknown>).callback : undefined;
  let uploads: Upload[] = [];
  try {
    const read = await readActionInput(services, req);
    const input = read.input;
    uploads = read.uploads;
    const actor = typeof callback === 'string' ? ANONYMOUS : await apiActor(services, req, !def.readOnly);
    const result = await runAction(services, def.name, input, { actor, lang, ip: req.ip });
    const body = JSON.stringify({ help: helpUrl(services, def.name), success: true, result });
    if (typeof callback === 'string' && /^[A-Za-z_$][\w$.]{0,100}$/.test(callback)) {
      return reply.type('application/javascript;charset=utf-8').header('X-Content-Type-Options', 'nosniff').send(`${callback}(${body});`);
    }
    return reply.type(JSON_TYPE).send(body);
  } catch (e) {
    if (e instanceof BadRequestError) return reply.code(400).type(JSON_TYPE).send(JSON.stringify(e.message));
    const mapped = ckanError(e, lang);
    if (mapped) return reply.code(mapped.status).type(JSON_TYPE).send(JSON.stringify({ help: helpUrl(services, def.name), success: false, error: mapped.error }));
    req.log.error({ err: e, action: def.name }, 'action failed');
    return reply.code(500).type(JSON_TYPE).send(JSON.stringify({ help: helpUrl(services, def.name), success: false, error: { __type: 'Internal Server Error', message: 'Internal Server Error' } }));
  } finally {
    await discardUploads(uploads); // uploads no action took (refused, unauthorised, wrong action)
  }
}

function describe(def: ActionDef): string {
  const params = Object.entries(def.params ?? {}).map(([k, p]) => `- \`${k}\` (${p.type}${p.required ? ', required' : ''}): ${p.description}`);
  return [def.summary, def.readOnly ? 'GET or POST.' : 'POST only (JSON, form or multipart).', ...params].join('\n\n');
}

/** /api/3/action/<name> and /api/action/<name>, GET and POST, one route per action (so OpenAPI lists them). */
export async function ckanApiRoutes(app: FastifyInstance, services: Services): Promise<void> {
  for (const def of allActions()) {
    for (const prefix of ['/api/3/action/', '/api/action/']) {
      const schema = {
        summary: def.summary.split('. ')[0],
        description: describe(def),
        tags: ['CKAN Action API'],
        hide: prefix === '/api/action/',
        response: {},
      };
      app.route({ method: ['GET', 'POST'], url: prefix + def.name, schema, handler: (req, reply) => handle(services, def, def.name, req, reply) });
    }
  }
  const unknown = { summary: 'Unknown action names answer 400', hide: true, params: { type: 'object', properties: { name: { type: 'string' } } } };
  app.route({ method: ['GET', 'POST'], url: '/api/3/action/:name', schema: unknown, handler: (req, reply) => handle(services, getAction((req.params as { name: string }).name), (req.params as { name: string }).name, req, reply) });
  app.route({ method: ['GET', 'POST'], url: '/api/action/:name', schema: unknown, handler: (req, reply) => handle(services, getAction((req.params as { name: string }).name), (req.params as { name: string }).name, req, reply) });
  app.get('/api/3', { schema: { summary: 'API version', tags: ['CKAN Action API'] } }, async () => ({ version: 3 }));
}
