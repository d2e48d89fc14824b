import crypto from 'node:crypto';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../../actions/context.ts';
import { runAction } from '../../actions/registry.ts';
import { fieldMap, pick } from '../../actions/errors.ts';
import { actorFromToken, rememberedToken, StaleToken } from '../../access/tokens.ts';
import type { Actor } from '../../access/actor.ts';
import { requestLang } from '../../api/lang.ts';
import { ckanError } from '../../api/ckan/routes.ts';
import { GatewayError } from './errors.ts';
import { loadExchangeKey } from './keys.ts';
import { SEARCH_PARAMS, UNSUPPORTED_PARAMS } from './actions.ts';
import { readSoapRequest, soapFault, SoapReadError, SOAP_MAX_BYTES } from './soap.ts';
import { verifiedClientCert } from './mtls.ts';
import { JWS_HEADER, signDetached } from './jws.ts';

const JSON_TYPE = 'application/json;charset=utf-8';
type Fail = (reply: FastifyReply, lang: 'th' | 'en', status: number, code: string, msg: { th: string; en: string }, extra?: Record<string, unknown>) => FastifyReply;
type Signer = (body: Buffer, status: number) => Record<string, string>;

/**
 * Every answer to an authenticated partner is signed, refusals and Faults included, so a partner can
 * prove what it was told (a refusal as much as rows): the same detached JWS as the records' (jws.ts),
 * its header naming the HTTP status, which the body alone may not say. Answers given before the
 * caller is known (no or a bad token, a body the readers refuse) are not: the agency's key would
 * otherwise sign text any anonymous caller chose.
 */
export function gatewaySigner(services: Services): Signer {
  return (body, status) => {
    const key = loadExchangeKey(services.config);
    const { jws } = signDetached(body, key.privateKey, { kid: key.kid, iat: Math.floor(Date.now() / 1000), 'banchi.status': status, 'banchi.sha256': crypto.hash('sha256', body, 'hex') });
    return { [JWS_HEADER]: jws };
  };
}

function send(reply: FastifyReply, status: number, type: string, text: string, sign: Signer | null): FastifyReply {
  const body = Buffer.from(text);
  if (sign) reply.headers(sign(body, status));
  return reply.code(status).type(type).send(body);
}

/** The JSON error and the SOAP Fault of the gateway (and the look-up API's JSON error, unsigned). */
export function failures(sign: Signer | null): { json: Fail; soap: Fail } {
  return {
    json: (reply, lang, status, code, msg, extra = {}) => send(reply, status, JSON_TYPE, JSON.stringify({ error: { code, message: pick(msg, lang), th: msg.th, en: msg.en, ...extra } }), sign),
    soap: (reply, lang, status, code, msg) => send(reply, status, 'text/xml; charset=utf-8', soapFault(status, code, msg, lang), sign),
  };
}

/**
 * What Fastify's readers refuse before a gateway route runs (a body over the limit, of no or an
 * unknown type, JSON that does not parse) answered in the binding's own shape: a partner's SOAP
 * stack reads a Fault, a REST client the gateway's JSON error, each with the limit that applies.
 * Anything else goes on to the application's handler (logged, 500).
 */
export function requestErrorHandler(services: Services, opts: { soapUrl?: string; headers?: Record<string, string>; quoteInput?: boolean; sign?: Signer } = {}) {
  const { json, soap: soapFail } = failures(opts.sign ?? null);
  return (err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
    const lang = requestLang(req);
    const soap = !!opts.soapUrl && req.routeOptions.url === opts.soapUrl;
    const fail = soap ? soapFail : json;
    const code = err.code ?? '';
    if (opts.headers) reply.headers(opts.headers);
    if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      const kb = Math.round((soap ? SOAP_MAX_BYTES : services.config.maxBodyBytes) / 1024);
      return fail(reply, lang, 413, 'request_too_large', { th: `คำขอมีขนาดเกิน ${kb} KB`, en: `The request body is larger than ${kb} KB` });
    }
    if (soap && /^FST_ERR_CTP_/.test(code)) return fail(reply, lang, 400, 'invalid_envelope', { th: 'ซองข้อความ SOAP ไม่ถูกต้อง: ส่งเป็น text/xml', en: 'Invalid SOAP envelope: send it as text/xml' });
    if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return fail(reply, lang, 415, 'unsupported_media_type', { th: 'ส่งเนื้อหาเป็น application/json หรือใช้ GET กับพารามิเตอร์ใน URL', en: 'Send the body as application/json, or use GET with query parameters' });
    }
    if (/INVALID_JSON|EMPTY_JSON/.test(code) || (err.statusCode === 400 && err instanceof SyntaxError)) {
      // JSON.parse quotes the text around the fault: the look-up's (a citizen ID) is not repeated.
      const why = opts.quoteInput === false ? 'see the JSON syntax' : err.message.slice(0, 200);
      return fail(reply, lang, 400, 'invalid_json', { th: `เนื้อหา JSON ไม่ถูกต้อง: ${why}`, en: `The body is not valid JSON: ${why}` });
    }
    if (/^FST_ERR_(CTP|BAD|QSP|VALIDATION)/.test(code) || (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500)) {
      const why = opts.quoteInput === false ? code || String(err.statusCode) : err.message.slice(0, 200);
      return fail(reply, lang, err.statusCode && err.statusCode < 500 ? err.statusCode : 400, 'invalid_request', { th: `คำขอไม่ถูกต้อง: ${why}`, en: `Bad request: ${why}` });
    }
    throw err;
  };
}

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

  const sign = gatewaySigner(services);
  const { json: jsonFail, soap: soapFail } = failures(sign);
  const unsigned = failures(null);
  app.setErrorHandler(requestErrorHandler(services, { soapUrl: '/exchange/v1/soap' }));

  const caller = async (req: FastifyRequest) => {
    const header = req.headers.authorization;
    return header ? actorFromToken(services.store.db, header, services.config) : null;
  };

  /**
   * `records`: the records call checks the token in its own first statement (tokens.ts,
   * rememberedToken), saving the token's round trip; when the token's row has changed it says so
   * (StaleToken) and the call starts over with the token looked up first.
   */
  const answer = async (req: FastifyRequest, reply: FastifyReply, action: string, input: Record<string, unknown>, opts: { records?: boolean } = {}) => {
    const lang = requestLang(req);
    // The SOAP binding answers every refusal as a Fault, with the same status as REST.
    const fail = input.format === 'soap' ? soapFail : jsonFail;
    const known = opts.records ? rememberedToken(req.headers.authorization, services.config) : null;
    const actor = known ? known.actor : await caller(req);
    if (!actor || actor.kind !== 'user') {
      reply.header('www-authenticate', 'Bearer realm="banchi-exchange"');
      return (input.format === 'soap' ? unsigned.soap : unsigned.json)(reply, lang, 401, 'unauthenticated', { th: 'ต้องส่งโทเค็น API ของหน่วยงานคู่สัญญา (Authorization: Bearer …)', en: "Send your agency's API token (Authorization: Bearer …)" });
    }
    if (known) {
      try {
        return await respond(req, reply, lang, fail, action, { ...input, token_check: known.check }, actor);
      } catch (e) {
        if (!(e instanceof StaleToken)) throw e;
        return answer(req, reply, action, input);
      }
    }
    return respond(req, reply, lang, fail, action, input, actor);
  };

  const respond = async (req: FastifyRequest, reply: FastifyReply, lang: 'th' | 'en', fail: Fail, action: string, input: Record<string, unknown>, actor: Actor) => {
    try {
      const out = await runAction<unknown>(services, action, input, { actor, lang, ip: req.ip });
      if (out && typeof out === 'object' && 'body' in out && Buffer.isBuffer((out as { body: unknown }).body)) {
        const r = out as { status: number; body: Buffer; headers: Record<string, string>; type: string };
        // The signed bytes go out exactly as signed.
        return reply.code(r.status).headers(r.headers).type(r.type).send(r.body);
      }
      return send(reply, 200, JSON_TYPE, JSON.stringify(out), sign);
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
      if (k === 'purpose' || SEARCH_PARAMS.has(k) || UNSUPPORTED_PARAMS.has(k)) params[k] = v;
      else if (k !== 'lang') filters[k] = v;
    }
    if (Object.keys(filters).length) {
      if (params.filters !== undefined) return unsigned.json(reply, requestLang(req), 400, 'invalid_parameter', { th: 'ส่งตัวกรองเป็น filters (JSON) หรือเป็นพารามิเตอร์รายฟิลด์ อย่างใดอย่างหนึ่ง', en: 'Give filters either as JSON or as field parameters, not both' });
      params.filters = { ...filters };
    }
    return answer(req, reply, 'exchange_records', { agreement, resource_id: rid, params: { ...params }, ...certInput(req) }, { records: true });
  };
  const schema = { summary: 'Rows of an agreed resource, as the agreement allows; purpose required; the answer is signed (X-JWS-Signature)', tags: ['Exchange'], params: { type: 'object', properties: { agreement: { type: 'string' }, rid: { type: 'string' } } } };
  // No automatic HEAD: it would run the call (quota counted, audited, a delivery recorded) and send no rows.
  app.get('/exchange/v1/agreements/:agreement/resources/:rid/records', { schema, exposeHeadRoute: false }, records);
  // SOAP 1.1 (where the agreement's technology is soap): POST an envelope with GetRecords.
  app.addContentTypeParser(['text/xml', 'application/soap+xml'], { parseAs: 'string', bodyLimit: SOAP_MAX_BYTES }, (_req, body, done) => done(null, String(body)));
  app.post('/exchange/v1/soap', { schema: { summary: 'SOAP 1.1 binding: GetRecords (urn:banchi:exchange:v1), signed as REST answers are', tags: ['Exchange'] } }, (req, reply) => {
    const lang = requestLang(req);
    let parsed;
    try {
      if (typeof req.body !== 'string') throw new SoapReadError('send the envelope as text/xml');
      parsed = readSoapRequest(req.body);
    } catch (e) {
      if (!(e instanceof SoapReadError)) throw e;
      return unsigned.soap(reply, lang, 400, 'invalid_envelope', { th: `ซองข้อความ SOAP ไม่ถูกต้อง: ${e.message}`, en: `Invalid SOAP envelope: ${e.message}` });
    }
    return answer(req, reply, 'exchange_records', { agreement: parsed.agreement, resource_id: parsed.resource, params: parsed.params, format: 'soap', ...certInput(req) }, { records: true });
  });
  app.post('/exchange/v1/agreements/:agreement/resources/:rid/records', { schema }, records);
}
