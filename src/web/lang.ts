import type { FastifyRequest } from 'fastify';
import type { Lang } from '../actions/errors.ts';

/**
 * The portal is Thai unless the visitor chose English (the switch sets a cookie; ?lang= works for
 * links). Unlike the API it ignores Accept-Language: many Thai browsers ask for English first.
 */
export function portalLang(req: FastifyRequest): Lang {
  const q = (req.query as Record<string, unknown> | undefined)?.lang;
  if (q === 'en' || q === 'th') return q;
  return req.cookies?.lang === 'en' ? 'en' : 'th';
}
