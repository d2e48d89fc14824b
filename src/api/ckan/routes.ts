import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../../actions/context.ts';
import { allActions, getAction, runAction, type ActionDef } from '../../actions/registry.ts';
import { AuthorizationError, BadRequestError, NotFoundError, SearchQueryError, ValidationError, localizeErrors, pick, type Lang } from '../../actions/errors.ts';
import { ANONYMOUS } from '../../access/actor.ts';
import { apiActor } from '../actor.ts';
import { requestLang } from '../lang.ts';
import { UploadTooLargeError } from './input.ts';
import { TransitionNotAllowedError, WorkflowForbiddenError } from '../../workflow/errors.ts';
import { readCheckedInput } from './checked-input.ts';
import { discardUploads, type Upload } from '../../files/upload.ts';
import { checkUpload } from '../../files/upload-gate.ts';

const JSON_TYPE = 'application/json;charset=utf-8';

function helpUrl(services: Services, name: string): string {
  return `${services.config.siteUrl}/api/3/action/help_show?name=${encodeURIComponent(name)}`;
}

/** Maps an action's error to CKAN's status and error object; anything unexpected is a 500 with no detail. */
export function ckanError(e: unknown, lang: Lang): { status: number; error: Record<string, unknown> } | null {
  // __type last: a field called "__type" must not change the error's kind.
  if (e instanceof TransitionNotAllowedError) {
    // `next` as data (name, label, target state) so a client can offer the allowed steps, not only read them.
    const next = e.next.map((n) => ({ name: n.name, label: pick(n.label, lang), to: n.to, to_label: pick(n.to_label, lang) }));
    return { status: 409, error: { ...localizeErrors(e.errors, lang), next, state: e.state, __type: 'Validation Error' } };
  }
  if (e instanceof ValidationError) return { status: 409, error: { ...localizeErrors(e.errors, lang), __type: 'Validation Error' } };
  if (e instanceof NotFoundError) return { status: 404, error: { __type: 'Not Found Error', message: pick(e.msg, lang) } };
  if (e instanceof WorkflowForbiddenError) {
    const next = e.next.map((n) => ({ name: n.name, label: pick(n.label, lang), to: n.to, to_label: pick(n.to_label, lang) }));
    return { status: 403, error: { __type: 'Authorization Error', message: lang === 'en' ? `Access denied: ${e.msg.en}` : `ไม่มีสิทธิ์เข้าถึง: ${e.msg.th}`, next } };
  }
  if (e instanceof AuthorizationError) return { status: 403, error: { __type: 'Authorization Error', message: lang === 'en' ? `Access denied: ${e.msg.en}` : `ไม่มีสิทธิ์เข้าถึง (Access denied)` } };
  if (e instanceof SearchQueryError) return { status: 400, error: { __type: 'Search Query Error', message: lang === 'en' ? e.msg.en : `${e.msg.th} (${e.msg.en})` } };
  if (e instanceof UploadTooLargeError) return { status: 413, error: { __type: 'Validation Error', upload: [lang === 'en' ? `File is larger than the ${Math.round(e.limit / 1048576)} MB limit` : `ไฟล์มีขนาดเกิน ${Math.round(e.limit / 1048576)} MB`] } };
  return null;
}

/** Methods that must never change state: a write action is refused on them (HEAD api_token_create once minted tokens). */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** CKAN's JSONP callback: a plain (dotted) JavaScript name, nothing that could be code. */
const CALLBACK = /^[A-Za-z_$][\w$]{0,63}(?:\.[A-Za-z_$][\w$]{0,63}){0,3}$/;

function send(reply: FastifyReply, status: number, body: unknown) {
  return reply.code(status).type(JSON_TYPE).send(JSON.stringify(body));
}

async function handle(services: Services, def: ActionDef | undefined, name: string, req: FastifyRequest, reply: FastifyReply) {
  const lang = requestLang(req);
  if (!def) return send(reply, 400, `Bad request - Action name not known: ${name}`);
  if (SAFE_METHODS.has(req.method) && !def.readOnly) return send(reply, 400, 'Bad request - JSON Error: Invalid request. Please use POST method for your request');
  const rawCallback = req.method === 'GET' && services.config.jsonp ? (req.query as Record<string, unknown>).callback : undefined;
  if (rawCallback !== undefined && (typeof rawCallback !== 'string' || !CALLBACK.test(rawCallback))) return send(reply, 400, 'Bad request - callback must be a JavaScript function name');
  const callback = rawCallback as string | undefined;
  let uploads: Upload[] = [];
  try {
    // A multipart body streams its file to disk as it is read: the caller is known, and refused if it
    // could never attach one, first (only a POST body is read, and JSONP is GET only).
    const multipart = req.method === 'POST' && req.isMultipart();
    const early = multipart ? await apiActor(services, req, !def.readOnly) : undefined;
    if (early && def.uploadRule) await checkUpload(services, def, early, reply);
    const read = await readCheckedInput(services, req, def.itemKeys, { files: !!def.uploadRule, reply });
    const input = read.input;
    uploads = read.uploads;
    // JSONP answers a <script> on any site: anonymous only, so no cookie or token ever reaches it.
    const actor = early ?? (callback !== undefined ? ANONYMOUS : await apiActor(services, req, !def.readOnly));
    const result = await runAction(services, def.name, input, { actor, lang, ip: req.ip });
    const body = JSON.stringify({ help: helpUrl(services, def.name), success: true, result });
    // The leading comment keeps a callback name from ever being the first bytes of the answer (Rosetta Flash).
    if (callback !== undefined) return reply.type('application/javascript;charset=utf-8').send(`/**/${callback}(${body});`);
    return reply.type(JSON_TYPE).send(body);
  } catch (e) {
    if (e instanceof BadRequestError) return send(reply, 400, e.message);
    const mapped = ckanError(e, lang);
    if (mapped) return send(reply, mapped.status, { help: helpUrl(services, def.name), success: false, error: mapped.error });
    req.log.error({ err: e, action: def.name }, 'action failed');
    return send(reply, 500, { help: helpUrl(services, def.name), success: false, error: { __type: 'Internal Server Error', message: 'Internal Server Error' } });
  } finally {
    await discardUploads(uploads); // uploads no action took (refused, unauthorised, wrong action)
  }
}

/** The portal registers its HTML page for /api/3 here (per app); an API-only app answers JSON only. */
export const apiDocsPages = new WeakMap<Services, (req: FastifyRequest, reply: FastifyReply) => unknown>();

/** A browser asks for text/html before JSON; curl (*\/*) and CKAN clients (application/json) get JSON. */
function prefersHtml(accept: string | undefined): boolean {
  if (!accept) return false;
  const types = accept.split(',').map((t) => t.split(';')[0]!.trim().toLowerCase());
  const h = types.indexOf('text/html');
  const j = types.indexOf('application/json');
  return h !== -1 && (j === -1 || h < j);
}

export function describe(def: ActionDef): string {
  const params = Object.entries(def.params ?? {}).map(([k, p]) => `- \`${k}\` (${p.type}${p.required ? ', required' : ''}): ${p.description}`);
  return [def.summary, def.readOnly ? 'GET or POST.' : 'POST only (JSON, form or multipart); GET and HEAD answer 400.', ...params].join('\n\n');
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
  // JSON for clients (CKAN's answer); the human-readable action list for browsers (src/web/pages/api-docs.ts).
  app.get('/api/3', { schema: { summary: 'API version (JSON), or the list of actions for browsers', tags: ['CKAN Action API'] } }, async (req, reply) => {
    const docs = apiDocsPages.get(services);
    if (docs && prefersHtml(req.headers.accept)) return docs(req, reply);
    return reply.type(JSON_TYPE).send(JSON.stringify({ version: 3 }));
  });
}
