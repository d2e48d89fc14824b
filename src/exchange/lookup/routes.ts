import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../../actions/context.ts';
import { runAction } from '../../actions/registry.ts';
import { actorFromToken } from '../../access/tokens.ts';
import { requestLang } from '../../api/lang.ts';
import { ckanError } from '../../api/ckan/routes.ts';
import { LookupRateLimited, runLookup } from './run.ts';
import { failures, requestErrorHandler } from '../gateway/routes.ts';

const JSON_TYPE = 'application/json;charset=utf-8';

/**
 * The look-up for systems (P9), beside the page: an official's API token (Bearer), the same checks,
 * audit rows and rate limit, every source asked at once. POST only, so the ID never sits in a URL
 * or an access log; the answer is never cached. Errors as the gateway answers them.
 */
export async function lookupApiRoutes(app: FastifyInstance, services: Services): Promise<void> {
  app.setErrorHandler(requestErrorHandler(services, { headers: { 'cache-control': 'no-store' }, quoteInput: false }));
  // The gateway's JSON error, unsigned, never cached.
  const { json } = failures(null);
  const fail = (reply: FastifyReply, lang: 'th' | 'en', status: number, code: string, msg: { th: string; en: string }, extra: Record<string, unknown> = {}) =>
    json(reply.header('cache-control', 'no-store'), lang, status, code, msg, extra);

  const handle = async (req: FastifyRequest, reply: FastifyReply, run: (caller: { actor: never; lang: 'th' | 'en'; ip: string }) => Promise<unknown>) => {
    const lang = requestLang(req);
    const header = req.headers.authorization;
    const actor = header ? await actorFromToken(services.store.db, header, services.config) : null;
    if (!actor || actor.kind !== 'user') {
      reply.header('www-authenticate', 'Bearer realm="banchi-exchange"');
      return fail(reply, lang, 401, 'unauthenticated', { th: 'ต้องส่งโทเค็น API ของเจ้าหน้าที่ (Authorization: Bearer …)', en: "Send the official's API token (Authorization: Bearer …)" });
    }
    try {
      const out = await run({ actor: actor as never, lang, ip: req.ip });
      return reply.type(JSON_TYPE).header('cache-control', 'no-store').send(JSON.stringify(out));
    } catch (e) {
      if (e instanceof LookupRateLimited) {
        reply.header('retry-after', String(e.retryAfter));
        return fail(reply, lang, 429, 'rate_limited', e.msg, { retry_after: e.retryAfter });
      }
      const mapped = ckanError(e, lang);
      if (!mapped) throw e;
      const { __type, ...fields } = mapped.error as Record<string, unknown>;
      if (mapped.status === 409) return fail(reply, lang, 400, 'invalid_parameter', { th: 'ข้อมูลที่ส่งมาไม่ถูกต้อง', en: 'Invalid input' }, { fields });
      const msg = String(fields.message ?? __type);
      return fail(reply, lang, mapped.status, mapped.status === 404 ? 'not_found' : 'forbidden', { th: msg, en: msg });
    }
  };

  const body = {
    type: 'object',
    required: ['citizen_id', 'purpose', 'legal_basis'],
    properties: {
      citizen_id: { type: 'string', maxLength: 40, description: '13-digit citizen ID (dashes and spaces allowed); check digit validated' },
      purpose: { type: 'string', maxLength: 100, description: 'purpose code (see the look-up page)' },
      legal_basis: { type: 'string', maxLength: 100, description: 'legal basis code' },
    },
  } as const;
  app.post('/exchange/v1/lookup', {
    schema: { summary: 'Citizen look-up (P9): asks every source your agreements cover, in parallel, and answers with each source\'s status', tags: ['Exchange'], body },
    // Bad bodies answer as every other refusal does (400 with fields), not Fastify's default.
    attachValidation: true,
  }, (req, reply) => handle(req, reply, async (caller) => {
    const b = (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, unknown>;
    const input = { citizen_id: b.citizen_id, purpose: b.purpose, legal_basis: b.legal_basis };
    const r = await runLookup(services, caller, input);
    return {
      lookup_id: r.lookup_id,
      results: r.results.map((x) => ({ source: x.source, title_th: x.title_th, title_en: x.title_en, organization: x.organization, ...x.answer })),
    };
  }));
  app.get('/exchange/v1/lookup/sources', { schema: { summary: 'The look-up sources your agreements cover now', tags: ['Exchange'] } }, (req, reply) =>
    handle(req, reply, (caller) => runAction(services, 'lookup_sources_available', {}, caller)));
}
