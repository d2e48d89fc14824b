import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../../actions/context.ts';
import { runAction } from '../../actions/registry.ts';
import { fieldMap, pick } from '../../actions/errors.ts';
import { actorFromToken } from '../../access/tokens.ts';
import { requestLang } from '../../api/lang.ts';
import { ckanError } from '../../api/ckan/routes.ts';
import { GatewayError } from './errors.ts';
import { loadExchangeKey } from './keys.ts';
import { SEARCH_PARAMS } from './actions.ts';
import { readSoapRequest, soapFault, SoapReadError } from './soap.ts';
import { verifiedClientCert } from './mtls.ts';

const JSON_TYPE = 'application/json;charset=utf-8';

/**
 * The gateway's HTTP face: /exchange/v1/... with the partner's API token (Bearer), and the
 * agency's signing keys at /.well-known/jwks.json. Routes translate HTTP only; the checks, the
 * audit row and the signature are the action's. Mutual TLS: the route passes the fingerprint of a
 * verified client certificate (mtls.ts); the action decides whether the agreement needs one and
 * whether it is registered, and keeps it in the audit row.
 */
export async function exchangeRoutes(app: FastifyInstance, services: Services): Promise<void> {
  app.get('/.well-known/jwks.json', { schema: { hide: true } }, async (_req, reply) => {
    const key = loadExchangeKey(services.config);
    return reply.header('cache-control', 'public, max-age=3600').type('application/jwk-set+json').send(JSON.stringify({ keys: [key.jwk] }));
  });

  const jsonFail = (reply: FastifyReply, lang: 'th' | 'en', status: number, code: string, msg: { th: string; en: string }, extra: Record<string, unknown> = {}) =>
    reply.code(status).type(JSON_TYPE).send(JSON.stringify({ error: { code, message: pick(msg, lang), th: msg.th, en: msg.en, ...extra } }));

  const soapFail = (reply: FastifyReply, lang: 'th' | 'en', status: number, code: string, msg: { th: string; en: string }) =>
    reply.code(status).type('text/xml; charset=utf-8').send(soapFault(status, code, msg, lang));

  const caller = async (req: FastifyRequest) => {
    const header = req.headers.authorization;
    return header ? actorFromToken(services.store.db, header, services.config) : null;
  };

  const answer = async (req: FastifyRequest, reply: FastifyReply, action: string, input: Record<string, unknown>) => {
    const lang = requestLang(req);
    // The SOAP binding answers every refusal as a Fault, with the same status as REST.
    const fail = input.format === 'soap' ? soapFail : jsonFail;
    const actor = await caller(req);
    if (!actor || actor.kind !== 'user') {
      reply.header('www-authenticate', 'Bearer realm="banchi-exchange"');
      return fail(reply, lang, 401, 'unauthenticated', { th: 'ต้องส่งโทเค็น API ของหน่วยงานคู่สัญญา (Authorization: Bearer …)', en: "Send your agency's API token (Authorization: Bearer …)" });
    }
    try {
      const out = await runAction<unknown>(services, action, input, { actor, lang, ip: req.ip });
      if (out && typeof out === 'object' && 'body' in out && Buffer.isBuffer((out as { body: unknown }).body)) {
        const r = out as { status: number; body: Buffer; headers: Record<string, string>; type: string };
        // The signed bytes go out exactly as signed.
        return reply.code(r.status).headers(r.headers).type(r.type).send(r.body);
      }
      return reply.type(JSON_TYPE).send(JSON.stringify(out));
    } catch (e) {
      if (e instanceof GatewayError) {
        reply.headers(e.headers);
        return fail(reply, lang, e.status, e.code, e.msg, Object.keys(e.detail).length ? { detail: e.detail } : {});
      }
      const mapped = ckanError(e, lang);
      if (mapped) {
        const { __type, ...fields } = mapped.error as Record<string, unknown>;
        if (mapped.status === 409) {
          const detail = Object.entries(fields).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(' ') : String(v)}`).join('; ');
          return fail(reply, lang, 400, 'invalid_parameter', { th: `พารามิเตอร์ไม่ถูกต้อง (${detail})`, en: `Invalid parameter (${detail})` }, { fields });
        }
        const msg = String(fields.message ?? __type);
        return fail(reply, lang, mapped.status, mapped.status === 404 ? 'not_found' : 'forbidden', { th: msg, en: msg });
      }
      throw e;
    }
  };

  const certInput = (req: FastifyRequest) => {
    const c = verifiedClientCert(req.raw, services.config);
    return c ? { client_cert: c.fingerprint, client_cert_via: c.via } : {};
  };

  app.get('/exchange/v1/agreements', { schema: { summary: 'Agreements where your organisation is the partner, with their endpoints', tags: ['Exchange'] } }, (req, reply) => answer(req, reply, 'exchange_agreements', {}));

  const records = (req: FastifyRequest, reply: FastifyReply) => {
    const { agreement, rid } = req.params as { agreement: string; rid: string };
    const src = (req.method === 'POST' ? req.body : req.query) as Record<string, unknown> | undefined;
    const params = fieldMap<unknown>();
    const filters = fieldMap<unknown>();
    for (const [k, v] of Object.entries(src && typeof src === 'object' ? src : {})) {
      if (k === 'purpose' || SEARCH_PARAMS.has(k)) params[k] = v;
      else if (k !== 'lang') filters[k] = v;
    }
    if (Object.keys(filters).length) {
      if (params.filters !== undefined) return jsonFail(reply, requestLang(req), 400, 'invalid_parameter', { th: 'ส่งตัวกรองเป็น filters (JSON) หรือเป็นพารามิเตอร์รายฟิลด์ อย่างใดอย่างหนึ่ง', en: 'Give filters either as JSON or as field parameters, not both' });
      params.filters = { ...filters };
    }
    return answer(req, reply, 'exchange_records', { agreement, resource_id: rid, params: { ...params }, ...certInput(req) });
  };
  const schema = { summary: 'Rows of an agreed resource, as the agreement allows; purpose required; the answer is signed (X-JWS-Signature)', tags: ['Exchange'], params: { type: 'object', properties: { agreement: { type: 'string' }, rid: { type: 'string' } } } };
  app.get('/exchange/v1/agreements/:agreement/resources/:rid/records', { schema }, records);
  // SOAP 1.1 (where the agreement's technology is soap): POST an envelope with GetRecords.
  app.addContentTypeParser(['text/xml', 'application/soap+xml'], { parseAs: 'string', bodyLimit: 256 * 1024 }, (_req, body, done) => done(null, String(body)));
  app.post('/exchange/v1/soap', { schema: { summary: 'SOAP 1.1 binding: GetRecords (urn:banchi:exchange:v1), signed as REST answers are', tags: ['Exchange'] } }, (req, reply) => {
    const lang = requestLang(req);
    let parsed;
    try {
      if (typeof req.body !== 'string') throw new SoapReadError('send the envelope as text/xml');
      parsed = readSoapRequest(req.body);
    } catch (e) {
      if (!(e instanceof SoapReadError)) throw e;
      return reply.code(400).type('text/xml; charset=utf-8').send(soapFault(400, 'invalid_envelope', { th: `ซองข้อความ SOAP ไม่ถูกต้อง: ${e.message}`, en: `Invalid SOAP envelope: ${e.message}` }, lang));
    }
    return answer(req, reply, 'exchange_records', { agreement: parsed.agreement, resource_id: parsed.resource, params: parsed.params, format: 'soap', ...certInput(req) });
  });
  app.post('/exchange/v1/agreements/:agreement/resources/:rid/records', { schema }, records);
}
